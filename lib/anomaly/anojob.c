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
    (void)c;    /* the one value rule (core/rec.h): a finite JSON number, else a bad value */
    if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) return V_SKIP;
    return iot_val_num(v, x) == 0 ? V_NUM : V_BAD;
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
            iot_reject(src, line, len, "bad value", "%s: %s", j->fields[f],
                       iot_val_num_error(&c->vals[c->fidx[f]]));
            return;
        }
    }
    int64_t ts = 0;
    if (c->alarms) {
        const char *why;
        const struct iot_val *tv = &c->vals[c->tidx];
        if (tv->type == IOT_J_ABSENT || iot_val_time(tv, j->time_unit, &ts, &why) < 0) {
            iot_reject(src, line, len, "bad time", "%s: %s", j->time_field,
                       tv->type == IOT_J_ABSENT ? "missing (alarms need event time)" : why);
            return;
        }
    }
    struct iot_det *dets = NULL;
    if (nf || c->alarms) {
        if (!iot_key_build(&c->kb, c->vals, c->kidx, c->nkeys)) {
            iot_reject(src, line, len, "missing key", "%s: missing key field", j->key);
            return;
        }
    }
    if (nf) {
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
    /* auto learns each series' event interval from event time; a record without a readable
     * time is scored as if one usual interval had passed (counted: "untimed") */
    int64_t tdet = IOT_DET_NO_TIME;
    if (nf && j->det.method == IOT_DET_AUTO) {
        const char *why;
        if (c->alarms) tdet = ts;
        else if (iot_val_time(&c->vals[c->tidx], j->time_unit, &tdet, &why) < 0) {
            tdet = IOT_DET_NO_TIME;
            iot_stat_add("untimed", 1);
        }
    }
    struct iot_det_result res[nf ? nf : 1];
    for (int f = 0; f < nf; f++) {
        memset(&res[f], 0, sizeof res[f]);
        if (st[f] == V_NUM)
            iot_det_update_at(&dets[f], &j->det, x[f], tdet, &res[f]);
        else
            iot_stat_add("skipped", 1);
    }
    const struct iot_anorule *rule = iot_anorule_match(c->rules, j->nrules, c->vals);
    if (j->alerts) {
        struct iot_alarm_det dv[nf ? nf : 1];
        for (int f = 0; f < nf && j->episode > 0; f++)
            dv[f] = (struct iot_alarm_det){ st[f] == V_NUM, res[f].alert,
                                           res[f].alert && iot_anoalert_severity(&j->det, &res[f])[0] == 'c',
                                           res[f].dir, x[f] };
        for (int f = 0; f < nf && j->episode <= 0; f++) {
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
        if (c->acks) {
            if ((c->nrec++ & 63) == 0) iot_acks_poll(c->acks);
            const char *k, *name;
            size_t kl;
            int64_t at;
            while (iot_acks_pop(c->acks, ts, &k, &kl, &name, &at))
                if (at > c->acks_done) iot_alarms_ack(c->alarms, k, kl, name, at);
        }
        if (c->alarms && iot_alarms_record(c->alarms, o, c->vals, c->kb.p, c->kb.len, ts,
                                           j->episode > 0 ? dv : NULL) < 0)
            iot_reject(src, line, len, "too many keys", "more than %lld keys (--max-keys)",
                       (long long)j->max_keys);
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
    char **keys = iot_key_names(j->key, &c.nkeys);
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
    c.widx = iot_xcalloc((size_t)j->nwith + 1, sizeof *c.widx);
    for (int i = 0; i < j->nwith; i++)
        c.widx[i] = iot_fields_add(c.f, j->with[i]);
    if (j->alerts && !j->decompose && (j->nrules || j->absent > 0 || j->episode > 0)) {
        struct iot_alarm_cfg ac = { c.rules, j->nrules, c.f, c.kidx, c.nkeys, c.widx, j->nwith,
                                    j->renotify, j->absent, j->max_keys, c.fidx, j->nf, j->episode };
        char err[256];
        if (!(c.alarms = iot_alarms_new(&ac, err, sizeof err)))
            iot_usage("--rule: %s", err);
    }
    c.vals = iot_xcalloc((size_t)iot_fields_count(c.f) + 1, sizeof *c.vals);
    iot_buf_add(&c.kb, "", 0);    /* a valid pointer for -k none */

    c.tab = iot_keytab_new((size_t)(j->nf ? j->nf : 1) * sizeof(struct iot_det), (size_t)j->max_keys);
    struct iot_anostate_cfg sc = { &j->det, j->fields, j->nf, j->key, j->rules, j->nrules, j->absent, j->episode };
    const struct iot_commit cm = { o, paths, npaths };
    if (j->state) {
        iot_anostate_load(j->state, &sc, c.tab, &cm);
        const json_t *al = iot_anostate_alarms();
        if (c.alarms && json_is_object(al) && iot_alarms_load(c.alarms, al) < 0)
            iot_die(IOT_EX_DATAERR, "%s: malformed alarm state", j->state);
    }
    if (c.alarms && j->acks) {
        c.acks = iot_acks_open(j->acks, keys, c.nkeys, j->time_field, j->time_unit);
        c.acks_done = iot_alarms_acks_upto(c.alarms);
    }

    struct iot_in *in = iot_in_open(paths, npaths, max_line);
    iot_in_merge_by(in, j->time_field, j->time_unit);   /* several inputs: one stream in time order */
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (iot_rec_read(c.f, line, len, c.vals, &src) < 0)
            continue;
        if (j->decompose)
            iot_anoseries_record(&c, line, len, &src);
        else
            detect_record(&c, line, len, &src);
    }
    iot_in_close(in);
    if (c.acks) iot_acks_poll(c.acks);   /* read to the end; acks later than the input wait for the next run */
    if (j->state)
        iot_anostate_save(j->state, &sc, c.tab, c.alarms ? iot_alarms_save(c.alarms) : NULL, &cm);
    int64_t late = iot_stat_get("alarm_late"), active = c.alarms ? iot_alarms_active(c.alarms) : 0;
    if (late && !j->quiet)
        iot_warn("%lld records older than their alarm's latest record were left out of the alarms "
                 "(out of order); --stats for details", (long long)late);
    if (active && !j->state && !j->quiet)
        iot_warn("%lld alarms still active at the end of input (not cleared; --state FILE keeps them)",
                 (long long)active);

    iot_acks_close(c.acks);
    iot_alarms_free(c.alarms);
    free(c.widx);
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
