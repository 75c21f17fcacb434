#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "linmodel.h"

struct iot_linmodel *iot_linmodel_alloc(int p, bool logistic)
{
    struct iot_linmodel *m = iot_xcalloc(1, sizeof *m);
    m->p = p;
    m->logistic = logistic;
    m->mean = iot_xcalloc((size_t)p + 1, sizeof *m->mean);
    m->sd = iot_xcalloc((size_t)p + 1, sizeof *m->sd);
    m->w = iot_xcalloc((size_t)p + 1, sizeof *m->w);
    return m;
}

void iot_linmodel_free(struct iot_linmodel *m)
{
    if (!m) return;
    free(m->mean); free(m->sd); free(m->w); free(m);
}

static inline double zx(const struct iot_linmodel *m, int j, float v)
{
    return isnan(v) ? 0.0 : ((double)v - m->mean[j]) / m->sd[j];
}

double iot_linmodel_predict(const struct iot_linmodel *m, const float *x)
{
    double s = m->b;
    for (int j = 0; j < m->p; j++)
        s += m->w[j] * zx(m, j, x[j]);
    return m->logistic ? 1 / (1 + exp(-s)) : s;
}

/* Solves A x = b for symmetric positive definite A (q × q) by Cholesky; A and b overwritten. */
static int cholesky_solve(double *A, double *b, int q)
{
    for (int j = 0; j < q; j++) {
        double d = A[j * q + j];
        for (int k = 0; k < j; k++) d -= A[j * q + k] * A[j * q + k];
        if (!(d > 1e-300)) return -1;
        d = sqrt(d);
        A[j * q + j] = d;
        for (int i = j + 1; i < q; i++) {
            double s = A[i * q + j];
            for (int k = 0; k < j; k++) s -= A[i * q + k] * A[j * q + k];
            A[i * q + j] = s / d;
        }
    }
    for (int i = 0; i < q; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) s -= A[i * q + k] * b[k];
        b[i] = s / A[i * q + i];
    }
    for (int i = q - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < q; k++) s -= A[k * q + i] * b[k];
        b[i] = s / A[i * q + i];
    }
    return 0;
}

struct iot_linmodel *iot_linmodel_train(const float *X, size_t n, int p, const double *y,
                                        bool logistic, double l2, const char **err)
{
    if (n == 0 || p <= 0 || l2 < 0) {
        *err = n == 0 ? "no training rows" : "bad parameters";
        return NULL;
    }
    struct iot_linmodel *m = iot_linmodel_alloc(p, logistic);
    for (int j = 0; j < p; j++) {
        double mu = 0, c = 0, k = 0;
        for (size_t i = 0; i < n; i++) {
            float v = X[i * (size_t)p + j];
            if (isnan(v)) continue;
            k++;
            double d = v - mu;
            mu += d / k;
            c += d * (v - mu);
        }
        m->mean[j] = mu;
        double sd = k > 1 ? sqrt(c / (k - 1)) : 0;
        m->sd[j] = sd > 0 ? sd : 1;
    }
    const int q = p + 1;                         /* weights then intercept */
    double *A = iot_xmalloc((size_t)q * q * sizeof *A), *g = iot_xmalloc((size_t)q * sizeof *g);
    double *z = iot_xmalloc((size_t)q * sizeof *z), *beta = iot_xcalloc((size_t)q, sizeof *beta);
    double N = (double)n;
    if (logistic) {
        double r = 0;
        for (size_t i = 0; i < n; i++) r += y[i];
        r = fmin(fmax(r / N, 1e-6), 1 - 1e-6);
        beta[p] = log(r / (1 - r));
    }
    int iters = logistic ? 50 : 1;
    for (int it = 0; it < iters; it++) {
        memset(A, 0, (size_t)q * q * sizeof *A);
        memset(g, 0, (size_t)q * sizeof *g);
        for (size_t i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) z[j] = zx(m, j, X[i * (size_t)p + j]);
            z[p] = 1;
            double s = 0;
            for (int j = 0; j < q; j++) s += beta[j] * z[j];
            double pr = logistic ? 1 / (1 + exp(-s)) : s, w = logistic ? fmax(pr * (1 - pr), 1e-12) : 1;
            double r = pr - y[i];
            for (int a = 0; a < q; a++) {
                g[a] += r * z[a];
                double wa = w * z[a];
                for (int b = 0; b <= a; b++) A[a * q + b] += wa * z[b];
            }
        }
        for (int a = 0; a < q; a++) {
            for (int b = 0; b <= a; b++) { A[a * q + b] /= N; A[b * q + a] = A[a * q + b]; }
            g[a] /= N;
            if (a < p) { A[a * q + a] += l2; g[a] += l2 * beta[a]; }
        }
        if (cholesky_solve(A, g, q) != 0) {
            *err = "singular system (try a larger --l2)";
            free(A); free(g); free(z); free(beta);
            iot_linmodel_free(m);
            return NULL;
        }
        double step = 0;
        for (int j = 0; j < q; j++) { beta[j] -= g[j]; step = fmax(step, fabs(g[j])); }
        if (step < 1e-10) break;
    }
    memcpy(m->w, beta, (size_t)p * sizeof *beta);
    m->b = beta[p];
    free(A); free(g); free(z); free(beta);
    return m;
}
