/* Unit tests of grouped k-fold, the metrics, and the linear models. */
#include <stdlib.h>
#include "unit.h"
#include "predict/cv.h"
#include "predict/linmodel.h"
#include "core/rng.h"

int main(void)
{
    /* grouping: every group in exactly one fold, folds balanced, deterministic by seed */
    size_t rows[10] = { 100, 90, 80, 70, 60, 50, 40, 30, 20, 10 };
    int fa[10], fb[10], fc[10];
    iot_cv_folds(rows, 10, 3, 1, fa);
    iot_cv_folds(rows, 10, 3, 1, fb);
    iot_cv_folds(rows, 10, 3, 2, fc);
    size_t load[3] = { 0 };
    int range_ok = 1;
    for (int g = 0; g < 10; g++) {
        range_ok &= fa[g] >= 0 && fa[g] < 3;
        if (range_ok) load[fa[g]] += rows[g];
    }
    CHECK(range_ok, "each group in one fold 0..k-1");
    CHECK(load[0] > 100 && load[1] > 100 && load[2] > 100, "no fold empty or tiny (%zu %zu %zu)", load[0], load[1], load[2]);
    CHECK(memcmp(fa, fb, sizeof fa) == 0, "same seed, same folds");
    CHECK(memcmp(fa, fc, sizeof fa) != 0, "another seed, other folds");
    int f5[3];
    size_t r3[3] = { 5, 5, 5 };
    iot_cv_folds(r3, 3, 5, 1, f5);
    CHECK(f5[0] != f5[1] && f5[1] != f5[2] && f5[0] != f5[2], "more folds than groups: one group each");

    /* metrics against hand computations */
    double y[] = { 0, 0, 1, 1 }, p[] = { 0.1, 0.4, 0.35, 0.8 };
    CHECK_NEAR(iot_metric_auc(y, p, 4), 0.75, 1e-12, "AUC of the sklearn example = 0.75");
    double pt[] = { 0.5, 0.5, 0.5, 0.5 };
    CHECK_NEAR(iot_metric_auc(y, pt, 4), 0.5, 1e-12, "all ties: AUC 0.5");
    double y1[] = { 1, 1 };
    CHECK(isnan(iot_metric_auc(y1, p, 2)), "one class: AUC undefined");
    double a[] = { 1, 2, 3 }, b[] = { 2, 2, 5 };
    CHECK_NEAR(iot_metric_rmse(a, b, 3), sqrt(5.0 / 3), 1e-12, "RMSE");
    CHECK_NEAR(iot_metric_mae(a, b, 3), 1.0, 1e-12, "MAE");
    struct iot_cls_metrics m = iot_metric_cls(y, p, 4, 0.38);
    CHECK(m.tp == 1 && m.fp == 1 && m.fn == 1 && m.tn == 1, "confusion at 0.38");
    CHECK_NEAR(m.f1, 0.5, 1e-12, "F1 0.5");
    CHECK_NEAR(iot_best_f1_threshold(y, p, 4), 0.35, 1e-12, "best F1 threshold 0.35 (F1 0.8)");

    /* logistic regression recovers the sign and size of a known weight; ridge solves exactly */
    {
        size_t n = 4000;
        float *X = malloc(2 * n * sizeof *X);
        double *yy = malloc(n * sizeof *yy);
        struct iot_rng r;
        iot_rng_seed(&r, 5, 0);
        for (size_t i = 0; i < n; i++) {
            X[2 * i] = (float)iot_rng_normal(&r);
            X[2 * i + 1] = (float)iot_rng_normal(&r);
            double s = 2 * X[2 * i] - 1;
            yy[i] = iot_rng_uniform(&r) < 1 / (1 + exp(-s));
        }
        const char *err;
        struct iot_linmodel *lm = iot_linmodel_train(X, n, 2, yy, true, 0, &err);
        CHECK(lm && fabs(lm->w[0] * 1 / lm->sd[0] - 2) < 0.25, "logistic weight ≈ 2 (%.3f)", lm ? lm->w[0] / lm->sd[0] : 0);
        CHECK(lm && fabs(lm->w[1]) < 0.15, "noise weight ≈ 0");
        struct iot_linmodel *l2 = iot_linmodel_train(X, n, 2, yy, true, 1.0, &err);
        CHECK(l2 && fabs(l2->w[0]) < fabs(lm->w[0]), "L2 shrinks the weight");
        for (size_t i = 0; i < n; i++)
            yy[i] = 3 * X[2 * i] - X[2 * i + 1] + 7;
        struct iot_linmodel *rg = iot_linmodel_train(X, n, 2, yy, false, 0, &err);
        float q[2] = { 1, 1 };
        CHECK_NEAR(iot_linmodel_predict(rg, q), 9.0, 1e-6, "ridge(0) is least squares");
        float nan2[2] = { NAN, NAN };
        CHECK_NEAR(iot_linmodel_predict(rg, nan2), rg->b, 1e-12, "missing inputs: the mean");
        iot_linmodel_free(lm); iot_linmodel_free(l2); iot_linmodel_free(rg);
        free(X); free(yy);
    }
    return unit_done();
}
