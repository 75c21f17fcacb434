/* Unit tests of the gradient-boosted tree learner: exact splits, gradients, determinism. */
#include <math.h>
#include <stdlib.h>
#include "unit.h"
#include "predict/gbdt.h"
#include "core/rng.h"

static struct iot_gbdt_params tiny(int loss, int depth, int trees)
{
    struct iot_gbdt_params p;
    iot_gbdt_defaults(&p);
    p.loss = loss; p.max_depth = depth; p.n_trees = trees;
    p.lr = 1.0; p.lambda = 0; p.min_leaf = 1; p.subsample = 1; p.min_child_weight = 0;
    return p;
}

int main(void)
{
    const char *err = NULL;

    /* one stump on six points: the split is between 3 and 4, leaves are the group means */
    {
        float X[] = { 1, 2, 3, 4, 5, 6 };
        double y[] = { 0, 0, 0, 10, 10, 10 };
        struct iot_gbdt_params p = tiny(IOT_LOSS_SQUARED, 1, 1);
        struct iot_gbdt *m = iot_gbdt_train(X, 6, 1, y, &p, NULL, NULL, &err);
        CHECK(m != NULL, "stump trains");
        CHECK_NEAR(m->base, 5.0, 1e-12, "base = mean of y");
        CHECK_NEAR(iot_gbdt_threshold(m, 0, m->bin[0]), 3.5, 1e-6, "split threshold is the midpoint 3.5");
        CHECK_NEAR(m->leaf[0], -5.0, 1e-12, "left leaf = -G/H = -5");
        CHECK_NEAR(m->leaf[1], 5.0, 1e-12, "right leaf = +5");
        float a = 3.0f, b = 3.6f, c = NAN;
        CHECK_NEAR(iot_gbdt_predict(m, &a), 0.0, 1e-12, "3 predicts 0");
        CHECK_NEAR(iot_gbdt_predict(m, &b), 10.0, 1e-12, "3.6 predicts 10");
        CHECK_NEAR(iot_gbdt_predict(m, &c), 0.0, 1e-12, "missing goes left");
        CHECK(m->splits[0] == 1 && m->gain[0] > 0, "importance counted");
        iot_gbdt_free(m);
    }

    /* the informative feature wins; gain equals the closed form */
    {
        float X[] = { 5, 1, 1, 2, 5, 3, 1, 4 };   /* rows (noise, signal) */
        double y[] = { 1, 2, 3, 4 };
        struct iot_gbdt_params p = tiny(IOT_LOSS_SQUARED, 1, 1);
        struct iot_gbdt *m = iot_gbdt_train(X, 4, 2, y, &p, NULL, NULL, &err);
        /* signal split at 2.5: G = F - y = (1.5, .5, -.5, -1.5); GL = 2, GR = -2, H 2/2 → gain 4 */
        CHECK(m->feat[0] == 1, "split on feature 1");
        CHECK_NEAR(iot_gbdt_threshold(m, 1, m->bin[0]), 2.5, 1e-6, "threshold 2.5");
        CHECK_NEAR(m->gain[1], 4.0, 1e-12, "gain = GL²/HL + GR²/HR - G²/H");
        iot_gbdt_free(m);
    }

    /* log loss: leaf = -Σg/Σh with g = p - y, h = p(1-p) */
    {
        float X[] = { 1, 2, 3, 4, 5 };
        double y[] = { 0, 0, 1, 1, 1 };
        struct iot_gbdt_params p = tiny(IOT_LOSS_LOGLOSS, 1, 1);
        struct iot_gbdt *m = iot_gbdt_train(X, 5, 1, y, &p, NULL, NULL, &err);
        double base = log(0.6 / 0.4), pr = 1 / (1 + exp(-base));
        CHECK_NEAR(m->base, base, 1e-12, "base = log-odds of the rate");
        double gl = 2 * pr, hl = 2 * pr * (1 - pr), gr = 3 * (pr - 1), hr = 3 * pr * (1 - pr);
        CHECK_NEAR(iot_gbdt_threshold(m, 0, m->bin[0]), 2.5, 1e-6, "logloss split at 2.5");
        CHECK_NEAR(m->leaf[0], -gl / hl, 1e-12, "left leaf Newton step");
        CHECK_NEAR(m->leaf[1], -gr / hr, 1e-12, "right leaf Newton step");
        float x1 = 1;
        CHECK_NEAR(iot_gbdt_predict(m, &x1), 1 / (1 + exp(-(base - gl / hl))), 1e-12, "probability");
        iot_gbdt_free(m);
    }

    /* depth 2 needs both features; the pure left node stops (pass-through) */
    {
        float X[] = { 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1 };
        double y[] = { 0, 0, 1, 3, 0, 3 };
        struct iot_gbdt_params p = tiny(IOT_LOSS_SQUARED, 2, 1);
        struct iot_gbdt *m = iot_gbdt_train(X, 6, 2, y, &p, NULL, NULL, &err);
        int ok = 1;
        for (int i = 0; i < 6; i++)
            ok &= fabs(iot_gbdt_predict(m, X + 2 * i) - y[i]) < 1e-9;
        CHECK(ok, "depth-2 tree fits exactly");
        CHECK(m->feat[0] == 0 && m->bin[1] == 255 && m->feat[2] == 1, "root on x0, left pass-through, right on x1");
        iot_gbdt_free(m);
    }

    /* boosting converges on a smooth target; binning caps at 255 value bins */
    {
        size_t n = 2000;
        float *X = malloc(n * sizeof *X);
        double *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++) {
            X[i] = (float)i / (float)n * 4 - 2;
            y[i] = X[i] * X[i];
        }
        struct iot_gbdt_params p;
        iot_gbdt_defaults(&p);
        p.n_trees = 300; p.lr = 0.1; p.max_depth = 3;
        struct iot_gbdt *m = iot_gbdt_train(X, n, 1, y, &p, NULL, NULL, &err);
        double se = 0;
        for (size_t i = 0; i < n; i++) {
            double e = iot_gbdt_predict(m, X + i) - y[i];
            se += e * e;
        }
        CHECK(sqrt(se / n) < 0.05, "RMSE on x² below 0.05 (got %.4f)", sqrt(se / n));
        CHECK(m->nedges[0] == 254, "quantile binning uses 254 edges");
        int mono = 1;
        for (int b = 1; b < m->nedges[0]; b++)
            mono &= m->edges[b] > m->edges[b - 1];
        CHECK(mono, "edges strictly increase");

        /* determinism: same seed → identical model; another seed → another sample */
        p.subsample = 0.5; p.colsample = 1; p.n_trees = 20; p.seed = 7;
        struct iot_gbdt *a = iot_gbdt_train(X, n, 1, y, &p, NULL, NULL, &err);
        struct iot_gbdt *b = iot_gbdt_train(X, n, 1, y, &p, NULL, NULL, &err);
        p.seed = 8;
        struct iot_gbdt *c = iot_gbdt_train(X, n, 1, y, &p, NULL, NULL, &err);
        size_t L = (size_t)20 << 3;
        CHECK(memcmp(a->leaf, b->leaf, L * sizeof(double)) == 0 &&
              memcmp(a->bin, b->bin, 20 * 7) == 0, "same seed, same trees");
        CHECK(memcmp(a->leaf, c->leaf, L * sizeof(double)) != 0, "another seed, other trees");
        iot_gbdt_free(a); iot_gbdt_free(b); iot_gbdt_free(c);
        iot_gbdt_free(m);
        free(X); free(y);
    }

    /* classification separates two noisy clusters */
    {
        size_t n = 1000;
        float *X = malloc(2 * n * sizeof *X);
        double *y = malloc(n * sizeof *y);
        struct iot_rng r;
        iot_rng_seed(&r, 3, 0);
        for (size_t i = 0; i < n; i++) {
            y[i] = (double)(i % 2);
            X[2 * i] = (float)(y[i] * 2 + iot_rng_normal(&r));
            X[2 * i + 1] = (float)iot_rng_normal(&r);
        }
        struct iot_gbdt_params p;
        iot_gbdt_defaults(&p);
        p.loss = IOT_LOSS_LOGLOSS; p.n_trees = 100; p.lr = 0.1;
        struct iot_gbdt *m = iot_gbdt_train(X, n, 2, y, &p, NULL, NULL, &err);
        int right = 0;
        for (size_t i = 0; i < n; i++)
            right += (iot_gbdt_predict(m, X + 2 * i) > 0.5) == (y[i] > 0.5);
        CHECK(right > 800, "accuracy above 80%% on separated clusters (%d/1000)", right);
        CHECK(m->gain[0] > 5 * m->gain[1], "importance ranks the signal first");
        iot_gbdt_free(m);
        free(X); free(y);
    }

    /* scoring on raw values gives exactly the binned decisions of training, edge values,
     * NaN and -inf included; the batch form gives the same sums */
    {
        size_t n = 3000;
        int p = 3;
        float *X = malloc(n * p * sizeof *X);
        double *y = malloc(n * sizeof *y);
        struct iot_rng r;
        iot_rng_seed(&r, 9, 0);
        for (size_t i = 0; i < n * p; i++)
            X[i] = iot_rng_uniform(&r) < 0.05 ? NAN : (float)iot_rng_normal(&r);
        for (size_t i = 0; i < n; i++)
            y[i] = (isnan(X[i * p]) ? 2 : X[i * p]) + (isnan(X[i * p + 1]) ? 1 : X[i * p + 1] * X[i * p + 1]);
        struct iot_gbdt_params prm;
        iot_gbdt_defaults(&prm);
        prm.n_trees = 50; prm.max_depth = 5; prm.lr = 0.2;
        struct iot_gbdt *m = iot_gbdt_train(X, n, p, y, &prm, NULL, NULL, &err);
        size_t nodes = 31, leaves = 32;
        int same = 1;
        float row[3];
        uint8_t xb[3];
        for (int q = 0; q < 4000; q++) {
            for (int j = 0; j < p; j++) {
                int pick = (int)iot_rng_below(&r, 5);
                int e = (int)iot_rng_below(&r, (uint64_t)m->nedges[j]);
                row[j] = pick == 0 ? NAN : pick == 1 ? -INFINITY : pick == 2 ? m->edges[j * 255 + e]
                       : pick == 3 ? nextafterf(m->edges[j * 255 + e], INFINITY) : (float)iot_rng_normal(&r);
            }
            iot_gbdt_bin_row(m, row, xb);
            double s = m->base;
            for (int t = 0; t < m->n_trees; t++) {
                size_t k = 0;
                for (int d = 0; d < m->depth; d++)
                    k = 2 * k + 1 + (xb[m->feat[t * nodes + k]] > m->bin[t * nodes + k]);
                s += m->leaf[t * leaves + k - nodes];
            }
            same &= fabs(s - iot_gbdt_raw(m, row)) <= 1e-12 * fmax(1, fabs(s));
        }
        CHECK(same, "raw-value scoring equals the binned traversal (edges, NaN, -inf)");
        double *out = malloc(n * sizeof *out);
        iot_gbdt_raw_batch(m, X, n, out);
        int bsame = 1;
        for (size_t i = 0; i < n; i++)
            bsame &= fabs(out[i] - iot_gbdt_raw(m, X + i * p)) <= 1e-12 * fmax(1, fabs(out[i]));
        CHECK(bsame, "batch scoring equals row scoring");
        free(out); free(X); free(y);
        iot_gbdt_free(m);
    }

    /* every batch form (SIMD when the CPU has it, portable) gives exactly the sums of the
     * binned traversal in tree order, as training adds them: depths 1..8, any row count,
     * values on the edges, next to them, NaN and -inf */
    for (int depth = 1; depth <= 8; depth++) {
        size_t n = 700;
        int p = 7;
        float *X = malloc(n * p * sizeof *X);
        double *y = malloc(n * sizeof *y);
        struct iot_rng r;
        iot_rng_seed(&r, 40 + (uint64_t)depth, 0);
        for (size_t i = 0; i < n * p; i++)
            X[i] = iot_rng_uniform(&r) < 0.05 ? NAN : (float)iot_rng_normal(&r);
        for (size_t i = 0; i < n; i++)
            y[i] = (isnan(X[i * p]) ? 1 : sinf(3 * X[i * p])) + (isnan(X[i * p + 3]) || isnan(X[i * p + 5]) ? 0 : X[i * p + 3] * X[i * p + 5]);
        struct iot_gbdt_params prm;
        iot_gbdt_defaults(&prm);
        prm.n_trees = 37; prm.max_depth = depth; prm.lr = 0.3; prm.min_leaf = 3;
        struct iot_gbdt *m = iot_gbdt_train(X, n, p, y, &prm, NULL, NULL, &err);
        if (!m) { CHECK(0, "depth %d trains: %s", depth, err); break; }
        for (size_t i = 0; i < n * p; i++) {       /* score other rows, many on the edges */
            int j = (int)(i % p), pick = (int)iot_rng_below(&r, 6);
            int e = m->nedges[j] ? (int)iot_rng_below(&r, (uint64_t)m->nedges[j]) : 0;
            float edge = m->nedges[j] ? m->edges[j * 255 + e] : 0;
            X[i] = pick == 0 ? NAN : pick == 1 ? -INFINITY : pick == 2 ? edge
                 : pick == 3 ? nextafterf(edge, INFINITY) : pick == 4 ? nextafterf(edge, -INFINITY)
                 : (float)iot_rng_normal(&r);
        }
        size_t nodes = ((size_t)1 << depth) - 1, leaves = (size_t)1 << depth;
        double *want = malloc(n * sizeof *want), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        uint8_t xb[7];
        for (size_t i = 0; i < n; i++) {
            iot_gbdt_bin_row(m, X + i * p, xb);
            double s = m->base;
            for (int t = 0; t < m->n_trees; t++) {
                size_t k = 0;
                for (int d = 0; d < depth; d++)
                    k = 2 * k + 1 + (xb[m->feat[t * nodes + k]] > m->bin[t * nodes + k]);
                s += m->leaf[t * leaves + k - nodes];
            }
            want[i] = s;
        }
        int same = 1;
        for (size_t rows = 1; rows <= n; rows += rows < 20 ? 1 : 67) {
            iot_gbdt_raw_batch(m, X, rows, a);
            iot_gbdt_raw_batch_scalar(m, X, rows, b);
            for (size_t i = 0; i < rows; i++)
                same &= a[i] == want[i] && b[i] == want[i] && iot_gbdt_raw(m, X + i * p) == want[i];
        }
        CHECK(same, "depth %d: batch%s, portable batch and row scoring equal the binned traversal",
              depth, iot_gbdt_simd(m) ? " (SIMD)" : "");
        /* feature-major input with a stride, 13 rows (padding lanes read, dropped) */
        size_t ld = 24;
        float *xT = malloc(ld * p * sizeof *xT);
        for (int j = 0; j < p; j++)
            for (size_t q = 0; q < ld; q++)
                xT[j * ld + q] = q < 13 ? X[(100 + q) * p + j] : 1e30f;
        iot_gbdt_raw_cols(m, xT, ld, 13, a);
        int csame = 1;
        for (size_t q = 0; q < 13; q++)
            csame &= a[q] == want[100 + q];
        CHECK(csame, "depth %d: feature-major scoring equals the binned traversal", depth);
        free(xT);
        free(want); free(a); free(b); free(X); free(y);
        iot_gbdt_free(m);
    }

    /* bad input is refused */
    {
        struct iot_gbdt_params p = tiny(IOT_LOSS_SQUARED, 1, 1);
        CHECK(iot_gbdt_train(NULL, 0, 1, NULL, &p, NULL, NULL, &err) == NULL && err, "no rows refused");
        float X1[] = { 1, 2 };
        double ynan[] = { 1, NAN };
        CHECK(iot_gbdt_train(X1, 2, 1, ynan, &p, NULL, NULL, &err) == NULL, "NaN label refused");
        float X[] = { 1 };
        double y[] = { 1 };
        p.max_depth = 0;
        CHECK(iot_gbdt_train(X, 1, 1, y, &p, NULL, NULL, &err) == NULL, "depth 0 refused");
    }
    return unit_done();
}
