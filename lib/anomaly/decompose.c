/* decompose: Kusto series functions. Formulas: learn.microsoft.com/kusto/query/series-decompose-function, series-decompose-anomalies-function, series-outliers-function
 * (learn.microsoft.com/kusto/query/series-*-function; the series_outliers constant from
 * microsoft/Kusto-Query-Language issue 136). */
#include "decompose.h"
#include "core/buf.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Finite elements of x into a fresh sorted array; *m = their count. */
static double *sorted_finite(const double *x, size_t n, size_t *m)
{
    double *s = iot_xmalloc((n ? n : 1) * sizeof *s);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            s[k++] = x[i];
    qsort(s, k, sizeof *s, cmp_double);
    *m = k;
    return s;
}

double iot_percentile_sorted(const double *s, size_t n, double pct)
{
    if (n == 0)
        return NAN;
    double r = pct / 100 * (double)(n - 1);
    size_t i = (size_t)floor(r);
    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + (r - (double)i) * (s[i + 1] - s[i]);
}

/* Φ⁻¹ by bisection on erfc: only used for custom ctukey percentiles. */
static double norm_quantile(double q)
{
    double lo = -10, hi = 10;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / M_SQRT2) < q) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

int iot_series_outliers(const double *x, size_t n, enum iot_ad_kind kind, double pmin,
                        double pmax, double *score)
{
    double c = 1;
    if (kind == IOT_AD_TUKEY) {
        pmin = 25;
        pmax = 75;
    } else {
        if (!(pmin >= 2 && pmax <= 98 && pmin < pmax))
            return -1;
        if (pmin == 10 && pmax == 90) {
            c = IOT_CTUKEY_C;
        } else {  /* normal-theory scale: 1.5 means what k = 1.5 means for a 25/75 fence */
            double z75 = norm_quantile(0.75), z25 = norm_quantile(0.25);
            double f = z75 + 1.5 * (z75 - z25);
            double zh = norm_quantile(pmax / 100), zl = norm_quantile(pmin / 100);
            c = 1.5 * (zh - zl) / (f - zh);
        }
    }
    size_t m;
    double *s = sorted_finite(x, n, &m);
    double pl = iot_percentile_sorted(s, m, pmin), ph = iot_percentile_sorted(s, m, pmax);
    free(s);
    double r = ph - pl;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v) || !(r > 0))
            score[i] = 0;
        else if (v > ph)
            score[i] = c * (v - ph) / r;
        else if (v < pl)
            score[i] = c * (v - pl) / r;
        else
            score[i] = 0;
    }
    return 0;
}

/* Least squares over t = 1..n of the finite elements: y ≈ a + b·t. Returns points used. */
static size_t line_fit(const double *y, size_t n, double *a, double *b)
{
    double st = 0, sy = 0, stt = 0, sty = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        double t = (double)(i + 1);
        st += t; sy += y[i]; stt += t * t; sty += t * y[i];
        k++;
    }
    if (k == 0) {
        *a = *b = 0;
        return 0;
    }
    double den = (double)k * stt - st * st;
    *b = den != 0 ? ((double)k * sty - st * sy) / den : 0;
    *a = (sy - *b * st) / (double)k;
    return k;
}

void iot_series_fit_line(const double *y, size_t n, struct iot_fit_line *o)
{
    double a, b;
    line_fit(y, n, &a, &b);
    double mean = 0, ss = 0, rss = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double e = y[i] - (a + b * (double)(i + 1));
        ss += (y[i] - mean) * (y[i] - mean);
        rss += e * e;
    }
    o->slope = b;
    o->interception = a;
    o->variance = n > 1 ? ss / (double)(n - 1) : 0;
    o->rvariance = n > 1 ? rss / (double)(n - 1) : 0;
    o->rsquare = ss > 0 ? 1 - rss / ss : 1;
}

/* Normalised autocorrelation at lag p over the pairs where both ends are finite. */
static double acf(const double *d, size_t n, size_t p, double var)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i + p < n; i++)
        if (isfinite(d[i]) && isfinite(d[i + p])) {
            s += d[i] * d[i + p];
            k++;
        }
    return k && var > 0 ? s / (double)k / var : 0;
}

int iot_series_period(const double *x, size_t n, int minp, int maxp, double *score)
{
    *score = 0;
    if (minp < 4) minp = 4;
    if (maxp > (int)(n / 2)) maxp = (int)(n / 2);
    if (maxp < minp)
        return 0;
    /* remove a straight line first so that a trend does not read as a long period */
    double a, b;
    line_fit(x, n, &a, &b);
    double *d = iot_xmalloc(n * sizeof *d), var = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        d[i] = isfinite(x[i]) ? x[i] - (a + b * (double)(i + 1)) : NAN;
        if (isfinite(d[i])) { var += d[i] * d[i]; k++; }
    }
    var = k ? var / (double)k : 0;
    double *r = iot_xcalloc((size_t)maxp + 2, sizeof *r);
    for (int p = minp - 1; p <= maxp + 1; p++)
        if (p >= 1 && (size_t)p < n)
            r[p] = acf(d, n, (size_t)p, var);
    free(d);
    /* local maxima; the best one, preferring the shortest within 10 % of it (not a multiple) */
    double best = 0;
    for (int p = minp; p <= maxp; p++)
        if (r[p] >= r[p - 1] && r[p] >= r[p + 1] && r[p] > best)
            best = r[p];
    int period = 0;
    for (int p = minp; p <= maxp && best > 0; p++)
        if (r[p] >= r[p - 1] && r[p] >= r[p + 1] && r[p] >= 0.9 * best) {
            period = p;
            *score = r[p] > 1 ? 1 : r[p];
            break;
        }
    free(r);
    return period;
}

void iot_decompose_defaults(struct iot_decompose_opts *o)
{
    o->seasonality = -1;
    o->trend = IOT_TREND_AVG;
    o->test_points = 0;
    o->season_threshold = 0.6;
    o->ad_method = IOT_AD_CTUKEY;
    o->k = 1.5;
}

int iot_series_decompose(const double *x, size_t n, const struct iot_decompose_opts *o,
                         double *baseline, double *seasonal, double *trend, double *residual)
{
    size_t fit = o->test_points > 0 && (size_t)o->test_points < n ? n - (size_t)o->test_points : n;
    int period = o->seasonality;
    if (period < 0) {
        double sc;
        period = iot_series_period(x, fit, 4, (int)(fit / 2), &sc);
        if (sc < o->season_threshold)
            period = 0;
    }
    if (period > 0 && (size_t)period > fit)
        period = 0;
    double *sea = iot_xcalloc(n ? n : 1, sizeof *sea);
    double *tre = iot_xcalloc(n ? n : 1, sizeof *tre);
    double *des = iot_xmalloc((n ? n : 1) * sizeof *des);
    if (period > 0) {   /* seasonal = median of each phase over the fitting points */
        double *ph = iot_xmalloc((fit / (size_t)period + 1) * sizeof *ph);
        for (int p = 0; p < period; p++) {
            size_t k = 0;
            for (size_t i = (size_t)p; i < fit; i += (size_t)period)
                if (isfinite(x[i]))
                    ph[k++] = x[i];
            qsort(ph, k, sizeof *ph, cmp_double);
            double med = k == 0 ? 0 : k % 2 ? ph[k / 2] : (ph[k / 2 - 1] + ph[k / 2]) / 2;
            for (size_t i = (size_t)p; i < n; i += (size_t)period)
                sea[i] = med;
        }
        free(ph);
    }
    for (size_t i = 0; i < n; i++)
        des[i] = i < fit ? x[i] - sea[i] : NAN;
    if (o->trend == IOT_TREND_AVG) {
        double s = 0;
        size_t k = 0;
        for (size_t i = 0; i < fit; i++)
            if (isfinite(des[i])) { s += des[i]; k++; }
        for (size_t i = 0; i < n; i++)
            tre[i] = k ? s / (double)k : 0;
    } else if (o->trend == IOT_TREND_LINEFIT) {
        double a, b;
        line_fit(des, fit, &a, &b);
        for (size_t i = 0; i < n; i++)
            tre[i] = a + b * (double)(i + 1);
    }
    for (size_t i = 0; i < n; i++) {
        double base = sea[i] + tre[i];
        if (baseline) baseline[i] = base;
        if (seasonal) seasonal[i] = sea[i];
        if (trend) trend[i] = tre[i];
        if (residual) residual[i] = isfinite(x[i]) ? x[i] - base : NAN;
    }
    free(sea);
    free(tre);
    free(des);
    return period;
}

int iot_series_decompose_anomalies(const double *x, size_t n, const struct iot_decompose_opts *o,
                                   int *flag, double *score, double *baseline)
{
    double *res = iot_xmalloc((n ? n : 1) * sizeof *res);
    int period = iot_series_decompose(x, n, o, baseline, NULL, NULL, res);
    iot_series_outliers(res, n, o->ad_method, 10, 90, score);
    for (size_t i = 0; i < n; i++)
        flag[i] = score[i] > o->k ? 1 : score[i] < -o->k ? -1 : 0;
    free(res);
    return period;
}
