/* alarm: the lifecycle engine. See alarm.h. */
#include "alarm.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/key.h"
#include "core/keytab.h"
#include "core/state.h"

#define MAXLV 8
#define MAXF 16
#define NONE INT64_MIN

enum { NORMAL, PENDING, ACTIVE };

struct def {
    const char *name;
    const struct iot_anorule *lv[MAXLV];   /* rising severity; NULL for a detector episode */
    int nlv;
    int det;                               /* detector episode: watched field index, else -1 */
    const struct iot_expr *clear;          /* NULL: no level true */
    int64_t clear_for;
    int fidx[MAXF], fdir[MAXF], nf;        /* fields the raise conditions read */
};

struct inst {
    uint8_t phase, sev, clearing, acked;
    int8_t pdir;                           /* detector episode: +1 spike, -1 dip, 0 other */
    int64_t lsince[MAXLV];
    int64_t since, raised_at, csince, last_ts, ack_ts, notified, count;
    double peak[MAXF];
    char *value, *with;                    /* owned JSON text, NULL until raised */
};

struct keyst {
    int64_t last_seen, silent_at;
    uint8_t seen, silent;
    struct inst in[];
};

struct iot_alarms {
    struct iot_alarm_cfg c;
    struct def *defs;
    int ndefs;
    struct iot_keytab *tab;
    int64_t wm, next_due, acks_upto;
    int mtype, aname;
    struct iot_buf b;
};

static size_t slot_size(int ndefs) { return sizeof(struct keyst) + (size_t)ndefs * sizeof(struct inst); }

static void inst_reset(struct inst *s)
{
    free(s->value);
    free(s->with);
    memset(s, 0, sizeof *s);
    for (int l = 0; l < MAXLV; l++) s->lsince[l] = NONE;
    for (int i = 0; i < MAXF; i++) s->peak[i] = NAN;
    s->last_ts = NONE;
}

static void key_init(struct iot_alarms *a, struct keyst *k)
{
    memset(k, 0, slot_size(a->ndefs));
    for (int d = 0; d < a->ndefs; d++) inst_reset(&k->in[d]);
}

struct iot_alarms *iot_alarms_new(const struct iot_alarm_cfg *c, char *err, size_t errcap)
{
    struct iot_alarms *a = iot_xcalloc(1, sizeof *a);
    a->c = *c;
    a->defs = iot_xcalloc((size_t)(c->nrules + c->ndet) + 1, sizeof *a->defs);
    for (int i = 0; i < c->nrules; i++) {
        const struct iot_anorule *r = &c->rules[i];
        struct def *d = NULL;
        for (int k = 0; k < a->ndefs; k++)
            if (strcmp(a->defs[k].name, r->name) == 0) d = &a->defs[k];
        if (!d) {
            d = &a->defs[a->ndefs++];
            d->name = r->name;
            d->det = -1;
            d->clear_for = r->for_ns;     /* hysteresis by time unless a clear says otherwise */
        }
        if (d->nlv == MAXLV) { snprintf(err, errcap, "%s: at most %d rules of one name", r->name, MAXLV); goto bad; }
        int at = d->nlv;
        for (int l = 0; l < d->nlv; l++) {
            if (d->lv[l]->sev == r->sev) {
                snprintf(err, errcap, "%s: two rules with severity %s", r->name, r->severity);
                goto bad;
            }
            if (d->lv[l]->sev > r->sev && at == d->nlv) at = l;
        }
        memmove(&d->lv[at + 1], &d->lv[at], (size_t)(d->nlv - at) * sizeof d->lv[0]);
        d->lv[at] = r;
        d->nlv++;
        if (r->clear) {
            if (d->clear) { snprintf(err, errcap, "%s: only one rule of a name may say clear", r->name); goto bad; }
            d->clear = r->clear;
            d->clear_for = r->clear_for;
        }
        int idx[MAXF], dir[MAXF];
        int n = iot_expr_fields(r->e, idx, dir, MAXF);
        for (int k = 0; k < n && k < MAXF; k++) {
            int j = 0;
            while (j < d->nf && d->fidx[j] != idx[k]) j++;
            if (j < d->nf) { if (d->fdir[j] != dir[k]) d->fdir[j] = 0; continue; }
            if (d->nf == MAXF) break;
            d->fidx[d->nf] = idx[k];
            d->fdir[d->nf++] = dir[k];
        }
    }
    for (int f = 0; c->episode > 0 && f < c->ndet; f++) {
        struct def *d = &a->defs[a->ndefs++];
        d->name = "ANOMALY";
        d->det = f;
        d->nlv = 2;                       /* warning, critical (the detector's own severity) */
        d->clear_for = c->episode;
        d->fidx[0] = c->det_fidx[f];
        d->nf = 1;
    }
    a->mtype = iot_fields_add(c->f, "messageType");
    a->aname = iot_fields_add(c->f, "alarm");
    a->tab = iot_keytab_new(slot_size(a->ndefs), (size_t)c->max_keys);
    a->wm = a->next_due = a->acks_upto = NONE;
    return a;
bad:
    free(a->defs);
    free(a);
    return NULL;
}

/* ---- events ---- */

static void put_sec(struct iot_out *o, int64_t ns) { iot_out_json_num(o, (double)ns / 1e9); }

static void head(struct iot_alarms *a, struct iot_out *o, const char *key, size_t klen,
                 const char *alarm, const char *sev, const char *state, int64_t ts, int64_t since)
{
    iot_out_putc(o, '{');
    for (int i = 0; i < a->c.nkeys; i++) {
        const char *p = iot_fields_path(a->c.f, a->c.kidx[i]);
        iot_out_json_str(o, p, strlen(p));
        iot_out_putc(o, ':');
        iot_buf_reset(&a->b);
        iot_key_json(&a->b, key, klen, i);
        iot_out_write(o, a->b.p, a->b.len);
        iot_out_putc(o, ',');
    }
    iot_out_puts(o, "\"alarm\":");
    iot_out_json_str(o, alarm, strlen(alarm));
    iot_out_puts(o, ",\"severity\":");
    iot_out_json_str(o, sev, strlen(sev));
    iot_out_puts(o, ",\"state\":\"");
    iot_out_puts(o, state);
    iot_out_puts(o, "\",\"timestamp\":");
    iot_out_json_time(o, ts);
    iot_out_puts(o, ",\"since\":");
    iot_out_json_time(o, since);
    if (state[0] == 'r') iot_stat_add("alarms_raised", 1);
    else if (state[0] == 'u') iot_stat_add("alarms_updated", 1);
    else iot_stat_add("alarms_cleared", 1);
}

static void event(struct iot_alarms *a, struct iot_out *o, const struct def *d, const struct inst *s,
                  const char *key, size_t klen, const char *state, int64_t ts, const char *reason)
{
    head(a, o, key, klen, d->name, d->det >= 0 ? (s->sev ? "critical" : "warning") : d->lv[s->sev]->severity,
         state, ts, s->since);
    if (d->det >= 0) {
        const char *fl = iot_fields_path(a->c.f, d->fidx[0]);
        iot_out_puts(o, ",\"field\":");
        iot_out_json_str(o, fl, strlen(fl));
    }
    iot_out_puts(o, ",\"value\":");
    iot_out_puts(o, s->value ? s->value : "{}");
    iot_out_puts(o, ",\"peak\":{");
    int n = 0;
    for (int i = 0; i < d->nf; i++) {
        if (isnan(s->peak[i])) continue;
        if (n++) iot_out_putc(o, ',');
        const char *p = iot_fields_path(a->c.f, d->fidx[i]);
        iot_out_json_str(o, p, strlen(p));
        iot_out_putc(o, ':');
        iot_out_json_num(o, s->peak[i]);
    }
    iot_out_puts(o, "},\"count\":");
    iot_out_json_int(o, s->count);
    iot_out_puts(o, ",\"duration\":");
    put_sec(o, ts - s->since);
    if (state[0] != 'r') {
        iot_out_puts(o, ",\"raisedAt\":");
        iot_out_json_time(o, s->raised_at);
    }
    if (reason) {
        iot_out_puts(o, ",\"reason\":\"");
        iot_out_puts(o, reason);
        iot_out_putc(o, '"');
    }
    if (state[0] == 'c') {
        iot_out_puts(o, s->acked ? ",\"acknowledged\":true,\"ackedAt\":" : ",\"acknowledged\":false");
        if (s->acked) iot_out_json_time(o, s->ack_ts);
    }
    if (s->with) iot_out_puts(o, s->with);
    iot_out_putc(o, '}');
    iot_out_eol(o);
}

static void silent_event(struct iot_alarms *a, struct iot_out *o, const char *key, size_t klen,
                         const char *state, int64_t ts, int64_t last_seen)
{
    head(a, o, key, klen, "DEVICE_SILENT", "warning", state, ts, last_seen);
    iot_out_puts(o, ",\"value\":{\"lastSeen\":");
    iot_out_json_time(o, last_seen);
    iot_out_puts(o, "},\"peak\":{},\"count\":0,\"duration\":");
    put_sec(o, ts - last_seen);
    iot_out_putc(o, '}');
    iot_out_eol(o);
}

/* ---- evaluation ---- */

static char *capture(struct iot_alarms *a, const int *idx, int n, const struct iot_val *vals, bool object)
{
    struct iot_buf *b = &a->b;
    iot_buf_reset(b);
    if (object) iot_buf_addc(b, '{');
    for (int i = 0; i < n; i++) {
        if (i || !object) iot_buf_addc(b, ',');
        const char *p = iot_fields_path(a->c.f, idx[i]);
        iot_buf_json_str(b, p, strlen(p));
        iot_buf_addc(b, ':');
        const struct iot_val *v = &vals[idx[i]];
        if (v->type == IOT_J_ABSENT) iot_buf_add(b, "null", 4);
        else iot_buf_add(b, v->p, v->n);
    }
    if (object) iot_buf_addc(b, '}');
    return strndup(b->p ? b->p : "", b->len);
}

/* The extreme of each field: largest, or smallest for a field only compared with < (a dip
 * episode: smallest). x: the detector's value (numeric strings included), else NAN. */
static void peak(const struct def *d, struct inst *s, const struct iot_val *vals, double xd)
{
    for (int i = 0; i < d->nf; i++) {
        double x = xd;
        if (d->det < 0 && (iot_val_num(&vals[d->fidx[i]], &x) < 0 || !isfinite(x))) continue;
        if (isnan(x)) continue;
        int dir = d->det >= 0 ? s->pdir : d->fdir[i];
        if (isnan(s->peak[i]) || (dir < 0 ? x < s->peak[i] : x > s->peak[i])) s->peak[i] = x;
    }
}

/* truth[l]: 1, 0 or -1 (undefined) for each level of d on this record. */
static void evaluate(struct iot_alarms *a, struct iot_out *o, const struct def *d, struct inst *s,
                     const struct iot_val *vals, const char *key, size_t klen, int64_t ts,
                     const int *truth, const struct iot_alarm_det *det)
{
    if (s->last_ts != NONE && ts < s->last_ts) { iot_stat_add("alarm_late", 1); return; }
    s->last_ts = ts;
    bool any = false, all_false = true;
    int qual = -1;
    for (int l = 0; l < d->nlv; l++) {
        int t = truth[l];
        if (t == 1) { any = true; if (s->lsince[l] == NONE) s->lsince[l] = ts; }
        if (t == 0) s->lsince[l] = NONE;
        if (t != 0) all_false = false;
        if (s->lsince[l] != NONE && ts - s->lsince[l] >= (d->lv[l] ? d->lv[l]->for_ns : 0)) qual = l;
    }
    if (s->phase == NORMAL && any) {
        s->phase = PENDING;
        s->since = ts;
        s->count = 0;
        s->pdir = det ? (int8_t)det->dir : 0;
        for (int i = 0; i < MAXF; i++) s->peak[i] = NAN;
    }
    if (s->phase == NORMAL) return;
    if (any) { s->count++; peak(d, s, vals, det ? det->x : NAN); }
    if (s->phase == PENDING) {
        if (qual >= 0) {
            s->phase = ACTIVE;
            s->sev = (uint8_t)qual;
            s->raised_at = s->notified = ts;
            s->clearing = s->acked = 0;
            s->value = capture(a, d->fidx, d->nf, vals, true);
            s->with = a->c.nwith ? capture(a, a->c.widx, a->c.nwith, vals, false) : NULL;
            event(a, o, d, s, key, klen, "raised", ts, NULL);
            return;
        }
        bool none = true;
        for (int l = 0; l < d->nlv; l++) none &= s->lsince[l] == NONE;
        if (none) { s->phase = NORMAL; s->count = 0; }
        return;
    }
    if (qual > s->sev) {
        s->sev = (uint8_t)qual;
        s->notified = ts;
        event(a, o, d, s, key, klen, "updated", ts, "escalated");
    }
    int ct = d->clear ? iot_expr_truth(d->clear, vals) : any ? 0 : all_false ? 1 : -1;
    if (ct == 1) {
        if (!s->clearing) { s->clearing = 1; s->csince = ts; }
        if (ts - s->csince >= d->clear_for) {
            event(a, o, d, s, key, klen, "cleared", ts, NULL);
            inst_reset(s);
            s->last_ts = ts;
            return;
        }
    } else if (ct == 0) {
        s->clearing = 0;
    }
    if (a->c.renotify > 0 && !s->acked && ts - s->notified >= a->c.renotify) {
        s->notified = ts;
        event(a, o, d, s, key, klen, "updated", ts, "renotify");
    }
}

static int by_due(const void *x, const void *y)
{
    const struct keyst *p = *(const struct keyst *const *)x, *q = *(const struct keyst *const *)y;
    if (p->last_seen != q->last_seen) return p->last_seen < q->last_seen ? -1 : 1;
    size_t pl, ql;
    const char *pk = iot_keytab_key(p, &pl), *qk = iot_keytab_key(q, &ql);
    int c = memcmp(pk, qk, pl < ql ? pl : ql);
    return c ? c : pl < ql ? -1 : pl > ql;
}

/* Keys silent for longer than --absent at the watermark raise DEVICE_SILENT, oldest first. */
static void scan_absent(struct iot_alarms *a, struct iot_out *o)
{
    size_t n;
    void **all = iot_keytab_sorted(a->tab, &n);
    size_t m = 0;
    int64_t next = NONE;
    for (size_t i = 0; i < n; i++) {
        struct keyst *k = all[i];
        if (!k->seen || k->silent) continue;
        if (a->wm - k->last_seen > a->c.absent) all[m++] = k;
        else if (next == NONE || k->last_seen + a->c.absent < next) next = k->last_seen + a->c.absent;
    }
    qsort(all, m, sizeof *all, by_due);
    for (size_t i = 0; i < m; i++) {
        struct keyst *k = all[i];
        size_t kl;
        const char *kk = iot_keytab_key(k, &kl);
        k->silent = 1;
        k->silent_at = k->last_seen + a->c.absent;
        silent_event(a, o, kk, kl, "raised", k->silent_at, k->last_seen);
    }
    free(all);
    a->next_due = next;
}

/* Acknowledges the active alarms named name (n bytes) of key k. */
static void ack(struct iot_alarms *a, struct keyst *k, const char *name, size_t n, int64_t ts)
{
    bool done = false;
    for (int d = 0; d < a->ndefs; d++) {
        if (strlen(a->defs[d].name) != n || memcmp(a->defs[d].name, name, n) != 0) continue;
        struct inst *s = &k->in[d];
        if (s->phase == ACTIVE && !s->acked) {
            s->acked = 1;
            s->ack_ts = ts;
            done = true;
        }
    }
    iot_stat_add(done ? "acks" : "acks_ignored", 1);
}

int iot_alarms_ack(struct iot_alarms *a, const char *key, size_t klen, const char *alarm, int64_t ts)
{
    if (a->acks_upto == NONE || ts > a->acks_upto) a->acks_upto = ts;
    struct keyst *k = iot_keytab_find(a->tab, key, klen);
    if (!k) { iot_stat_add("acks_ignored", 1); return 0; }
    ack(a, k, alarm, strlen(alarm), ts);
    return 0;
}

int64_t iot_alarms_acks_upto(const struct iot_alarms *a) { return a->acks_upto; }

int iot_alarms_record(struct iot_alarms *a, struct iot_out *o, const struct iot_val *vals,
                      const char *key, size_t klen, int64_t ts, const struct iot_alarm_det *det)
{
    int created;
    struct keyst *k = iot_keytab_get(a->tab, key, klen, &created);
    if (!k) return -1;
    if (created) key_init(a, k);
    if (iot_val_streq(&vals[a->mtype], "ack", 3)) {
        iot_buf_reset(&a->b);
        if (iot_val_str(&vals[a->aname], &a->b) < 0) iot_stat_add("acks_ignored", 1);
        else ack(a, k, a->b.p, a->b.len, ts);
        return 0;
    }
    if (a->c.absent > 0) {
        if (a->wm == NONE || ts > a->wm) a->wm = ts;
        if (a->next_due != NONE && a->wm > a->next_due) scan_absent(a, o);
        if (k->seen && !k->silent && ts - k->last_seen > a->c.absent) {   /* its own gap */
            k->silent_at = k->last_seen + a->c.absent;
            silent_event(a, o, key, klen, "raised", k->silent_at, k->last_seen);
            k->silent = 1;
        }
        if (k->silent) {
            silent_event(a, o, key, klen, "cleared", ts, k->last_seen);
            k->silent = 0;
        }
        if (!k->seen || ts > k->last_seen) k->last_seen = ts;
        k->seen = 1;
        if (a->next_due == NONE || k->last_seen + a->c.absent < a->next_due)
            a->next_due = k->last_seen + a->c.absent;
    }
    int truth[MAXLV];
    for (int d = 0; d < a->ndefs; d++) {
        const struct def *df = &a->defs[d];
        const struct iot_alarm_det *dt = NULL;
        if (df->det >= 0) {
            dt = &det[df->det];
            truth[0] = dt->have ? dt->alert : -1;
            truth[1] = dt->have ? dt->alert && dt->critical : -1;
        } else {
            for (int l = 0; l < df->nlv; l++) truth[l] = iot_expr_truth(df->lv[l]->e, vals);
        }
        evaluate(a, o, df, &k->in[d], vals, key, klen, ts, truth, dt);
    }
    return 0;
}

int64_t iot_alarms_active(const struct iot_alarms *a)
{
    int64_t n = 0;
    size_t pos = 0;
    struct keyst *k;
    while ((k = iot_keytab_next(a->tab, &pos))) {
        n += k->silent;
        for (int d = 0; d < a->ndefs; d++) n += k->in[d].phase == ACTIVE;
    }
    return n;
}

/* ---- state ---- */

static json_t *t_or_null(int64_t t) { return t == NONE ? json_null() : json_integer(t); }
static int64_t get_t(const json_t *j, const char *m)
{
    const json_t *v = json_object_get(j, m);
    return json_is_integer(v) ? json_integer_value(v) : NONE;
}

json_t *iot_alarms_save(const struct iot_alarms *a)
{
    json_t *keys = json_array();
    size_t n;
    void **all = iot_keytab_sorted(a->tab, &n);
    for (size_t i = 0; i < n; i++) {
        const struct keyst *k = all[i];
        size_t kl;
        const char *kk = iot_keytab_key(k, &kl);
        json_t *al = json_array();
        for (int d = 0; d < a->ndefs; d++) {
            const struct inst *s = &k->in[d];
            json_t *ls = json_array(), *pk = json_array();
            for (int l = 0; l < MAXLV; l++) json_array_append_new(ls, t_or_null(s->lsince[l]));
            for (int f = 0; f < MAXF; f++) json_array_append_new(pk, iot_json_real(s->peak[f]));
            json_array_append_new(al, json_pack("{s:s, s:i, s:i, s:b, s:b, s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:o, s:o}",
                "alarm", a->defs[d].name, "phase", s->phase * 4 + (s->pdir + 1), "sev", s->sev, "clearing", s->clearing,
                "acked", s->acked, "lsince", ls, "since", (json_int_t)s->since,
                "raisedAt", (json_int_t)s->raised_at, "csince", (json_int_t)s->csince,
                "lastTs", t_or_null(s->last_ts), "ackTs", (json_int_t)s->ack_ts,
                "notified", (json_int_t)s->notified, "count", (json_int_t)s->count, "peak", pk,
                "value", s->value ? json_string(s->value) : json_null(),
                "with", s->with ? json_string(s->with) : json_null()));
        }
        json_array_append_new(keys, json_pack("{s:s%, s:b, s:I, s:b, s:I, s:o}", "key", kk, kl,
            "seen", k->seen, "lastSeen", (json_int_t)k->last_seen, "silent", k->silent,
            "silentAt", (json_int_t)k->silent_at, "alarms", al));
    }
    free(all);
    return json_pack("{s:o, s:o, s:o, s:o}", "watermark", t_or_null(a->wm), "nextDue", t_or_null(a->next_due),
                     "acksUpto", t_or_null(a->acks_upto), "keys", keys);
}

static char *dup_str(const json_t *j) { return json_is_string(j) ? strdup(json_string_value(j)) : NULL; }

int iot_alarms_load(struct iot_alarms *a, const json_t *j)
{
    const json_t *keys = json_object_get(j, "keys");
    if (!json_is_array(keys)) return -1;
    a->wm = get_t(j, "watermark");
    a->next_due = get_t(j, "nextDue");
    a->acks_upto = get_t(j, "acksUpto");
    size_t i;
    const json_t *e;
    json_array_foreach(keys, i, e) {
        const json_t *kj = json_object_get(e, "key"), *al = json_object_get(e, "alarms");
        if (!json_is_string(kj) || !json_is_array(al) || json_array_size(al) != (size_t)a->ndefs) return -1;
        int created;
        struct keyst *k = iot_keytab_get(a->tab, json_string_value(kj), json_string_length(kj), &created);
        if (!k) return -1;
        if (created) key_init(a, k);
        k->seen = json_is_true(json_object_get(e, "seen"));
        k->silent = json_is_true(json_object_get(e, "silent"));
        k->last_seen = get_t(e, "lastSeen");
        k->silent_at = get_t(e, "silentAt");
        for (int d = 0; d < a->ndefs; d++) {
            const json_t *s = json_array_get(al, (size_t)d), *ls = json_object_get(s, "lsince"),
                         *pk = json_object_get(s, "peak");
            if (!json_is_object(s) || !json_is_string(json_object_get(s, "alarm")) ||
                strcmp(json_string_value(json_object_get(s, "alarm")), a->defs[d].name) != 0 ||
                json_array_size(ls) != MAXLV || json_array_size(pk) != MAXF)
                return -1;
            struct inst *t = &k->in[d];
            int64_t ph = get_t(s, "phase"), sev = get_t(s, "sev");
            if (ph < 0 || ph / 4 > ACTIVE || ph % 4 > 2 || sev < 0 || sev >= a->defs[d].nlv) return -1;
            t->phase = (uint8_t)(ph / 4);
            t->pdir = (int8_t)(ph % 4 - 1);
            t->sev = (uint8_t)sev;
            t->clearing = json_is_true(json_object_get(s, "clearing"));
            t->acked = json_is_true(json_object_get(s, "acked"));
            for (int l = 0; l < MAXLV; l++) {
                const json_t *v = json_array_get(ls, (size_t)l);
                t->lsince[l] = json_is_integer(v) ? json_integer_value(v) : NONE;
            }
            for (int f = 0; f < MAXF; f++) {
                const json_t *v = json_array_get(pk, (size_t)f);
                t->peak[f] = json_is_number(v) ? json_number_value(v) : NAN;
            }
            t->since = get_t(s, "since");
            t->raised_at = get_t(s, "raisedAt");
            t->csince = get_t(s, "csince");
            t->last_ts = get_t(s, "lastTs");
            t->ack_ts = get_t(s, "ackTs");
            t->notified = get_t(s, "notified");
            t->count = get_t(s, "count");
            t->value = dup_str(json_object_get(s, "value"));
            t->with = dup_str(json_object_get(s, "with"));
        }
    }
    return 0;
}

static struct iot_alarms *freeing;
static void free_key(void *v)
{
    struct keyst *k = v;
    for (int d = 0; d < freeing->ndefs; d++) { free(k->in[d].value); free(k->in[d].with); }
}

void iot_alarms_free(struct iot_alarms *a)
{
    if (!a) return;
    freeing = a;
    iot_keytab_free(a->tab, free_key);
    iot_buf_free(&a->b);
    free(a->defs);
    free(a);
}
