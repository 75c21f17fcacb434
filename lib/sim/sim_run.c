/* sim_run: the output loop. Delivery faults (drop, malformed, late, duplicate) are decided per
 * telemetry record by a hash of (seed, device, sample), so they never disturb the devices'
 * own random streams; late records wait in a release-time heap. */
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/out.h"
#include "core/pace.h"
#include "sim.h"
#include "sim_impl.h"
#include "core/time.h"

struct late { int64_t release; uint64_t order; size_t len; char *line; };
struct lateq { struct late *v; size_t n, cap; uint64_t order; };

static int late_less(const struct late *a, const struct late *b)
{
    return a->release < b->release || (a->release == b->release && a->order < b->order);
}

static void late_push(struct lateq *q, int64_t release, const char *line, size_t len)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 256;
        q->v = iot_xrealloc(q->v, q->cap * sizeof *q->v);
    }
    struct late e = { release, q->order++, len, iot_xmalloc(len) };
    memcpy(e.line, line, len);
    size_t i = q->n++;
    while (i > 0 && late_less(&e, &q->v[(i - 1) / 2])) {
        q->v[i] = q->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->v[i] = e;
}

static struct late late_pop(struct lateq *q)
{
    struct late top = q->v[0], e = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= q->n) break;
        if (l + 1 < q->n && late_less(&q->v[l + 1], &q->v[l])) l++;
        if (!late_less(&q->v[l], &e)) break;
        q->v[i] = q->v[l];
        i = l;
    }
    if (q->n) q->v[i] = e;
    return top;
}

struct runner {
    struct iot_sim *s;
    struct iot_out *o;
    struct iot_pace pace, clock;    /* clock: live, holds each record until its own time */
    double rate, speed;
    bool live;
    int64_t written;
    bool stop;
};

/* Writes one line, pacing first. ev: the moment the line is delivered (event time). */
static void emit(struct runner *R, const char *line, size_t len, int64_t ev)
{
    if (R->rate > 0) {
        if (!iot_pace_rate(&R->pace, R->written, R->rate)) R->stop = true;
    } else if (R->speed > 0) {
        if (!iot_pace_until(&R->pace, ev)) R->stop = true;
    }
    /* held until the clock passes the millisecond the record is stamped with */
    if (R->live && !R->stop && !iot_pace_until(&R->clock, (ev / IOT_NS_PER_MS + 1) * IOT_NS_PER_MS)) R->stop = true;
    iot_out_write(R->o, line, len);
    iot_out_eol(R->o);
    R->written++;
}

/* With --truth, a displaced or repeated record says so (NDJSON only: CSV has fixed columns). */
static size_t label(const struct iot_sim *s, char *buf, size_t len, const char *what)
{
    if (!s->c.truth || s->c.format == IOT_SIM_CSV || len < 2 || buf[len - 1] != '}') return len;
    size_t n = strlen(what);
    if (len + n + 16 >= IOT_SIM_LINE_MAX) return len;
    len--;
    memcpy(buf + len, ",\"_fault\":\"", 11); len += 11;
    memcpy(buf + len, what, n); len += n;
    memcpy(buf + len, "\"}", 2);
    return len + 2;
}

static inline double u01(uint64_t h) { return (double)(h >> 11) * 0x1.0p-53; }

/* Commands: read what has arrived (each record when paced, every 1024 otherwise, so an idle
 * command stream costs one read per 1024 records), then apply those due before the next slot. */
static void obey(struct runner *R, struct iot_sim_cmds *c, int64_t now, bool poll, char *buf)
{
    if (poll) iot_sim_cmds_poll(c, now);
    int64_t t, upto = iot_sim_peek_time(R->s);
    if (upto < now) upto = now;
    size_t n;
    while (!R->stop && (n = iot_sim_cmds_apply(c, R->s, upto, buf, &t))) emit(R, buf, n, t);
}

void iot_sim_run(struct iot_sim *s, struct iot_out *o, double rate, double speed, struct iot_sim_cmds *cmds)
{
    struct runner R = { .s = s, .o = o, .rate = rate, .speed = speed, .live = s->c.live };
    if (rate > 0 || speed > 0) iot_pace_init(&R.pace, speed > 0 ? speed : 1);
    if (R.live) {    /* live records carry the moment they are written: never a future time */
        iot_pace_init(&R.clock, 1);
        iot_pace_anchor(&R.clock, s->c.start);
        if (speed > 0) iot_pace_anchor(&R.pace, s->c.start);
    }
    char buf[IOT_SIM_LINE_MAX + 64], copy[IOT_SIM_LINE_MAX + 64];
    if (s->c.format == IOT_SIM_CSV) {
        size_t n = iot_sim_csv_header(s, buf);
        iot_out_write(o, buf, n);
        iot_out_putc(o, '\n');
    }
    const struct iot_sim_faults *F = &s->c.faults;
    bool faults = F->late > 0 || F->dup > 0 || F->drop > 0 || F->malformed > 0;
    struct lateq q = { 0 };
    int64_t n_late = 0, n_dup = 0, n_drop = 0, n_bad = 0, n_fail = 0, n_maint = 0, n_anom = 0;
    struct iot_sim_rec r;
    int64_t now = s->c.start, polls = 0;
    bool paced = rate > 0 || speed > 0;
    for (;;) {
        if (cmds) obey(&R, cmds, now, paced || (polls++ & 1023) == 0, buf);
        if (R.stop || iot_stop_requested || !iot_sim_next(s, &r)) break;
        now = r.t;
        while (q.n && q.v[0].release <= r.t && !R.stop) {
            struct late e = late_pop(&q);
            emit(&R, e.line, e.len, e.release);
            free(e.line);
        }
        size_t n = iot_sim_format(s, &r, buf);
        if (cmds && r.msg == IOT_SIM_TELEMETRY) n = iot_sim_cmds_annotate(s, r.dev, buf, n);
        if (r.msg == IOT_SIM_FAILURE) n_fail++;
        else if (r.msg == IOT_SIM_MAINTENANCE) n_maint++;
        else if (r.anomaly) n_anom++;
        if (!faults || r.msg != IOT_SIM_TELEMETRY) {
            emit(&R, buf, n, r.t);
            continue;
        }
        uint64_t seed = s->c.seed, dev = r.dev, seq = r.seq;
        if (F->drop > 0 && u01(iot_sim_hash(seed, dev, seq, 5)) < F->drop) { n_drop++; continue; }
        bool dup = F->dup > 0 && u01(iot_sim_hash(seed, dev, seq, 6)) < F->dup;
        size_t cn = 0;
        if (dup) {
            memcpy(copy, buf, n);
            cn = label(s, copy, n, "dup");
            n_dup++;
        }
        if (F->malformed > 0) {
            uint64_t h = iot_sim_hash(seed, dev, seq, 7);
            if (u01(h) < F->malformed) {
                n = iot_sim_malform(s->c.format, buf, n, iot_sim_hash(seed, dev, seq, 8));
                n_bad++;
            }
        }
        uint64_t hl = F->late > 0 ? iot_sim_hash(seed, dev, seq, 9) : 0;
        if (F->late > 0 && u01(hl) < F->late) {
            int64_t delay = 1 + (int64_t)(u01(iot_sim_hash(seed, dev, seq, 10)) * (double)F->late_max);
            delay = (delay + IOT_NS_PER_MS - 1) / IOT_NS_PER_MS * IOT_NS_PER_MS;
            n = label(s, buf, n, "late");
            late_push(&q, r.t + delay, buf, n);
            if (dup) late_push(&q, r.t + delay, copy, cn);
            n_late++;
            continue;
        }
        emit(&R, buf, n, r.t);
        if (dup) emit(&R, copy, cn, r.t);
    }
    /* the late ones still due go out at the end (in release order), also after SIGINT */
    while (q.n) {
        struct late e = late_pop(&q);
        if (!R.stop && !iot_stop_requested) emit(&R, e.line, e.len, e.release);
        free(e.line);
    }
    free(q.v);
    if (cmds && !R.stop && !iot_stop_requested) {
        iot_sim_cmds_poll(cmds, now);
        iot_sim_cmds_end(cmds);
        int64_t t;
        size_t n;
        while ((n = iot_sim_cmds_apply(cmds, s, INT64_MAX, buf, &t))) emit(&R, buf, n, now > t ? now : t);
    }
    if (n_fail) iot_stat_add("failures", n_fail);
    if (n_maint) iot_stat_add("maintenance", n_maint);
    if (n_anom) iot_stat_add("anomalous", n_anom);
    if (n_late) iot_stat_add("late", n_late);
    if (n_dup) iot_stat_add("duplicated", n_dup);
    if (n_drop) iot_stat_add("dropped", n_drop);
    if (n_bad) iot_stat_add("malformed", n_bad);
}

void iot_sim_write_assets(struct iot_sim *s, struct iot_out *o)
{
    char buf[IOT_SIM_LINE_MAX];
    if (s->c.format == IOT_SIM_CSV) {
        iot_out_write(o, buf, iot_sim_asset_header(buf));
        iot_out_putc(o, '\n');
    }
    for (int64_t i = 0; i < s->n; i++) {
        iot_out_write(o, buf, iot_sim_asset(s, i, buf));
        iot_out_putc(o, '\n');
    }
}
