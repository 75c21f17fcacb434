#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/diag.h"
#include "model.h"
#include "core/out.h"
#include "core/state.h"

#define EDGES_PER 255

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *real_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, iot_json_real(v[i]));
    return a;
}

json_t *iot_model_to_json(const struct iot_model *m)
{
    json_t *j = json_object();
    json_object_set_new(j, "iotkit_model", json_string("iot-predict"));
    json_object_set_new(j, "format", json_integer(IOT_MODEL_FORMAT));
    json_object_set_new(j, "written_by", json_string("iot-predict " IOT_VERSION));
    json_object_set_new(j, "task", json_string(m->classify ? "classify" : "regress"));
    json_object_set_new(j, "label", str_or_null(m->label));
    json_object_set_new(j, "label_from", str_or_null(m->label_from));
    json_object_set_new(j, "horizon_ns", m->label_from ? json_integer(m->horizon) : json_null());
    json_object_set_new(j, "cap", iot_json_real(m->cap));
    json_object_set_new(j, "reset_on", str_or_null(m->reset_on));
    json_object_set_new(j, "key", json_string(m->key));
    json_object_set_new(j, "time_field", json_string(m->time_field));
    json_object_set_new(j, "output", json_string(m->output));
    json_object_set_new(j, "threshold", iot_json_real(m->threshold));
    json_object_set_new(j, "features", iot_featspec_to_json(m->spec));
    if (m->gbdt) {
        const struct iot_gbdt *g = m->gbdt;
        json_t *o = json_object(), *edges = json_array(), *trees = json_array();
        size_t nodes = ((size_t)1 << g->depth) - 1, leaves = (size_t)1 << g->depth;
        for (int f = 0; f < g->p; f++) {
            json_t *e = json_array();
            for (int k = 0; k < g->nedges[f]; k++)
                json_array_append_new(e, json_real(g->edges[(size_t)f * EDGES_PER + k]));
            json_array_append_new(edges, e);
        }
        for (int t = 0; t < g->n_trees; t++) {
            json_t *fa = json_array(), *ba = json_array();
            for (size_t k = 0; k < nodes; k++) {
                json_array_append_new(fa, json_integer(g->feat[t * nodes + k]));
                json_array_append_new(ba, json_integer(g->bin[t * nodes + k]));
            }
            json_array_append_new(trees, json_pack("{s:o,s:o,s:o}", "feature", fa, "bin", ba,
                                                   "leaf", real_array(g->leaf + t * leaves, leaves)));
        }
        json_t *imp = json_array();
        for (int f = 0; f < g->p; f++)
            json_array_append_new(imp, json_pack("{s:o,s:I}", "gain", iot_json_real(g->gain[f]),
                                                 "splits", (json_int_t)g->splits[f]));
        json_object_set_new(o, "loss", json_string(g->loss == IOT_LOSS_LOGLOSS ? "logloss" : "squared"));
        json_object_set_new(o, "depth", json_integer(g->depth));
        json_object_set_new(o, "base", iot_json_real(g->base));
        json_object_set_new(o, "edges", edges);
        json_object_set_new(o, "importance", imp);
        json_object_set_new(o, "trees", trees);
        json_object_set_new(j, "gbdt", o);
    } else {
        const struct iot_linmodel *l = m->lin;
        json_object_set_new(j, "linear", json_pack("{s:b,s:o,s:o,s:o,s:o}", "logistic", l->logistic,
            "mean", real_array(l->mean, (size_t)l->p), "sd", real_array(l->sd, (size_t)l->p),
            "weights", real_array(l->w, (size_t)l->p), "intercept", iot_json_real(l->b)));
    }
    if (m->metrics)
        json_object_set(j, "metrics", m->metrics);
    if (m->data)
        json_object_set(j, "training_data", m->data);
    json_object_set_new(j, "card", json_pack("{s:o,s:o}", "tag", str_or_null(m->tag),
                        "training_seconds", iot_json_real(m->train_seconds)));
    return j;
}

void iot_model_save(const struct iot_model *m, const char *path)
{
    json_t *j = iot_model_to_json(m);
    iot_sealed_save(path, j);      /* core/state.h: CRC-32C over the content, atomic */
    json_decref(j);
}

static char *dup_or_null(const json_t *v) { return json_is_string(v) ? iot_xstrdup(json_string_value(v)) : NULL; }

static int reals(const json_t *a, double *out, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n) return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(a, i);
        if (json_is_null(e)) out[i] = NAN;
        else if (json_is_number(e)) out[i] = json_number_value(e);
        else return -1;
    }
    return 0;
}

#define FAIL(...) do { snprintf(err, cap, __VA_ARGS__); goto fail; } while (0)

struct iot_model *iot_model_from_json(const json_t *j, char *err, size_t cap)
{
    struct iot_model *m = iot_xcalloc(1, sizeof *m);
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "iotkit_model")) ||
        strcmp(json_string_value(json_object_get(j, "iotkit_model")), "iot-predict") != 0)
        FAIL("not an iot-predict model");
    const json_t *fmt = json_object_get(j, "format");
    if (!json_is_integer(fmt))
        FAIL("no format version");
    if (json_integer_value(fmt) >= 1 && json_integer_value(fmt) < IOT_MODEL_FORMAT)
        FAIL("model format %lld was written by an older iot-predict, this one reads format %d "
             "(regimes, since() and the model card came with it): train the model again",
             (long long)json_integer_value(fmt), IOT_MODEL_FORMAT);
    if (json_integer_value(fmt) != IOT_MODEL_FORMAT)
        FAIL("model format %lld, this iot-predict reads format %d", (long long)json_integer_value(fmt),
             IOT_MODEL_FORMAT);
    const char *task = json_string_value(json_object_get(j, "task"));
    if (!task || (strcmp(task, "classify") && strcmp(task, "regress")))
        FAIL("task must be classify or regress");
    m->classify = strcmp(task, "classify") == 0;
    m->label = dup_or_null(json_object_get(j, "label"));
    m->label_from = dup_or_null(json_object_get(j, "label_from"));
    m->reset_on = dup_or_null(json_object_get(j, "reset_on"));
    m->key = dup_or_null(json_object_get(j, "key"));
    m->time_field = dup_or_null(json_object_get(j, "time_field"));
    m->output = dup_or_null(json_object_get(j, "output"));
    if (!m->key || !m->time_field || !m->output || (!m->label && !m->label_from))
        FAIL("missing key, time_field, output or label");
    m->horizon = json_integer_value(json_object_get(j, "horizon_ns"));
    const json_t *cp = json_object_get(j, "cap"), *th = json_object_get(j, "threshold");
    m->cap = json_is_number(cp) ? json_number_value(cp) : NAN;
    m->threshold = json_is_number(th) ? json_number_value(th) : 0.5;
    char ferr[200];
    m->spec = iot_featspec_from_json(json_object_get(j, "features"), ferr, sizeof ferr);
    if (!m->spec)
        FAIL("%s", ferr);
    if (!m->spec->fitted)
        FAIL("feature spec is not fitted");
    const int p = m->spec->nfeat;
    const json_t *g = json_object_get(j, "gbdt"), *l = json_object_get(j, "linear");
    if (json_is_object(g)) {
        const json_t *trees = json_object_get(g, "trees"), *edges = json_object_get(g, "edges"),
                     *dep = json_object_get(g, "depth"), *loss = json_object_get(g, "loss");
        if (!json_is_array(trees) || !json_is_array(edges) || json_array_size(edges) != (size_t)p ||
            !json_is_integer(dep) || json_integer_value(dep) < 1 ||
            json_integer_value(dep) > IOT_GBDT_MAX_DEPTH || !json_is_string(loss))
            FAIL("malformed trees");
        int depth = (int)json_integer_value(dep);
        struct iot_gbdt *t = m->gbdt = iot_gbdt_alloc(p, depth, (int)json_array_size(trees));
        t->loss = strcmp(json_string_value(loss), "logloss") == 0 ? IOT_LOSS_LOGLOSS : IOT_LOSS_SQUARED;
        t->base = json_number_value(json_object_get(g, "base"));
        for (int f = 0; f < p; f++) {
            const json_t *e = json_array_get(edges, (size_t)f);
            size_t ne = json_array_size(e);
            if (!json_is_array(e) || ne > EDGES_PER - 1)
                FAIL("malformed bin edges");
            t->nedges[f] = (int)ne;
            for (size_t k = 0; k < ne; k++) {
                const json_t *v = json_array_get(e, k);
                if (!json_is_number(v)) FAIL("malformed bin edges");
                t->edges[(size_t)f * EDGES_PER + k] = (float)json_number_value(v);
                if (k && !(t->edges[(size_t)f * EDGES_PER + k] > t->edges[(size_t)f * EDGES_PER + k - 1]))
                    FAIL("bin edges not increasing");
            }
        }
        size_t nodes = ((size_t)1 << depth) - 1, leaves = (size_t)1 << depth, ti;
        const json_t *tr;
        json_array_foreach(trees, ti, tr) {
            const json_t *fa = json_object_get(tr, "feature"), *ba = json_object_get(tr, "bin");
            if (json_array_size(fa) != nodes || json_array_size(ba) != nodes ||
                reals(json_object_get(tr, "leaf"), t->leaf + ti * leaves, leaves))
                FAIL("malformed tree %zu", ti);
            for (size_t k = 0; k < nodes; k++) {
                const json_t *fv = json_array_get(fa, k), *bv = json_array_get(ba, k);
                if (!json_is_integer(fv) || !json_is_integer(bv) || json_integer_value(fv) < 0 ||
                    json_integer_value(fv) >= p || json_integer_value(bv) < 0 || json_integer_value(bv) > 255)
                    FAIL("malformed tree %zu", ti);
                t->feat[ti * nodes + k] = (uint16_t)json_integer_value(fv);
                t->bin[ti * nodes + k] = (uint8_t)json_integer_value(bv);
            }
        }
        const json_t *imp = json_object_get(g, "importance");
        if (json_array_size(imp) == (size_t)p)
            for (int f = 0; f < p; f++) {
                t->gain[f] = json_number_value(json_object_get(json_array_get(imp, (size_t)f), "gain"));
                t->splits[f] = json_integer_value(json_object_get(json_array_get(imp, (size_t)f), "splits"));
            }
        iot_gbdt_finish(t);
    } else if (json_is_object(l)) {
        m->lin = iot_linmodel_alloc(p, json_is_true(json_object_get(l, "logistic")));
        const json_t *b = json_object_get(l, "intercept");
        if (reals(json_object_get(l, "mean"), m->lin->mean, (size_t)p) ||
            reals(json_object_get(l, "sd"), m->lin->sd, (size_t)p) ||
            reals(json_object_get(l, "weights"), m->lin->w, (size_t)p) || !json_is_number(b))
            FAIL("malformed linear model");
        m->lin->b = json_number_value(b);
    } else {
        FAIL("no learner (gbdt or linear)");
    }
    const json_t *mt = json_object_get(j, "metrics"), *dt = json_object_get(j, "training_data");
    m->metrics = mt ? json_incref((json_t *)mt) : NULL;
    m->data = dt ? json_incref((json_t *)dt) : NULL;
    const json_t *card = json_object_get(j, "card");
    if (!json_is_object(card))
        FAIL("no model card");
    m->tag = dup_or_null(json_object_get(card, "tag"));
    m->written_by = dup_or_null(json_object_get(j, "written_by"));
    const json_t *ts = json_object_get(card, "training_seconds");
    m->train_seconds = json_is_number(ts) ? json_number_value(ts) : NAN;
    return m;
fail:
    iot_model_free(m);
    return NULL;
}

struct iot_model *iot_model_load(const char *path)
{
    bool sealed;
    json_t *j = iot_sealed_load(path, "model", &sealed);
    if (!j)
        iot_die(IOT_EX_NOINPUT, "%s: %s", path, strerror(ENOENT));
    char err[256];
    struct iot_model *m = iot_model_from_json(j, err, sizeof err);
    json_decref(j);
    if (!m)
        iot_die(IOT_EX_DATAERR, "%s: not a usable model (%s)", path, err);
    if (!sealed)     /* readable, yet without the checksum every model of this format has */
        iot_die(IOT_EX_DATAERR, "%s: not a usable model (no checksum: written by an older iot-predict "
                "or edited); retrain it", path);
    return m;
}

double iot_model_predict(const struct iot_model *m, const float *x)
{
    return m->gbdt ? iot_gbdt_predict(m->gbdt, x) : iot_linmodel_predict(m->lin, x);
}

void iot_model_free(struct iot_model *m)
{
    if (!m) return;
    free(m->label); free(m->label_from); free(m->reset_on); free(m->key); free(m->time_field);
    free(m->output); free(m->tag); free(m->written_by);
    iot_featspec_free(m->spec);
    iot_gbdt_free(m->gbdt);
    iot_linmodel_free(m->lin);
    json_decref(m->metrics);
    json_decref(m->data);
    free(m);
}

struct imp { const char *name; double gain; int64_t splits; };
static int cmp_imp(const void *a, const void *b)
{
    const struct imp *x = a, *y = b;
    if (x->gain != y->gain) return x->gain < y->gain ? 1 : -1;
    return strcmp(x->name, y->name);
}

void iot_model_explain(const struct iot_model *m, struct iot_out *o)
{
    const int p = m->spec->nfeat;
    struct imp *v = iot_xmalloc(((size_t)p + 1) * sizeof *v);
    double total = 0;
    for (int i = 0; i < p; i++) {
        v[i].name = m->spec->feat[i].name;
        v[i].gain = m->gbdt ? m->gbdt->gain[i] : fabs(m->lin->w[i]);
        v[i].splits = m->gbdt ? m->gbdt->splits[i] : 0;
        total += v[i].gain;
    }
    qsort(v, (size_t)p, sizeof *v, cmp_imp);
    for (int i = 0; i < p; i++) {
        iot_out_puts(o, "{\"feature\":");
        iot_out_json_str(o, v[i].name, strlen(v[i].name));
        iot_out_puts(o, m->gbdt ? ",\"gain\":" : ",\"weight\":");
        iot_out_json_num(o, v[i].gain);
        iot_out_puts(o, ",\"share\":");
        iot_out_json_num(o, total > 0 ? round(v[i].gain / total * 1e6) / 1e6 : 0);
        if (m->gbdt) {
            iot_out_puts(o, ",\"splits\":");
            iot_out_json_int(o, v[i].splits);
        }
        iot_out_putc(o, '}');
        iot_out_eol(o);
    }
    free(v);
}

json_t *iot_model_card(const struct iot_model *m)
{
    const struct iot_featspec *s = m->spec;
    json_t *c = json_object(), *feats = json_array();
    for (int i = 0; i < s->nfeat; i++) json_array_append_new(feats, json_string(s->feat[i].name));
    json_object_set_new(c, "format", json_integer(IOT_MODEL_FORMAT));
    json_object_set_new(c, "written_by", str_or_null(m->written_by ? m->written_by : "iot-predict " IOT_VERSION));
    json_object_set_new(c, "tag", str_or_null(m->tag));
    json_object_set_new(c, "task", json_string(m->classify ? "classify" : "regress"));
    json_object_set_new(c, "label", str_or_null(m->label));
    json_object_set_new(c, "label_from", str_or_null(m->label_from));
    json_object_set_new(c, "reset_on", str_or_null(m->reset_on));
    json_object_set_new(c, "key", json_string(m->key));
    json_object_set_new(c, "learner", m->gbdt ? json_pack("{s:s,s:i,s:i}", "name", "gbdt", "trees",
                        m->gbdt->n_trees, "depth", m->gbdt->depth) : json_pack("{s:s}", "name", "linear"));
    json_object_set_new(c, "features", feats);
    json_object_set_new(c, "standardize", json_boolean(s->standardize));
    if (s->regimes) {
        const struct iot_regimes *R = s->regimes;
        json_t *r = iot_regimes_to_json(R), *list = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(r, "regimes"), i, e)      /* the readable parts */
            json_array_append_new(list, json_pack("{s:O,s:O}", "settings", json_object_get(e, "settings"),
                                                  "rows", json_object_get(e, "rows")));
        json_object_set_new(c, "regimes", json_pack("{s:O,s:i,s:O,s:O,s:o}", "fields",
            json_object_get(r, "fields"), "k", R->k, "rule", json_object_get(r, "rule"),
            "silhouette", json_object_get(r, "silhouette"), "regimes", list));
        json_decref(r);
    } else {
        json_object_set_new(c, "regimes", json_null());
    }
    json_object_set_new(c, "training_data", m->data ? json_incref(m->data) : json_null());
    const json_t *ov = m->metrics ? json_object_get(m->metrics, "overall") : NULL;
    json_object_set_new(c, "cv", ov ? json_incref((json_t *)ov) : json_null());
    json_object_set_new(c, "threshold", m->classify ? iot_json_real(m->threshold) : json_null());
    json_object_set_new(c, "training_seconds", iot_json_real(m->train_seconds));
    return c;
}
