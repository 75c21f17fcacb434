/* anojob: the per-record loop of iot-anomaly. See anojob.h. */
#include "anojob_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anoalert.h"
#include "anostate.h"
#include "core/cli.h"
#include "core/diag.h"
#include "core/key.h"
#include "core/state.h"

enum vstate { V_NUM, V_SKIP, V_BAD };

/* A field value: a JSON number, a numeric string, or null/absent/"NaN" (skipped). */
static enum vstate value_of(struct anoctx *c, const struct iot_val *v, double *x)
{
    switch (v->type) {
    case IOT_J_NUM:
        iot_val_num(v, x);
        return isfinite(*x) ? V_NUM : V_SKIP;
    case IOT_J_ABSENT: case IOT_J_NULL:
        return V_SKIP;
    case IOT_J_STR: {
        iot_buf_reset(&c->tmp);
        iot_val_str(v, &c->tmp);
        char *end;
        const char *s = c->tmp.p ? c->tmp.p : "";
        *x = strtod(s, &end);
        if (end == s || *end)
            return V_BAD;
        return isnan(*x) ? V_SKIP : isfinite(*x) ? V_NUM : V_BAD;
    }
    default:
        return V_BAD;
    }
}

void iot_anojob_rule_member(const struct anoctx *c, const struct iot_anorule *r)
{
    if (!c->j->nrules) return;
    iot_out_puts(c->o, ",\"rule\":");
    if (r) iot_out_json_str(c->o, r->name, strlen(r->name));
    else iot_out_puts(c->o, "null");
}

void iot_anojob_rule_alert(const struct anoctx *c, const struct iot_anorule *r)
{
    iot_anoalert_head(c->o, anoctx_key(c), r->name);
    iot_out_puts(c->o, ",\"field\":null,\"value\":null,\"score\":null");
    iot_anoalert_tail(c->o, &c->vals[c->tidx], c->j->time_unit, r->severity);
}

static void put_result(struct anoctx *c, int f, const struct iot_det_result *r, bool have, bool named)
{
    struct iot_out *o = c->o;
    iot_out_puts(o, "{\"score\":");
    if (have) iot_anoalert_score(o, c->j->det.method, r->score);
    else iot_out_puts(o, "null");
    iot_out_puts(o, r->alert ? ",\"isAnomaly\":true,\"method\":\"" : ",\"isAnomaly\":false,\"method\":\"");
    iot_out_puts(o, iot_det_method_name(c->j->det.method));
    iot_out_putc(o, '"');
    if (named) {
        iot_out_puts(o, ",\"field\":");
        iot_out_json_str(o, c->j->fields[f], strlen(c->j->fields[f]));
    }
}

static void detect_record(struct anoctx *c, const char *line, size_t len, const struct iot_src *src)
{
    const struct iot_anojob *j = c->j;
    struct iot_out *o = c->o;
    int nf = j->nf;
    double x[nf ? nf : 1];
    enum vstate st[nf ? nf : 1];
    for (int f = 0; f < nf; f++) {
        st[f] = value_of(c, &c->vals[c->fidx[f]], &x[f]);
        if (st[f] == V_BAD) {
            iot_reject(src, line, len, "bad value", "%s: expected a number", j->fields[f]);
            return;
        }
    }
    struct iot_det *dets = NULL;
    if (nf) {
        if (!iot_key_build(&c->kb, c->vals, c->kidx, c->nkeys) && c->nkeys) {
            iot_reject(src, line, len, "missing key", "%s: missing key field", j->key);
            return;
        }
        int created;
        dets = iot_keytab_get(c->tab, c->kb.p ? c->kb.p : "", c->kb.len, &created);
        if (!dets) {
            iot_reject(src, line, len, "too many keys", "more than %lld keys (--max-keys)",
                       (long long)j->max_keys);
            return;
        }
        if (created)
            for (int f = 0; f < nf; f++)
                iot_det_init(&dets[f], &j->det);
    }
    struct iot_det_result res[nf ? nf : 1];
    for (int f = 0; f < nf; f++) {
        memset(&res[f], 0, sizeof res[f]);
        if (st[f] == V_NUM)
            iot_det_update(&dets[f], &j->det, x[f], &res[f]);
        else
            iot_stat_add("skipped", 1);
    }
    const struct iot_anorule *rule = iot_anorule_match(c->rules, j->nrules, c->vals);
    if (j->alerts) {
        for (int f = 0; f < nf; f++) {
            if (!res[f].alert) continue;
            iot_anoalert_head(o, anoctx_key(c), iot_anoalert_type(&j->det, &res[f]));
            iot_out_puts(o, ",\"field\":");
            iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
            iot_out_puts(o, ",\"value\":");
            iot_out_json_num(o, x[f]);
            iot_out_puts(o, ",\"score\":");
            iot_anoalert_score(o, j->det.method, res[f].score);
            iot_anoalert_tail(o, &c->vals[c->tidx], j->time_unit, iot_anoalert_severity(&j->det, &res[f]));
        }
        if (rule) iot_anojob_rule_alert(c, rule);
        return;
    }
    const struct iot_val *drop = &c->vals[c->aidx];
    int nm = iot_rec_open_edit(o, line, len, &drop, 1);
    iot_rec_member(o, &nm, "anomaly");
    if (nf == 1) {
        put_result(c, 0, &res[0], st[0] == V_NUM, true);
    } else {
        iot_out_putc(o, '{');
        for (int f = 0; f < nf; f++) {
            if (f) iot_out_putc(o, ',');
            iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
            iot_out_putc(o, ':');
            put_result(c, f, &res[f], st[f] == V_NUM, false);
            iot_out_putc(o, '}');
        }
        if (nf == 0)   /* rules only */
            iot_out_puts(o, rule ? "\"isAnomaly\":true" : "\"isAnomaly\":false");
    }
    iot_anojob_rule_member(c, rule);
    iot_out_putc(o, '}');
    iot_rec_close(o);
}

static void free_slot_ctx(void *v, const struct iot_anojob *j)
{
    struct iot_det *d = v;
    for (int f = 0; f < j->nf; f++)
        iot_det_free(&d[f], &j->det);
}

static const struct iot_anojob *freeing;   /* keytab's free callback takes no context */
static void free_slot(void *v) { free_slot_ctx(v, freeing); }

void iot_anojob_run(const struct iot_anojob *j, char **paths, int npaths, size_t max_line,
                    struct iot_out *o)
{
    struct anoctx c = { .j = j, .o = o };
    c.f = iot_fields_new();
    char **keys = NULL;
    if (strcmp(j->key, "none") != 0)
        keys = iot_split(j->key, ',', &c.nkeys);
    c.kidx = iot_xcalloc((size_t)c.nkeys + 1, sizeof *c.kidx);
    for (int k = 0; k < c.nkeys; k++)
        c.kidx[k] = iot_fields_add(c.f, keys[k]);
    c.tidx = iot_fields_add(c.f, j->time_field);
    c.aidx = iot_fields_add(c.f, "anomaly");
    c.fidx = iot_xcalloc((size_t)j->nf + 1, sizeof *c.fidx);
    for (int f = 0; f < j->nf; f++)
        c.fidx[f] = iot_fields_add(c.f, j->fields[f]);
    c.rules = iot_xcalloc((size_t)j->nrules + 1, sizeof *c.rules);
    for (int i = 0; i < j->nrules; i++) {
        char err[256];
        if (iot_anorule_compile(&c.rules[i], j->rules[i], c.f, err, sizeof err) < 0)
            iot_usage("--rule '%s': %s", j->rules[i], err);
    }
    c.vals = iot_xcalloc((size_t)iot_fields_count(c.f) + 1, sizeof *c.vals);
    iot_buf_add(&c.kb, "", 0);    /* a valid pointer for -k none */

    c.tab = iot_keytab_new((size_t)(j->nf ? j->nf : 1) * sizeof(struct iot_det), (size_t)j->max_keys);
    struct iot_anostate_cfg sc = { &j->det, j->fields, j->nf, j->key };
    const struct iot_commit cm = { o, paths, npaths };
    if (j->state)
        iot_anostate_load(j->state, &sc, c.tab, &cm);

    struct iot_in *in = iot_in_open(paths, npaths, max_line);
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        const char *err;
        if (iot_rec_scan(c.f, line, len, c.vals, &err) < 0) {
            iot_reject(&src, line, len, "bad json", "%s", err);
            continue;
        }
        if (j->decompose)
            iot_anoseries_record(&c, line, len, &src);
        else
            detect_record(&c, line, len, &src);
    }
    iot_in_close(in);
    if (j->state)
        iot_anostate_save(j->state, &sc, c.tab, &cm);

    freeing = j;
    iot_keytab_free(c.tab, free_slot);
    for (int i = 0; i < j->nrules; i++)
        iot_anorule_free(&c.rules[i]);
    free(c.rules);
    iot_strv_free(keys);
    iot_fields_free(c.f);
    iot_buf_free(&c.kb);
    iot_buf_free(&c.tmp);
    free(c.vals);
    free(c.kidx);
    free(c.fidx);
}
