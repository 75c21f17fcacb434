#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include "core/buf.h"
#include "cv.h"
#include "core/rng.h"

void iot_cv_folds(const size_t *rows, int ngroups, int k, uint64_t seed, int *fold)
{
    int *ord = iot_xmalloc((size_t)(ngroups + 1) * sizeof *ord);
    size_t *load = iot_xcalloc((size_t)k, sizeof *load);
    struct iot_rng r;
    iot_rng_seed(&r, seed, 0xcf);
    for (int g = 0; g < ngroups; g++)
        ord[g] = g;
    for (int g = ngroups - 1; g > 0; g--) {     /* Fisher–Yates */
        int j = (int)iot_rng_below(&r, (uint64_t)g + 1), t = ord[g];
        ord[g] = ord[j]; ord[j] = t;
    }
    for (int q = 0; q < ngroups; q++) {
        int g = ord[q], best = 0;
        for (int f = 1; f < k; f++)
            if (load[f] < load[best])
                best = f;
        fold[g] = best;
        load[best] += rows[g];
    }
    free(ord);
    free(load);
}

double iot_metric_rmse(const double *y, const double *p, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (p[i] - y[i]) * (p[i] - y[i]);
    return n ? sqrt(s / (double)n) : NAN;
}

double iot_metric_mae(const double *y, const double *p, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs(p[i] - y[i]);
    return n ? s / (double)n : NAN;
}

struct sp { double p, y; };
static int cmp_sp(const void *a, const void *b)
{
    double x = ((const struct sp *)a)->p, y = ((const struct sp *)b)->p;
    return (x > y) - (x < y);
}

static struct sp *sorted(const double *y, const double *p, size_t n)
{
    struct sp *v = iot_xmalloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (struct sp){ p[i], y[i] };
    qsort(v, n, sizeof *v, cmp_sp);
    return v;
}

double iot_metric_auc(const double *y, const double *p, size_t n)
{
    struct sp *v = sorted(y, p, n);
    double n1 = 0, n0 = 0, rsum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].p == v[i].p)
            j++;
        double rank = ((double)i + (double)j + 1) / 2;      /* mid-rank, 1-based */
        for (size_t q = i; q < j; q++) {
            if (v[q].y > 0.5) { n1++; rsum += rank; } else n0++;
        }
        i = j;
    }
    free(v);
    if (n1 == 0 || n0 == 0)
        return NAN;
    return (rsum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

struct iot_cls_metrics iot_metric_cls(const double *y, const double *p, size_t n, double thr)
{
    struct iot_cls_metrics m = { 0 };
    for (size_t i = 0; i < n; i++) {
        bool pos = p[i] >= thr, lab = y[i] > 0.5;
        if (pos && lab) m.tp++;
        else if (pos) m.fp++;
        else if (lab) m.fn++;
        else m.tn++;
    }
    m.precision = m.tp + m.fp ? (double)m.tp / (double)(m.tp + m.fp) : 0;
    m.recall = m.tp + m.fn ? (double)m.tp / (double)(m.tp + m.fn) : 0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    return m;
}

double iot_best_f1_threshold(const double *y, const double *p, size_t n)
{
    struct sp *v = sorted(y, p, n);
    double pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += v[i].y > 0.5;
    double best = 0.5, bestf = -1, tp = 0, fp = 0;
    /* walk thresholds from the highest score down: predicted positives are v[i..n) */
    for (size_t i = n; i-- > 0;) {
        if (v[i].y > 0.5) tp++; else fp++;
        if (i > 0 && v[i - 1].p == v[i].p)
            continue;
        double f1 = pos > 0 ? 2 * tp / (tp + fp + pos) : 0;
        if (f1 > bestf) {
            bestf = f1;
            best = v[i].p;
        }
    }
    free(v);
    return pos > 0 ? best : 0.5;
}
