/* mvjob: the record loop of iot-anomaly -m t2. See mvjob.h. */
#include "mvjob.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anoalert.h"
#include "anostate.h"
#include "mvmodel.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/key.h"
#include "core/keytab.h"
#include "core/rec.h"
#include "core/state.h"

#define STATE_KIND "iot-anomaly"
#define MODEL_KIND "iot-anomaly-model"
#define MODEL_VERSION 1

enum phase { PH_BASELINE = 0, PH_MODEL, PH_NOMODEL };

struct mvser {
    int phase;
    bool have_t0, alarm;
    int64_t t0;                   /* first event time (duration baselines) */
    uint32_t rn, rpos, below;
    double rt[IOT_MV_MAXWIN], rq[IOT_MV_MAXWIN];   /* T²/limit and SPE/limit, last window */
    struct iot_mvacc acc;
    struct iot_mvmodel mo;
};

struct mvslot { struct mvser *s; };

struct mvctx {
    const struct iot_mvjob *j;
    struct iot_out *o;
    struct iot_fields *f;
    int nkeys, *kidx, *fidx, tidx, aidx, midx;
    struct iot_val *vals;
    struct iot_buf kb, mb;
    struct iot_keytab *tab;
    const struct iot_mvmodel *shared;   /* a model file learned with -k none: every key */
    struct iot_keytab *models;          /* per-key models from --model, or NULL */
    char first_drop[200];
};

static struct mvser *ser_new(const struct iot_mvjob *j)
{
    struct mvser *s = iot_xcalloc(1, sizeof *s);
    iot_mvacc_init(&s->acc, j->nf);
    return s;
}

static void free_slot(void *v)
{
    free(((struct mvslot *)v)->s);
}

/* Median of the last n of ring r (n ≤ IOT_MV_MAXWIN). */
static double ring_median(const double *r, uint32_t n)
{
    double v[IOT_MV_MAXWIN];
    memcpy(v, r, n * sizeof *v);
    for (uint32_t i = 1; i < n; i++)   /* insertion sort: n is small */
        for (uint32_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double t = v[k]; v[k] = v[k - 1]; v[k - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void fit(struct mvctx *c, struct mvser *s, const char *key, size_t kl)
{
    const struct iot_mvjob *j = c->j;
    int rc = iot_mvmodel_fit(&s->mo, &s->acc, j->explained, j->confidence, j->longrun);
    if (rc < 0) {
        s->phase = PH_NOMODEL;
        if (!j->quiet)
            iot_warn("key %.*s: no model from a baseline of %.0f records (%s); its records are scored on none",
                     (int)kl, key, s->acc.n, rc == -1 ? "fewer than fields + 2, or no field varies"
                                                     : "eigen-decomposition did not converge");
        return;
    }
    s->phase = PH_MODEL;
    for (int f = 0; f < j->nf; f++)
        if (!s->mo.used[f]) {
            if (!iot_stat_get("mv_dropped"))
                snprintf(c->first_drop, sizeof c->first_drop, "key %.*s field %s", (int)(kl > 80 ? 80 : kl),
                         key, j->fields[f]);
            iot_stat_add("mv_dropped", 1);
        }
}

static void put_null(struct mvctx *c, const char *why)
{
    struct iot_out *o = c->o;
    iot_out_puts(o, "{\"score\":null,\"isAnomaly\":false,\"method\":\"t2\"");
    if (why) {
        iot_out_puts(o, ",\"");
        iot_out_puts(o, why);
        iot_out_puts(o, "\":true");
    }
    iot_out_putc(o, '}');
}

static void write_annotation(struct mvctx *c, const char *line, size_t len, const struct mvser *s,
                             double score, double t2, double spe, const double *contrib, const char *why)
{
    const struct iot_mvjob *j = c->j;
    struct iot_out *o = c->o;
    const struct iot_val *drop = &c->vals[c->aidx];
    int nm = iot_rec_open_edit(o, line, len, &drop, 1);
    iot_rec_member(o, &nm, "anomaly");
    if (!contrib) {
        put_null(c, why);
    } else {
        iot_out_puts(o, "{\"score\":");
        iot_anoalert_score(o, IOT_DET_AUTO, score);
        iot_out_puts(o, s->alarm ? ",\"isAnomaly\":true" : ",\"isAnomaly\":false");
        iot_out_puts(o, ",\"method\":\"t2\",\"fields\":[");
        int n = 0;
        for (int f = 0; f < j->nf; f++)
            if (s->mo.used[f]) {
                if (n++) iot_out_putc(o, ',');
                iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
            }
        iot_out_puts(o, "],\"t2\":");
        iot_out_json_num(o, t2);
        iot_out_puts(o, ",\"spe\":");
        iot_out_json_num(o, spe);
        iot_out_puts(o, ",\"contrib\":{");
        n = 0;
        for (int f = 0; f < j->nf; f++)
            if (s->mo.used[f]) {
                if (n++) iot_out_putc(o, ',');
                iot_out_json_str(o, j->fields[f], strlen(j->fields[f]));
                iot_out_putc(o, ':');
                iot_anoalert_score(o, IOT_DET_AUTO, contrib[f]);
            }
        iot_out_puts(o, "}}");
    }
    iot_rec_close(o);
}

static const struct iot_mvmodel *model_for(struct mvctx *c, const char *k, size_t kl)
{
    if (c->shared) return c->shared;
    if (!c->models) return NULL;
    return iot_keytab_find(c->models, k, kl);
}

static void record(struct mvctx *c, const char *line, size_t len, const struct iot_src *src)
{
    const struct iot_mvjob *j = c->j;
    int nf = j->nf;
    double x[IOT_MV_MAXF];
    bool missing = false;
    for (int f = 0; f < nf; f++) {
        const struct iot_val *v = &c->vals[c->fidx[f]];
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) {
            missing = true;
        } else if (iot_val_num(v, &x[f]) < 0) {
            iot_reject(src, line, len, "bad value", "%s: %s", j->fields[f], iot_val_num_error(v));
            return;
        }
    }
    int64_t ts = 0;
    if (j->baseline_ns > 0) {
        const char *why;
        const struct iot_val *tv = &c->vals[c->tidx];
        if (tv->type == IOT_J_ABSENT || iot_val_time(tv, j->time_unit, &ts, &why) < 0) {
            iot_reject(src, line, len, "bad time", "%s: %s", j->time_field,
                       tv->type == IOT_J_ABSENT ? "missing (a --baseline DURATION needs event time)" : why);
            return;
        }
    }
    if (!iot_key_build(&c->kb, c->vals, c->kidx, c->nkeys)) {
        iot_reject(src, line, len, "missing key", "%s: missing key field", j->key);
        return;
    }
    const char *k = c->kb.p ? c->kb.p : "";
    size_t kl = c->kb.len;
    int created;
    struct mvslot *slot = iot_keytab_get(c->tab, k, kl, &created);
    if (!slot) {
        iot_reject(src, line, len, "too many keys", "more than %lld keys (--max-keys)", (long long)j->max_keys);
        return;
    }
    if (!slot->s) {
        slot->s = ser_new(j);
        const struct iot_mvmodel *m;
        if (j->model_by && !c->shared) {
            iot_key_build(&c->mb, c->vals, &c->midx, 1);
            m = model_for(c, c->mb.p ? c->mb.p : "", c->mb.len);
        } else {
            m = model_for(c, k, kl);
        }
        if (m) {
            slot->s->mo = *m;
            slot->s->phase = PH_MODEL;
        } else if (c->models || c->shared) {
            if (!j->baseline_n && !j->baseline_ns) slot->s->phase = PH_NOMODEL;
        }
    }
    struct mvser *s = slot->s;
    if (missing) {
        iot_stat_add("mv_missing", 1);
        if (!j->learn && !j->alerts) write_annotation(c, line, len, s, 0, 0, 0, NULL, "missing");
        return;
    }
    if (s->phase == PH_BASELINE && j->baseline_ns > 0) {
        if (!s->have_t0) {
            s->have_t0 = true;
            s->t0 = ts;
        }
        if (ts - s->t0 >= j->baseline_ns) fit(c, s, k, kl);
    }
    if (s->phase == PH_BASELINE) {
        iot_mvacc_add(&s->acc, x);
        iot_stat_add("mv_baseline", 1);
        if (j->baseline_n > 0 && s->acc.n >= (double)j->baseline_n) fit(c, s, k, kl);
        if (!j->learn && !j->alerts) write_annotation(c, line, len, s, 0, 0, 0, NULL, "baseline");
        return;
    }
    if (s->phase == PH_NOMODEL) {
        iot_stat_add("mv_nomodel", 1);
        if (!j->alerts) write_annotation(c, line, len, s, 0, 0, 0, NULL, "noModel");
        return;
    }
    double t2, spe, contrib[IOT_MV_MAXF];
    iot_mvmodel_score(&s->mo, x, &t2, &spe, contrib);
    s->rt[s->rpos] = t2 / s->mo.t2_limit;
    s->rq[s->rpos] = spe / s->mo.q_limit;
    s->rpos = (s->rpos + 1) % (uint32_t)j->window;
    if (s->rn < (uint32_t)j->window) s->rn++;
    double r = fmax(ring_median(s->rt, s->rn), ring_median(s->rq, s->rn));
    bool was = s->alarm;
    if (r >= 1) {
        s->alarm = true;
        s->below = 0;
    } else if (s->alarm && ++s->below >= (uint32_t)j->hold) {
        s->alarm = false;
    }
    double score = r / (1 + r);
    if (!j->alerts) {
        write_annotation(c, line, len, s, score, t2, spe, contrib, NULL);
        return;
    }
    if (!s->alarm || was) return;
    int top = -1;
    for (int f = 0; f < nf; f++)
        if (s->mo.used[f] && (top < 0 || contrib[f] > contrib[top])) top = f;
    iot_anoalert_head(c->o, c->nkeys ? &c->vals[c->kidx[0]] : NULL, "condition");
    iot_out_puts(c->o, ",\"field\":");
    iot_out_json_str(c->o, j->fields[top], strlen(j->fields[top]));
    iot_out_puts(c->o, ",\"value\":");
    iot_out_json_num(c->o, x[top]);
    iot_out_puts(c->o, ",\"score\":");
    iot_anoalert_score(c->o, IOT_DET_AUTO, score);
    iot_out_puts(c->o, ",\"contrib\":");
    iot_anoalert_score(c->o, IOT_DET_AUTO, contrib[top]);
    iot_anoalert_tail(c->o, &c->vals[c->tidx], j->time_unit, r >= 2 ? "critical" : "warning");
}

/* ---- model and state files ---- */

static json_t *config(const struct iot_mvjob *j, bool model)
{
    json_t *f = json_array();
    for (int i = 0; i < j->nf; i++)
        json_array_append_new(f, json_string(j->fields[i]));
    json_t *c = json_pack("{s:s, s:o, s:s, s:o, s:o}", "method", "t2", "fields", f, "key", j->key,
                          "explained", iot_json_real(j->explained), "confidence", iot_json_real(j->confidence));
    json_object_set_new(c, "longRun", json_boolean(j->longrun));
    if (!model) {
        json_object_set_new(c, "baselineN", json_integer(j->baseline_n));
        json_object_set_new(c, "baselineNs", json_integer(j->baseline_ns));
        json_object_set_new(c, "window", json_integer(j->window));
        json_object_set_new(c, "hold", json_integer(j->hold));
        json_object_set_new(c, "model", j->model ? json_string(j->model) : json_null());
        json_object_set_new(c, "modelBy", j->model_by ? json_string(j->model_by) : json_null());
    }
    return c;
}

static void save_model(struct mvctx *c)
{
    const struct iot_mvjob *j = c->j;
    json_t *models = json_array();
    size_t pos = 0, nk = 0;
    struct mvslot *sl;
    while ((sl = iot_keytab_next(c->tab, &pos))) {
        size_t kl;
        const char *k = iot_keytab_key(sl, &kl);
        if (sl->s->phase == PH_BASELINE) fit(c, sl->s, k, kl);
        if (sl->s->phase != PH_MODEL) continue;
        json_array_append_new(models, json_pack("{s:s%, s:o}", "key", k, kl, "model", iot_mvmodel_save(&sl->s->mo)));
        nk++;
    }
    iot_state_save(j->learn, MODEL_KIND, MODEL_VERSION,
                   json_pack("{s:o, s:o}", "config", config(j, true), "models", models));
    if (!j->quiet) iot_warn("%s: %zu models learned", j->learn, nk);
}

static void load_model(struct mvctx *c)
{
    const struct iot_mvjob *j = c->j;
    json_t *body = iot_state_load(j->model, MODEL_KIND, MODEL_VERSION);
    if (!body) iot_die(IOT_EX_NOINPUT, "%s: no such model file", j->model);
    const json_t *cfg = json_object_get(body, "config"), *fields = json_object_get(cfg, "fields");
    json_t *want = json_array();
    for (int i = 0; i < j->nf; i++)
        json_array_append_new(want, json_string(j->fields[i]));
    if (!json_equal(want, fields))
        iot_die(IOT_EX_DATAERR, "%s: model of other fields (learned with -f %s...); use the same -f", j->model,
                json_is_array(fields) && json_is_string(json_array_get(fields, 0))
                    ? json_string_value(json_array_get(fields, 0)) : "?");
    json_decref(want);
    const char *mkey = json_string_value(json_object_get(cfg, "key"));
    if (!mkey) iot_die(IOT_EX_DATAERR, "%s: malformed model file (no key)", j->model);
    bool one = strcmp(mkey, "none") == 0;
    const char *want_key = j->model_by ? j->model_by : j->key;
    if (!one && strcmp(mkey, want_key) != 0)
        iot_die(IOT_EX_DATAERR, "%s: models per key '%s', not '%s' (%s)", j->model, mkey, want_key,
                j->model_by ? "--model-by" : "-k");
    const json_t *models = json_object_get(body, "models");
    if (!json_is_array(models)) iot_die(IOT_EX_DATAERR, "%s: malformed model file (no models)", j->model);
    c->models = iot_keytab_new(sizeof(struct iot_mvmodel), 0);
    size_t i;
    const json_t *m;
    json_array_foreach(models, i, m) {
        const json_t *k = json_object_get(m, "key");
        int created;
        struct iot_mvmodel *mo = json_is_string(k) ? iot_keytab_get(c->models, json_string_value(k),
                                                                    json_string_length(k), &created) : NULL;
        if (!mo || iot_mvmodel_load(mo, j->nf, json_object_get(m, "model")) < 0)
            iot_die(IOT_EX_DATAERR, "%s: model %zu: malformed", j->model, i);
        if (one) c->shared = mo;
    }
    json_decref(body);
}

static json_t *save_ser(const struct mvser *s, int window)
{
    json_t *o = json_pack("{s:i, s:b, s:b, s:I, s:i, s:i, s:i}", "phase", s->phase, "alarm", s->alarm,
                          "haveT0", s->have_t0, "t0", (json_int_t)s->t0, "rn", (int)s->rn,
                          "rpos", (int)s->rpos, "below", (int)s->below);
    json_t *rt = json_array(), *rq = json_array();
    for (int i = 0; i < window; i++) {
        json_array_append_new(rt, iot_json_real(s->rt[i]));
        json_array_append_new(rq, iot_json_real(s->rq[i]));
    }
    json_object_set_new(o, "rt", rt);
    json_object_set_new(o, "rq", rq);
    if (s->phase == PH_BASELINE) json_object_set_new(o, "acc", iot_mvacc_save(&s->acc));
    if (s->phase == PH_MODEL) json_object_set_new(o, "model", iot_mvmodel_save(&s->mo));
    return o;
}

static int load_ser(struct mvser *s, const struct iot_mvjob *j, const json_t *o)
{
    const json_t *rt = json_object_get(o, "rt"), *rq = json_object_get(o, "rq");
    json_int_t ph = json_integer_value(json_object_get(o, "phase"));
    s->phase = (int)ph;
    s->alarm = json_is_true(json_object_get(o, "alarm"));
    s->have_t0 = json_is_true(json_object_get(o, "haveT0"));
    s->t0 = iot_json_get_int(o, "t0", 0);
    s->rn = (uint32_t)iot_json_get_int(o, "rn", -1);
    s->rpos = (uint32_t)iot_json_get_int(o, "rpos", -1);
    s->below = (uint32_t)iot_json_get_int(o, "below", -1);
    if (ph < PH_BASELINE || ph > PH_NOMODEL || s->rn > (uint32_t)j->window || s->rpos >= (uint32_t)j->window ||
        !json_is_array(rt) || !json_is_array(rq) || json_array_size(rt) != (size_t)j->window ||
        json_array_size(rq) != (size_t)j->window)
        return -1;
    for (int i = 0; i < j->window; i++) {
        s->rt[i] = json_number_value(json_array_get(rt, (size_t)i));
        s->rq[i] = json_number_value(json_array_get(rq, (size_t)i));
    }
    if (ph == PH_BASELINE && iot_mvacc_load(&s->acc, j->nf, json_object_get(o, "acc")) < 0) return -1;
    if (ph == PH_MODEL && iot_mvmodel_load(&s->mo, j->nf, json_object_get(o, "model")) < 0) return -1;
    return 0;
}

static void load_state(struct mvctx *c)
{
    const struct iot_mvjob *j = c->j;
    json_t *body = iot_state_load(j->state, STATE_KIND, IOT_ANOSTATE_VERSION);
    if (!body) return;
    json_t *cfg = config(j, false);
    if (!json_equal(cfg, json_object_get(body, "config")))
        iot_die(IOT_EX_DATAERR, "%s: state was saved with other options (method, fields, key, --baseline, "
                "--explained, --confidence, --window, --hold or --model); remove it or use the same options", j->state);
    json_decref(cfg);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(body, "mv"), i, e) {
        const json_t *k = json_object_get(e, "key");
        if (!json_is_string(k)) iot_die(IOT_EX_DATAERR, "%s: series %zu: malformed", j->state, i);
        int created;
        struct mvslot *sl = iot_keytab_get(c->tab, json_string_value(k), json_string_length(k), &created);
        if (!sl) iot_die(IOT_EX_DATAERR, "%s: more keys than --max-keys", j->state);
        if (!sl->s) sl->s = ser_new(j);
        if (load_ser(sl->s, j, json_object_get(e, "s")) < 0)
            iot_die(IOT_EX_DATAERR, "%s: series %zu: bad model state", j->state, i);
    }
    json_decref(body);
}

static void save_state(struct mvctx *c)
{
    json_t *mv = json_array();
    size_t pos = 0;
    struct mvslot *sl;
    while ((sl = iot_keytab_next(c->tab, &pos))) {
        size_t kl;
        const char *k = iot_keytab_key(sl, &kl);
        json_array_append_new(mv, json_pack("{s:s%, s:o}", "key", k, kl, "s", save_ser(sl->s, c->j->window)));
    }
    iot_state_save(c->j->state, STATE_KIND, IOT_ANOSTATE_VERSION,
                   json_pack("{s:o, s:o}", "config", config(c->j, false), "mv", mv));
}

void iot_mvjob_run(const struct iot_mvjob *j, char **paths, int npaths, size_t max_line, struct iot_out *o)
{
    struct mvctx c = { .j = j, .o = o };
    c.f = iot_fields_new();
    char **keys = iot_key_names(j->key, &c.nkeys);
    c.kidx = iot_xcalloc((size_t)c.nkeys + 1, sizeof *c.kidx);
    for (int k = 0; k < c.nkeys; k++)
        c.kidx[k] = iot_fields_add(c.f, keys[k]);
    c.tidx = iot_fields_add(c.f, j->time_field);
    c.aidx = iot_fields_add(c.f, "anomaly");
    if (j->model_by) c.midx = iot_fields_add(c.f, j->model_by);
    c.fidx = iot_xcalloc((size_t)j->nf + 1, sizeof *c.fidx);
    for (int f = 0; f < j->nf; f++)
        c.fidx[f] = iot_fields_add(c.f, j->fields[f]);
    c.vals = iot_xcalloc((size_t)iot_fields_count(c.f) + 1, sizeof *c.vals);
    iot_buf_add(&c.kb, "", 0);
    c.tab = iot_keytab_new(sizeof(struct mvslot), (size_t)j->max_keys);
    if (j->model) load_model(&c);
    if (j->state) load_state(&c);

    struct iot_in *in = iot_in_open(paths, npaths, max_line);
    iot_in_merge_by(in, j->time_field, j->time_unit);
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (iot_rec_read(c.f, line, len, c.vals, &src) < 0)
            continue;
        record(&c, line, len, &src);
    }
    iot_in_close(in);
    if (j->learn) save_model(&c);
    if (j->state) save_state(&c);
    int64_t miss = iot_stat_get("mv_missing"), drop = iot_stat_get("mv_dropped"),
            nomodel = iot_stat_get("mv_nomodel");
    if (!j->quiet) {
        if (miss)
            iot_warn("%lld records without every model field were scored on none (never zero-filled)",
                     (long long)miss);
        if (drop)
            iot_warn("%lld fields constant in their baseline were left out of the model (first: %s)",
                     (long long)drop, c.first_drop);
        if (nomodel)
            iot_warn("%lld records of keys without a model were scored on none", (long long)nomodel);
    }
    iot_keytab_free(c.tab, free_slot);
    if (c.models) iot_keytab_free(c.models, NULL);
    iot_strv_free(keys);
    iot_fields_free(c.f);
    iot_buf_free(&c.kb);
    iot_buf_free(&c.mb);
    free(c.vals);
    free(c.kidx);
    free(c.fidx);
}
