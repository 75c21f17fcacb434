/* collect: records → series. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/cli.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/key.h"
#include "core/rec.h"
#include "core/time.h"
#include "collect.h"

/* Field indices per drawn field. */
struct fidx { int v, mn, avg, mx, flag; };
struct reader {
    struct iot_fields *f;
    struct iot_val *vals;
    int t, wstart, wend, aflag, afield, atype, alfield, sev, rul, prob, nkey;
    int *key;
    struct fidx *fi;
};

static void setup(struct reader *r, const struct iot_plot_cfg *c)
{
    struct iot_buf b = { 0 };
    r->f = iot_fields_new();
    r->key = iot_key_fields(r->f, c->key, &r->nkey);
    r->t = iot_fields_add(r->f, c->time_field);
    r->wstart = iot_fields_add(r->f, "windowStart");
    r->wend = iot_fields_add(r->f, "windowEnd");
    r->aflag = iot_fields_add(r->f, "anomaly.isAnomaly");
    r->afield = iot_fields_add(r->f, "anomaly.field");
    r->atype = iot_fields_add(r->f, "alertType");
    r->alfield = iot_fields_add(r->f, "field");
    r->sev = iot_fields_add(r->f, "severity");
    r->rul = iot_fields_add(r->f, "rul");
    r->prob = iot_fields_add(r->f, "failureProbability");
    r->fi = iot_xcalloc((size_t)c->nfields, sizeof *r->fi);
    for (int i = 0; i < c->nfields; i++) {
        const char *F = c->fields[i];
        r->fi[i].v = iot_fields_add(r->f, F);
#define ADD(dst, fmt) do { iot_buf_reset(&b); iot_buf_addf(&b, fmt, F); dst = iot_fields_add(r->f, b.p); } while (0)
        ADD(r->fi[i].mn, "min_%s");
        ADD(r->fi[i].avg, "avg_%s");
        ADD(r->fi[i].mx, "max_%s");
        ADD(r->fi[i].flag, "anomaly.%s.isAnomaly");
#undef ADD
    }
    r->vals = iot_xcalloc((size_t)iot_fields_count(r->f), sizeof *r->vals);
    iot_buf_free(&b);
}

static struct iot_plot_series *series(struct iot_plot_data *d, struct iot_plot_key *k, int i)
{
    struct iot_plot_series *s = &k->s[i];
    if (!s->on) {
        s->on = true;
        iot_ds_init(&s->ds, d->cfg.cap);
    }
    return s;
}

/* 1: a finite number in *x; 0: null (a break); -1: absent; -2: something else. */
static int num(const struct iot_val *v, double *x)
{
    if (v->type == IOT_J_ABSENT) return -1;
    if (v->type == IOT_J_NULL) return 0;
    if (v->type == IOT_J_NUM && iot_val_num(v, x) == 0 && isfinite(*x)) return 1;
    return -2;
}

static void span(struct iot_plot_data *d, int64_t t)
{
    if (t < d->tmin) d->tmin = t;
    if (t > d->tmax) d->tmax = t;
}

static void alert(struct iot_plot_data *d, struct iot_plot_series *s, int64_t t, const struct iot_val *type, bool critical)
{
    if (s->nalerts >= IOT_PLOT_MAX_ALERTS) { d->alerts_dropped++; return; }
    if (!s->alerts) s->alerts = iot_xcalloc(IOT_PLOT_MAX_ALERTS, sizeof *s->alerts);
    struct iot_plot_alert *a = &s->alerts[s->nalerts++];
    a->t = t;
    a->critical = critical;
    struct iot_buf b = { 0 };
    if (iot_val_str(type, &b) == 0) {
        size_t n = b.len < sizeof a->type - 1 ? b.len : sizeof a->type - 1;
        while (n && n < b.len && ((unsigned char)b.p[n] & 0xc0) == 0x80) n--;   /* whole UTF-8 chars */
        memcpy(a->type, b.p, n);
    }
    iot_buf_free(&b);
    span(d, t);
}

static struct iot_plot_key *key_of(struct iot_plot_data *d, struct reader *r, struct iot_buf *kb)
{
    const char *kp;
    size_t kl;
    iot_key_view(kb, r->vals, r->key, r->nkey, &kp, &kl);
    int created;
    struct iot_plot_key *k = iot_keytab_get(d->keys, kp, kl, &created);
    if (!k) { d->keys_dropped++; return NULL; }
    if (created) k->s = iot_xcalloc((size_t)d->cfg.nfields, sizeof *k->s);
    return k;
}

static int elem_time(const json_t *e, int unit, int64_t *t)
{
    const char *why;
    char b[48];
    if (json_is_string(e)) return iot_time_parse(json_string_value(e), json_string_length(e), t, &why);
    if (json_is_integer(e)) {
        int n = snprintf(b, sizeof b, "%lld", (long long)json_integer_value(e));
        return iot_time_epoch(b, (size_t)n, unit, t, &why);
    }
    return -1;
}

/* An iot-window --series record: a time array and, per field, an array of the same length. */
static void series_record(struct iot_plot_data *d, struct reader *r, const struct iot_val *tv, const char *line,
                          size_t len, const struct iot_src *src, struct iot_buf *kb)
{
    const struct iot_plot_cfg *c = &d->cfg;
    json_error_t je;
    json_t *ta = json_loadb(tv->p, tv->n, 0, &je);
    size_t n = json_array_size(ta);
    int64_t *ts = iot_xcalloc(n ? n : 1, sizeof *ts);
    for (size_t i = 0; i < n; i++)
        if (elem_time(json_array_get(ta, i), c->time_unit, &ts[i])) {
            iot_reject(src, line, len, "bad time", "%s[%zu]: not a timestamp", c->time_field, i);
            goto out;
        }
    struct iot_plot_key *k = key_of(d, r, kb);
    if (!k) goto out;
    k->records++;
    d->records++;
    for (int f = 0; f < c->nfields; f++) {
        const struct iot_val *v = &r->vals[r->fi[f].v];
        if (v->type != IOT_J_ARR) { if (v->type != IOT_J_ABSENT) d->nonnumeric++; continue; }
        json_t *va = json_loadb(v->p, v->n, JSON_DECODE_ANY, &je);
        if (json_array_size(va) != n) {
            iot_reject(src, line, len, "bad series", "%s: %zu values for %zu times", c->fields[f], json_array_size(va), n);
            json_decref(va);
            continue;
        }
        struct iot_plot_series *s = series(d, k, f);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(va, i);
            if (json_is_null(e)) { iot_ds_null(&s->ds, ts[i]); continue; }
            double x = json_number_value(e);
            if (!json_is_number(e) || !isfinite(x)) { d->nonnumeric++; continue; }
            iot_ds_add(&s->ds, ts[i], x, false);
            if (d->hist) iot_hist_add(&d->hist[f], x);
            d->values++;
            span(d, ts[i]);
            if (ts[i] > k->last_t || k->records == 1) k->last_t = ts[i];
        }
        json_decref(va);
    }
out:
    free(ts);
    json_decref(ta);
}

static void record(struct iot_plot_data *d, struct reader *r, const char *line, size_t len,
                   const struct iot_src *src, struct iot_buf *kb)
{
    const char *why;
    if (iot_rec_read(r->f, line, len, r->vals, src) < 0)
        return;
    const struct iot_plot_cfg *c = &d->cfg;
    bool is_alert = r->vals[r->atype].type == IOT_J_STR, any = is_alert;
    for (int i = 0; i < c->nfields && !any; i++)
        any = r->vals[r->fi[i].v].type != IOT_J_ABSENT || r->vals[r->fi[i].avg].type != IOT_J_ABSENT
              || r->vals[r->fi[i].mn].type != IOT_J_ABSENT || r->vals[r->fi[i].mx].type != IOT_J_ABSENT;
    if (!any) { d->nodata++; return; }
    const struct iot_val *tv = &r->vals[r->t];
    bool win = tv->type == IOT_J_ABSENT && r->vals[r->wstart].type != IOT_J_ABSENT;
    if (win) tv = &r->vals[r->wstart];
    if (tv->type == IOT_J_ABSENT || tv->type == IOT_J_NULL) {
        iot_reject(src, line, len, "missing time", "%s: missing", c->time_field);
        return;
    }
    if (tv->type == IOT_J_ARR) { series_record(d, r, tv, line, len, src, kb); return; }
    int64_t t;
    if (iot_val_time(tv, c->time_unit, &t, &why)) {
        iot_reject(src, line, len, "bad time", "%s: %s", c->time_field, why);
        return;
    }
    /* a window row spans [windowStart, windowEnd): its band is a step over that span and its
     * average sits in the middle */
    int64_t tend = t;
    if (win && r->vals[r->wend].type != IOT_J_ABSENT && iot_val_time(&r->vals[r->wend], c->time_unit, &tend, &why) == 0
        && tend > t)
        tend--;
    else
        tend = t;
    struct iot_plot_key *k = key_of(d, r, kb);
    if (!k) return;
    k->records++;
    double sc;
    if (num(&r->vals[r->rul], &sc) == 1 && (!k->has_rul || t >= k->rul_t)) { k->rul = sc; k->rul_t = t; k->has_rul = true; }
    if (num(&r->vals[r->prob], &sc) == 1 && (!k->has_prob || t >= k->prob_t)) { k->prob = sc; k->prob_t = t; k->has_prob = true; }
    if (t > k->last_t || k->records == 1) k->last_t = t;
    d->records++;
    const struct iot_val *af = &r->vals[is_alert ? r->alfield : r->afield];
    d->alerts += is_alert;
    bool flag_all = r->vals[r->aflag].type == IOT_J_TRUE;
    for (int i = 0; i < c->nfields; i++) {
        const struct fidx *fi = &r->fi[i];
        const char *F = c->fields[i];
        if (is_alert) {
            if (af->type == IOT_J_STR && !iot_val_streq(af, F, strlen(F))) continue;
            alert(d, series(d, k, i), t, &r->vals[r->atype], iot_val_streq(&r->vals[r->sev], "critical", 8));
            continue;
        }
        double x, lo, hi;
        int got = num(&r->vals[fi->v], &x);
        bool band = false;
        if (got == -1) {   /* a window row? */
            int gl = num(&r->vals[fi->mn], &lo), gh = num(&r->vals[fi->mx], &hi);
            got = num(&r->vals[fi->avg], &x);
            if (gl == -2 || gh == -2) d->nonnumeric++;
            band = gl == 1 && gh == 1;
            if (got == -1 && band) { x = (lo + hi) / 2; got = 1; }
        }
        if (got == -1) continue;
        if (got == -2) { d->nonnumeric++; continue; }
        struct iot_plot_series *s = series(d, k, i);
        if (got == 0) { iot_ds_null(&s->ds, t); continue; }
        bool flagged = r->vals[fi->flag].type == IOT_J_TRUE
                       || (flag_all && (af->type != IOT_J_STR || iot_val_streq(af, F, strlen(F))));
        iot_ds_add(&s->ds, t + (int64_t)(((uint64_t)tend - (uint64_t)t) / 2), x, flagged);
        if (d->hist) iot_hist_add(&d->hist[i], x);
        d->values++;
        d->flags += flagged;
        span(d, t);
        span(d, tend);
        if (band) {
            if (!s->band) { s->band = true; iot_ds_init(&s->lo, c->cap); iot_ds_init(&s->hi, c->cap); }
            iot_ds_add(&s->lo, t, lo, false);
            iot_ds_add(&s->hi, t, hi, false);
            if (tend > t) {
                iot_ds_add(&s->lo, tend, lo, false);
                iot_ds_add(&s->hi, tend, hi, false);
            }
        }
    }
}

void iot_plot_read(struct iot_plot_data *d, const struct iot_plot_cfg *cfg, char **paths, int n)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    d->tmin = INT64_MAX;
    d->tmax = INT64_MIN;
    d->keys = iot_keytab_new(sizeof(struct iot_plot_key), cfg->max_keys);
    if (cfg->hist) {
        d->hist = iot_xcalloc((size_t)cfg->nfields, sizeof *d->hist);
        for (int i = 0; i < cfg->nfields; i++) iot_hist_init(&d->hist[i], cfg->hist_bins);
    }
    struct reader r;
    setup(&r, cfg);
    struct iot_buf kb = { 0 };
    struct iot_in *in = iot_in_open(paths, n, cfg->max_line);
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        iot_stat_lines_in++;
        record(d, &r, line, len, &src, &kb);
    }
    iot_in_close(in);
    iot_buf_free(&kb);
    free(r.vals);
    free(r.key);
    free(r.fi);
    iot_fields_free(r.f);
}

void iot_plot_say(const struct iot_plot_data *d)
{
    if (d->nonnumeric) {
        iot_warn("%lld values were not numbers and were skipped", (long long)d->nonnumeric);
        iot_stat_add("nonnumeric_skipped", d->nonnumeric);
    }
    if (d->nodata) {
        iot_warn("%lld records had none of the plotted fields and were skipped", (long long)d->nodata);
        iot_stat_add("no_field_skipped", d->nodata);
    }
    if (d->keys_dropped) {
        iot_warn("%lld records of keys beyond --max-keys %zu were not drawn", (long long)d->keys_dropped, d->cfg.max_keys);
        iot_stat_add("keys_dropped_records", d->keys_dropped);
    }
    if (d->alerts_dropped) {
        iot_warn("%lld alerts beyond %d per panel were not marked", (long long)d->alerts_dropped, IOT_PLOT_MAX_ALERTS);
        iot_stat_add("alerts_dropped", d->alerts_dropped);
    }
    iot_stat_add("values", d->values);
    iot_stat_add("anomalies", d->flags);
    iot_stat_add("alerts", d->alerts);
}

void iot_plot_free(struct iot_plot_data *d)
{
    size_t pos = 0;
    struct iot_plot_key *k;
    while ((k = iot_keytab_next(d->keys, &pos))) {
        for (int i = 0; i < d->cfg.nfields; i++) {
            struct iot_plot_series *s = &k->s[i];
            if (!s->on) continue;
            iot_ds_free(&s->ds);
            if (s->band) { iot_ds_free(&s->lo); iot_ds_free(&s->hi); }
            free(s->alerts);
        }
        free(k->s);
    }
    iot_keytab_free(d->keys, NULL);
    if (d->hist) {
        for (int i = 0; i < d->cfg.nfields; i++) iot_hist_free(&d->hist[i]);
        free(d->hist);
    }
}

enum iot_plot_status iot_plot_status(const struct iot_plot_data *d, const struct iot_plot_key *k, int64_t stale)
{
    int64_t alerts = 0, flags = 0;
    for (int i = 0; i < d->cfg.nfields; i++) {
        for (int j = 0; j < k->s[i].nalerts; j++)
            if (k->s[i].alerts[j].critical) return IOT_ST_CRIT;
        alerts += k->s[i].nalerts;
        flags += k->s[i].on ? k->s[i].ds.nflag : 0;
    }
    if (alerts || flags) return IOT_ST_WARN;
    if (stale > 0 && (uint64_t)d->tmax - (uint64_t)k->last_t > (uint64_t)stale) return IOT_ST_STALE;
    return IOT_ST_OK;
}

static const struct iot_plot_data *sort_d;
static int64_t sort_stale;
static int by_status(const void *a, const void *b)
{
    const struct iot_plot_key *x = *(struct iot_plot_key *const *)a, *y = *(struct iot_plot_key *const *)b;
    int sx = iot_plot_status(sort_d, x, sort_stale), sy = iot_plot_status(sort_d, y, sort_stale);
    if (sx != sy) return sx - sy;
    size_t lx, ly;
    const char *kx = iot_keytab_key(x, &lx), *ky = iot_keytab_key(y, &ly);
    int c = memcmp(kx, ky, lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

struct iot_plot_key **iot_plot_keys(const struct iot_plot_data *d, int64_t stale, size_t *n)
{
    size_t all;
    struct iot_plot_key **k = (struct iot_plot_key **)iot_keytab_sorted(d->keys, &all);
    size_t kept = 0;
    for (size_t i = 0; i < all; i++) {
        bool any = false;
        for (int f = 0; f < d->cfg.nfields; f++)
            any |= k[i]->s[f].on && (k[i]->s[f].ds.n || k[i]->s[f].nalerts);
        if (any) k[kept++] = k[i];
    }
    if (stale >= 0) {   /* qsort is not stable, but by_status ends on the key bytes: a total order */
        sort_d = d;
        sort_stale = stale;
        qsort(k, kept, sizeof *k, by_status);
    }
    *n = kept;
    return k;
}
