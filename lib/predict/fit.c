#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "cv.h"
#include "core/diag.h"
#include "fit.h"
#include "core/state.h"
#include "core/time.h"

/* progress: terminal only, at most 5 updates a second */
struct prog { const char *what; int64_t last; };
static void progress(int done, int total, void *ctx)
{
    struct prog *g = ctx;
    int64_t now = iot_time_mono();
    if (done != total && now - g->last < 200 * IOT_NS_PER_MS)
        return;
    g->last = now;
    fprintf(stderr, "\r%s: tree %d/%d%s", g->what, done, total, done == total ? "\n" : "");
}

struct iot_learned iot_fit_learn(const struct iot_fit_opts *o, const float *X, size_t n, int p,
                                 const double *y, const char *what)
{
    struct iot_learned L = { 0 };
    const char *err = NULL;
    if (o->linear) {
        L.l = iot_linmodel_train(X, n, p, y, o->classify, o->l2_set ? o->l2 : 0.01, &err);
    } else {
        struct iot_gbdt_params gp = o->gp;
        gp.loss = o->classify ? IOT_LOSS_LOGLOSS : IOT_LOSS_SQUARED;
        if (o->l2_set) gp.lambda = o->l2;
        struct prog g = { what, 0 };
        bool tty = o->progress && isatty(2);
        L.g = iot_gbdt_train(X, n, p, y, &gp, tty ? progress : NULL, &g, &err);
    }
    if (!L.g && !L.l)
        iot_die(IOT_EX_DATAERR, "cannot train: %s", err);
    return L;
}

double iot_fit_predict(const struct iot_learned *L, const float *x)
{
    return L->g ? iot_gbdt_predict(L->g, x) : iot_linmodel_predict(L->l, x);
}

void iot_fit_free(struct iot_learned *L)
{
    iot_gbdt_free(L->g);
    iot_linmodel_free(L->l);
    L->g = NULL;
    L->l = NULL;
}

static json_t *metrics_obj(json_t *o, const double *y, const double *p, size_t n, bool classify,
                           double thr)
{
    if (classify) {
        struct iot_cls_metrics c = iot_metric_cls(y, p, n, thr);
        json_object_set_new(o, "auc", iot_json_real(iot_metric_auc(y, p, n)));
        json_object_set_new(o, "precision", iot_json_real(c.precision));
        json_object_set_new(o, "recall", iot_json_real(c.recall));
        json_object_set_new(o, "f1", iot_json_real(c.f1));
        json_object_set_new(o, "threshold", iot_json_real(thr));
        json_object_set_new(o, "positives", json_integer((json_int_t)(c.tp + c.fn)));
    } else {
        json_object_set_new(o, "rmse", iot_json_real(iot_metric_rmse(y, p, n)));
        json_object_set_new(o, "mae", iot_json_real(iot_metric_mae(y, p, n)));
    }
    return o;
}

static void print_json(struct iot_out *o, json_t *j)
{
    char *s = json_dumps(j, JSON_REAL_PRECISION(6) | JSON_COMPACT | JSON_PRESERVE_ORDER);
    iot_out_puts(o, s);
    iot_out_eol(o);
    free(s);
}

json_t *iot_fit_cv(const struct iot_fit_opts *o, struct iot_trainset_rows d, struct iot_out *rep,
                   double *threshold)
{
    const float *X = d.X;
    const double *y = d.y;
    const int *rk = d.rk, p = d.p, nkeys = d.nkeys;
    const size_t n = d.n;
    const bool classify = o->classify;
    json_t *metrics = json_object();
    *threshold = isnan(o->threshold) ? 0.5 : o->threshold;
    int K = o->folds, groups_with_rows = 0;
    size_t *grows = iot_xcalloc((size_t)nkeys + 1, sizeof *grows);
    for (size_t i = 0; i < n; i++) groups_with_rows += grows[rk[i]]++ == 0;
    if (K > groups_with_rows) {
        if (!iot_diag.quiet)
            iot_warn("only %d keys with labelled rows: cross-validation %s", groups_with_rows,
                     groups_with_rows >= 2 ? "uses one fold per key" : "skipped");
        K = groups_with_rows >= 2 ? groups_with_rows : 0;
    }
    if (K < 2) {
        free(grows);
        return metrics;
    }
    int *fold = iot_xmalloc((size_t)(nkeys + 1) * sizeof *fold);
    iot_cv_folds(grows, nkeys, K, o->gp.seed, fold);
    double *oof = iot_xmalloc(n * sizeof *oof);
    float *Xtr = iot_xmalloc(n * (size_t)p * sizeof *Xtr);
    double *ytr = iot_xmalloc(n * sizeof *ytr);
    json_t *folds = json_array();
    for (int f = 0; f < K; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[rk[i]] != f) {
                memcpy(Xtr + m * p, X + i * p, (size_t)p * sizeof *X);
                ytr[m++] = y[i];
            }
        char what[32];
        snprintf(what, sizeof what, "fold %d/%d", f + 1, K);
        if (classify) {
            size_t pos = 0;
            for (size_t i = 0; i < m; i++) pos += ytr[i] > 0.5;
            if (pos == 0 || pos == m) {     /* a one-class fold: predict its base rate */
                for (size_t i = 0; i < n; i++) if (fold[rk[i]] == f) oof[i] = (double)pos / (double)m;
                continue;
            }
        }
        struct iot_learned L = iot_fit_learn(o, Xtr, m, p, ytr, what);
        for (size_t i = 0; i < n; i++)
            if (fold[rk[i]] == f) oof[i] = iot_fit_predict(&L, X + i * p);
        iot_fit_free(&L);
    }
    if (classify && isnan(o->threshold))
        *threshold = iot_best_f1_threshold(y, oof, n);
    double *fy = iot_xmalloc(n * sizeof *fy), *fp = iot_xmalloc(n * sizeof *fp);
    for (int f = 0; f < K; f++) {
        size_t m = 0;
        int keys_in = 0;
        for (int k = 0; k < nkeys; k++) keys_in += fold[k] == f && grows[k] > 0;
        for (size_t i = 0; i < n; i++)
            if (fold[rk[i]] == f) { fy[m] = y[i]; fp[m++] = oof[i]; }
        json_t *fo = json_pack("{s:i,s:I,s:i}", "fold", f + 1, "rows", (json_int_t)m, "keys", keys_in);
        metrics_obj(fo, fy, fp, m, classify, *threshold);
        print_json(rep, fo);
        json_array_append_new(folds, fo);
    }
    json_t *all = json_pack("{s:s,s:I,s:i}", "fold", "all", "rows", (json_int_t)n, "keys", groups_with_rows);
    metrics_obj(all, y, oof, n, classify, *threshold);
    print_json(rep, all);
    json_object_set_new(metrics, "folds", folds);
    json_object_set_new(metrics, "overall", all);
    free(fy); free(fp); free(fold); free(oof); free(Xtr); free(ytr); free(grows);
    return metrics;
}
