/* winjob: wiring of iot-window's modes. See winjob.h. */
#include "winjob.h"
#include "core/cli.h"
#include "core/rec.h"
#include "rolling.h"
#include "core/state.h"
#include "core/time.h"
#include "winmerge.h"
#include "winout.h"
#include <stdlib.h>

_Noreturn static void too_many(const struct iot_src *src, size_t max, const char *what)
{
    iot_die(IOT_EX_DATAERR, "%s:%lld: more than %zu %s (--max-keys)", src->file, (long long)src->line, max, what);
}

/* Late events change answers (a GROUP BY over the same file differs): one line on stderr says
 * how many and what happened to them, whatever --late did, unless -q. */
static void say_late(const struct iot_winjob *j, int64_t adjusted, int64_t dropped, int64_t rejected)
{
    if (iot_diag.quiet) return;
    char d[32];
    iot_dur_fmt(j->win.lateness, d);
    const struct { int64_t n; const char *what; } k[] = {
        { adjusted, "adjusted into later windows" },
        { dropped, "dropped" },
        { rejected, "rejected (--late dead-letter)" },
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (k[i].n)
            iot_warn("%lld event%s later than --lateness %s %s %s; --stats for details",
                     (long long)k[i].n, k[i].n == 1 ? "" : "s", d, k[i].n == 1 ? "was" : "were",
                     k[i].what);
}

static void run_window(const struct iot_winjob *j, struct iot_in *in, struct iot_aggrec *r,
                       struct iot_winout *wo, const struct iot_commit *cm)
{
    int64_t adjusted = 0, dropped = 0, rejected = 0;
    struct iot_win *w = iot_win_new(&j->win, &r->set, iot_winout_row, wo);
    if (j->state) iot_win_restore(w, j->state, cm);
    char *line;
    size_t len;
    struct iot_src src;
    int64_t quiet_since = j->idle ? iot_time_mono() : 0;
    while (!iot_stop_requested) {
        int64_t quiet;
        if (j->idle && iot_in_idle(in, j->idle, &quiet_since, &quiet)) {
            iot_win_idle(w, quiet);
            continue;
        }
        if (!iot_in_next(in, &line, &len, &src)) break;
        if (j->idle) quiet_since = iot_time_mono();
        if (iot_aggrec_read(r, line, len, &src)) continue;
        switch (iot_win_add(w, r->key, r->klen, r->t, r->in)) {
        case IOT_WIN_ADJUSTED: iot_stat_add("late_adjusted", 1); adjusted++; break;
        case IOT_WIN_DROPPED: iot_stat_add("late_dropped", 1); dropped++; break;
        case IOT_WIN_LATE:
            iot_stat_add("late_rejected", 1);
            rejected++;
            iot_reject(&src, line, len, "late", "event time is below the watermark");
            break;
        case IOT_WIN_BADTIME:
            iot_reject(&src, line, len, "bad time", "event time too near the end of the time range "
                       "for windows of this size (their bounds would overflow)");
            break;
        case IOT_WIN_FULL: too_many(&src, j->win.max_keys, "keys");
        default: break;
        }
    }
    if (j->state) iot_win_checkpoint(w, j->state, cm);
    else iot_win_finish(w);
    say_late(j, adjusted, dropped, rejected);
    iot_stat_add("keys", (int64_t)iot_win_keys(w));
    if (j->win.evict) iot_stat_add("evicted", (int64_t)iot_win_evicted(w));
    iot_win_free(w);
}

static void run_rolling(const struct iot_winjob *j, struct iot_in *in, struct iot_aggrec *r,
                        struct iot_winout *wo)
{
    struct iot_roll *roll = iot_roll_new(&r->set, j->roll_dur, j->roll_n, j->win.max_keys, j->win.evict);
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (iot_aggrec_read(r, line, len, &src)) continue;
        struct iot_agg_state *st = iot_roll_add(roll, r->key, r->klen, r->t, r->in);
        if (!st) too_many(&src, j->win.max_keys, "keys");
        iot_winout_annotate(wo, line, len, st);
    }
    if (j->win.evict) iot_stat_add("evicted", (int64_t)iot_roll_evicted(roll));
    iot_roll_free(roll);
}

static void run_series(const struct iot_winjob *j, struct iot_in *in, struct iot_aggrec *r,
                       struct iot_winout *wo)
{
    struct iot_series *s = iot_series_new(&r->set, j->step, j->win.offset, j->has_range, j->from,
                                          j->to, j->win.max_keys, j->max_points);
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (iot_aggrec_read(r, line, len, &src)) continue;
        int rc = iot_series_add(s, r->key, r->klen, r->t, r->in);
        if (rc < 0) too_many(&src, j->win.max_keys, "keys");
        if (rc == 1) iot_stat_add("outside_range", 1);
        if (rc == 2)
            iot_reject(&src, line, len, "series span", "this event would stretch its key's series past "
                       "--max-points %lld bins of the step (narrow it with --from/--to)", (long long)j->max_points);
    }
    iot_series_finish(s, j->fill, iot_winout_series, wo);
    iot_series_free(s);
}

/* A line read ahead (--merge without -a reads its aggregate list from the first partial row). */
struct ahead { char *line; size_t len; struct iot_src src; bool have; };

static void run_merge(const struct iot_winjob *j, struct iot_in *in, struct iot_aggrec *r,
                      struct iot_winout *wo, struct ahead *a)
{
    struct iot_winmerge *m = iot_winmerge_new(r, j->win.max_keys);
    if (a->have && iot_winmerge_add(m, a->line, a->len, &a->src)) too_many(&a->src, j->win.max_keys, "groups");
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src))
        if (iot_winmerge_add(m, line, len, &src)) too_many(&src, j->win.max_keys, "groups");
    iot_winmerge_finish(m, iot_winout_row, wo);
    iot_winmerge_free(m);
}

void iot_winjob_run(const struct iot_winjob *j, char **paths, int npaths, size_t max_line,
                    struct iot_out *o)
{
    struct iot_aggrec r;
    char err[256];
    struct iot_aggrec_cfg ro = j->rec;
    struct ahead a = { 0 };
    struct iot_buf spec = { 0 };
    struct iot_in *in = iot_in_open(paths, npaths, max_line);
    if (j->mode == IOT_JOB_MERGE && !ro.spec && iot_in_next(in, &a.line, &a.len, &a.src)) {
        /* the partial rows name their aggregates: --merge needs no second copy of -a */
        struct iot_fields *f = iot_fields_new();
        struct iot_val v;
        const char *e;
        iot_fields_add(f, "_aggregates");
        a.have = true;
        if (iot_rec_scan(f, a.line, a.len, &v, &e) == 0 && iot_val_str(&v, &spec) == 0) ro.spec = spec.p;
        else iot_usage("--merge: %s:%lld has no \"_aggregates\" (not an --emit partial row); give -a",
                       a.src.file, (long long)a.src.line);
        iot_fields_free(f);
    }
    if (iot_aggrec_open(&r, &ro, err, sizeof err)) iot_usage("-a: %s", err);
    if (j->mode == IOT_JOB_SERIES && j->has_range && j->to <= j->from) iot_usage("--to must be after --from");
    int64_t span;
    if (j->mode == IOT_JOB_SERIES && j->has_range &&
        (__builtin_sub_overflow(j->to, j->from, &span) || (span - 1) / j->step >= j->max_points))
        iot_usage("--series: --from..--to holds more than --max-points %lld bins of the step", (long long)j->max_points);
    struct iot_winout *wo = iot_winout_new(o, &r, j->partial, j->having, j->mode == IOT_JOB_ROLLING,
                                           err, sizeof err);
    if (!wo) iot_usage("--having: %s", err);
    if (j->mode != IOT_JOB_MERGE)    /* several inputs read as one stream in event-time order */
        iot_in_merge_by(in, j->rec.time_field, j->rec.time_unit);
    const struct iot_commit cm = { o, paths, npaths };
    switch (j->mode) {
    case IOT_JOB_WINDOW: run_window(j, in, &r, wo, &cm); break;
    case IOT_JOB_ROLLING: run_rolling(j, in, &r, wo); break;
    case IOT_JOB_SERIES: run_series(j, in, &r, wo); break;
    case IOT_JOB_MERGE: run_merge(j, in, &r, wo, &a); break;
    }
    iot_in_close(in);
    iot_winout_free(wo);
    iot_aggrec_close(&r);
    iot_buf_free(&spec);
}
