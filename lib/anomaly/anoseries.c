/* anoseries: -m decompose records, whose watched fields are whole series (the arrays of
 * iot-window --series) with the time axis in the time field. See anojob_impl.h. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anoalert.h"
#include "anojob_impl.h"
#include "core/diag.h"

static void put_array_num(struct iot_out *o, const double *v, size_t n)
{
    iot_out_putc(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) iot_out_putc(o, ',');
        iot_out_json_num(o, v[i]);
    }
    iot_out_putc(o, ']');
}

/* An array of numbers and nulls (NaN) into a fresh *xs; -1 if v is anything else. */
static int decode(const struct iot_val *v, double **xs, size_t *n)
{
    json_t *a = v->type == IOT_J_ARR ? json_loadb(v->p, v->n, JSON_DECODE_ANY, NULL) : NULL;
    if (!json_is_array(a)) { json_decref(a); return -1; }
    *n = json_array_size(a);
    *xs = iot_xmalloc((*n ? *n : 1) * sizeof(double));
    int rc = 0;
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(a, i);
        if (json_is_number(e)) (*xs)[i] = json_number_value(e);
        else if (json_is_null(e)) (*xs)[i] = NAN;
        else { rc = -1; break; }
    }
    json_decref(a);
    return rc;
}

static void alerts(struct anoctx *c, int f, const double *x, size_t n, const int *flag,
                   const double *score, const json_t *times)
{
    const struct iot_anojob *j = c->j;
    struct iot_out *o = c->o;
    for (size_t i = 0; i < n; i++) {
        if (!flag[i]) continue;
        iot_anoalert_head(o, anoctx_key(c), flag[i] > 0 ? "spike" : "dip");
        iot_out_puts(o, ",\"field\":");
        iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
        iot_out_puts(o, ",\"index\":");
        iot_out_json_int(o, (int64_t)i);
        iot_out_puts(o, ",\"value\":");
        iot_out_json_num(o, x[i]);
        iot_out_puts(o, ",\"score\":");
        iot_out_json_num(o, score[i]);
        const char *sev = fabs(score[i]) >= 2 * j->dopt.k ? "critical" : "warning";
        if (times) iot_anoalert_tail_json(o, json_array_get(times, i), j->time_unit, sev);
        else iot_anoalert_tail(o, &c->vals[c->tidx], j->time_unit, sev);
    }
}

static void annotation(struct anoctx *c, int f, int period, size_t n, const int *flag,
                       const double *score, const double *base)
{
    const struct iot_anojob *j = c->j;
    struct iot_out *o = c->o;
    if (j->nf > 1) {
        if (f) iot_out_putc(o, ',');
        iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
        iot_out_puts(o, ":{");
    }
    iot_out_puts(o, "\"method\":\"decompose\"");
    if (j->nf == 1) {
        iot_out_puts(o, ",\"field\":");
        iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
    }
    iot_out_puts(o, ",\"period\":");
    iot_out_json_int(o, period);
    iot_out_puts(o, ",\"flags\":[");
    for (size_t i = 0; i < n; i++)
        iot_out_printf(o, i ? ",%d" : "%d", flag[i]);
    iot_out_puts(o, "],\"scores\":");
    put_array_num(o, score, n);
    iot_out_puts(o, ",\"baseline\":");
    put_array_num(o, base, n);
    if (j->nf > 1) iot_out_putc(o, '}');
}

void iot_anoseries_record(struct anoctx *c, const char *line, size_t len, const struct iot_src *src)
{
    const struct iot_anojob *j = c->j;
    struct iot_out *o = c->o;
    int nf = j->nf;
    double *xs[nf ? nf : 1];
    size_t ns[nf ? nf : 1];
    int bad = -1;
    for (int f = 0; f < nf; f++) {
        xs[f] = NULL;
        ns[f] = 0;
        const struct iot_val *v = &c->vals[c->fidx[f]];
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) {
            iot_stat_add("skipped", 1);
            continue;
        }
        if (decode(v, &xs[f], &ns[f]) < 0) { bad = f; break; }
    }
    /* the series' time axis: alerts take their element's time from it */
    json_t *times = NULL;
    const struct iot_val *tv = &c->vals[c->tidx];
    if (bad < 0 && tv->type == IOT_J_ARR) {
        times = json_loadb(tv->p, tv->n, JSON_DECODE_ANY, NULL);
        for (int f = 0; f < nf && bad < 0; f++)
            if (xs[f] && json_array_size(times) != ns[f]) {
                iot_reject(src, line, len, "bad value", "%s: %zu values for %zu times in %s",
                           j->fields[f], ns[f], json_array_size(times), j->time_field);
                bad = -2;
            }
    }
    if (bad != -1) {
        if (bad >= 0)
            iot_reject(src, line, len, "bad value", "%s: expected an array of numbers", j->fields[bad]);
        for (int f = 0; f < nf; f++) free(xs[f]);
        json_decref(times);
        return;
    }
    const struct iot_anorule *rule = iot_anorule_match(c->rules, j->nrules, c->vals);
    if (!j->alerts) {
        const struct iot_val *drop = &c->vals[c->aidx];
        int nm = iot_rec_open_edit(o, line, len, &drop, 1);
        iot_rec_member(o, &nm, "anomaly");
        iot_out_putc(o, '{');
    }
    for (int f = 0; f < nf; f++) {
        size_t n = ns[f];
        int *flag = iot_xmalloc((n ? n : 1) * sizeof(int));
        double *score = iot_xmalloc((n ? n : 1) * sizeof(double));
        double *base = iot_xmalloc((n ? n : 1) * sizeof(double));
        int period = xs[f] ? iot_series_decompose_anomalies(xs[f], n, &j->dopt, flag, score, base) : 0;
        if (j->alerts) alerts(c, f, xs[f], n, flag, score, times);
        else annotation(c, f, period, n, flag, score, base);
        free(flag);
        free(score);
        free(base);
        free(xs[f]);
    }
    json_decref(times);
    if (j->alerts) {
        if (rule) iot_anojob_rule_alert(c, rule);
        return;
    }
    iot_anojob_rule_member(c, rule);
    iot_out_putc(o, '}');
    iot_rec_close(o);
}
