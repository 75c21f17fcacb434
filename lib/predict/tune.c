#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/out.h"
#include "core/rng.h"
#include "core/state.h"
#include "core/time.h"
#include "model.h"
#include "tune.h"

static const int TREES[] = { 100, 200, 400, 800 }, DEPTH[] = { 3, 4, 5, 6 };
static const double LR[] = { 0.02, 0.05, 0.1, 0.2 }, SPAN[] = { 0.05, 0.1, 0.3 };
#define N(a) (int)(sizeof a / sizeof *a)
enum { GRID = N(TREES) * N(DEPTH) * N(LR) * N(SPAN) };

struct trial { int trees, depth; double lr, span; };

static struct trial cell(int c)
{
    struct trial t;
    t.trees = TREES[c % N(TREES)]; c /= N(TREES);
    t.depth = DEPTH[c % N(DEPTH)]; c /= N(DEPTH);
    t.lr = LR[c % N(LR)]; c /= N(LR);
    t.span = SPAN[c % N(SPAN)];
    return t;
}

/* the columns of a trial: every feature but the ewm of other spans */
static int columns(const struct iot_featspec *s, double span, bool spans, bool *keep)
{
    int p = 0;
    for (int i = 0; i < s->nfeat; i++)
        p += keep[i] = !spans || s->feat[i].kind != IOT_FK_EWM || s->feat[i].alpha == span;
    return p;
}

static float *select_cols(struct iot_trainset_rows d, const bool *keep, int p)
{
    float *X = iot_xmalloc(d.n * (size_t)(p ? p : 1) * sizeof *X);
    for (size_t i = 0; i < d.n; i++)
        for (int j = 0, c = 0; j < d.p; j++)
            if (keep[j]) X[i * p + c++] = d.X[i * (size_t)d.p + j];
    return X;
}

static double score_of(const json_t *metrics, bool classify)
{
    const json_t *o = json_object_get(metrics, "overall");
    double v = json_number_value(json_object_get(o, classify ? "auc" : "rmse"));
    return classify ? v : -v;       /* larger is better */
}

static void put_line(struct iot_out *o, json_t *j)
{
    char *t = json_dumps(j, JSON_REAL_PRECISION(6) | JSON_COMPACT | JSON_PRESERVE_ORDER);
    iot_out_puts(o, t);
    iot_out_eol(o);
    free(t);
    json_decref(j);
}

int iot_predict_tune(const struct iot_tune_job *j)
{
    const int64_t t0 = iot_time_mono();
    struct iot_train_opts to = j->base.t;
    struct iot_featspec *spec = iot_train_spec(j->base.features);
    const bool spans = spec == NULL;        /* the span is searched with the auto features */
    if (spans) { to.alphas = SPAN; to.nalphas = N(SPAN); }
    struct iot_trainset *ts = iot_trainset_new(&to, spec);
    iot_trainset_read(ts, j->base.io.inputs, j->base.io.ninputs, j->base.io.max_line);
    iot_trainset_finish(ts);
    const struct iot_trainset_rows d = iot_trainset_rows(ts);
    const struct iot_featspec *s = iot_trainset_spec(ts);
    const bool classify = to.classify;

    struct iot_rng g;
    iot_rng_seed(&g, j->base.f.gp.seed, 0x74756e65ULL);
    bool tried[GRID] = { false };
    struct iot_out *out = iot_out_open("-", 0), *quiet = iot_out_open("/dev/null", 0);   /* -o is the model */
    bool *keep = iot_xmalloc((size_t)s->nfeat * sizeof *keep);
    struct trial best = { 0 };
    double best_score = -INFINITY, best_thr = NAN;
    json_t *best_metrics = NULL;
    int n = 0, best_n = 0;
    const int limit = j->trials > 0 && j->trials < GRID ? j->trials : GRID;
    while (n < limit && !iot_stop_requested && (n == 0 || iot_time_mono() - t0 < j->budget)) {
        struct trial t;
        if (n == 0) {           /* the defaults first */
            t = (struct trial){ j->base.f.gp.n_trees, j->base.f.gp.max_depth, j->base.f.gp.lr, 0.1 };
        } else {
            int c = (int)iot_rng_below(&g, GRID);
            while (tried[c]) c = (c + 1) % GRID;
            tried[c] = true;
            t = cell(c);
        }
        for (int c = 0; c < GRID; c++) {        /* the defaults are one of the grid's cells */
            struct trial u = cell(c);
            if (u.trees == t.trees && u.depth == t.depth && u.lr == t.lr && u.span == t.span) tried[c] = true;
        }
        n++;
        const int64_t ts0 = iot_time_mono();
        struct iot_fit_opts fo = j->base.f;
        fo.gp.n_trees = t.trees; fo.gp.max_depth = t.depth; fo.gp.lr = t.lr; fo.progress = false;
        int p = columns(s, t.span, spans, keep);
        float *X = select_cols(d, keep, p);
        struct iot_trainset_rows dt = d;
        dt.X = X; dt.p = p;
        double thr;
        json_t *m = iot_fit_cv(&fo, dt, quiet, &thr);
        free(X);
        double sc = score_of(m, classify);
        json_t *row = json_pack("{s:i,s:i,s:i,s:f,s:o}", "trial", n, "trees", t.trees, "depth",
                                t.depth, "learning_rate", t.lr, "ewm", spans ? json_real(t.span) : json_null());
        json_object_set_new(row, classify ? "auc" : "rmse", iot_json_real(classify ? sc : -sc));
        json_object_set_new(row, "seconds", json_real(round((double)(iot_time_mono() - ts0) / 1e6) / 1e3));
        put_line(out, row);
        if (sc > best_score) {
            best_score = sc; best = t; best_n = n; best_thr = thr;
            json_decref(best_metrics);
            best_metrics = m;
        } else {
            json_decref(m);
        }
    }
    iot_out_close(quiet);
    if (!best_metrics)
        iot_die(IOT_EX_DATAERR, "tune: no trial finished");

    /* the best, fitted on every row; the model keeps only its features */
    struct iot_fit_opts fo = j->base.f;
    fo.gp.n_trees = best.trees; fo.gp.max_depth = best.depth; fo.gp.lr = best.lr;
    int p = columns(s, best.span, spans, keep);
    float *X = select_cols(d, keep, p);
    struct iot_learned L = iot_fit_learn(&fo, X, d.n, p, d.y, "model");
    free(X);
    struct iot_featspec *fs = (struct iot_featspec *)s;
    iot_featspec_keep(fs, keep);
    put_line(out, json_pack("{s:i,s:i,s:i,s:i,s:f,s:o,s:o}", "best", best_n, "trials", n,
        "trees", best.trees, "depth", best.depth, "learning_rate", best.lr,
        "ewm", spans ? json_real(best.span) : json_null(),
        classify ? "auc" : "rmse", iot_json_real(classify ? best_score : -best_score)));
    struct iot_model M = {
        .classify = classify, .label = (char *)to.label, .label_from = (char *)to.label_from,
        .reset_on = (char *)to.reset_on, .key = (char *)to.key, .time_field = (char *)to.time_field,
        .output = classify ? "failureProbability" : "rul", .horizon = to.horizon, .cap = to.cap,
        .threshold = isnan(j->base.f.threshold) ? best_thr : j->base.f.threshold, .spec = fs,
        .gbdt = L.g, .lin = L.l, .metrics = best_metrics, .data = iot_trainset_digest(ts),
        .tag = (char *)j->base.tag,
        .train_seconds = round((double)(iot_time_mono() - t0) / 1e6) / 1e3,
    };
    iot_model_save(&M, j->base.model);
    iot_stat_add("trials", n);
    json_decref(best_metrics);
    json_decref(M.data);
    iot_fit_free(&L);
    free(keep);
    iot_trainset_free(ts);
    return iot_diag_finish();
}
