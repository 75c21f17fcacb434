/* decompose: whole-series anomaly functions after Kusto (series_outliers, series_fit_line,
 * series_periods_detect, series_decompose, series_decompose_anomalies). Arrays in, arrays out;
 * NaN marks a missing element. See learn.microsoft.com/kusto/query/series-decompose-function and series-decompose-anomalies-function. */
#ifndef IOT_DECOMPOSE_H
#define IOT_DECOMPOSE_H
#include <stddef.h>

enum iot_ad_kind { IOT_AD_CTUKEY = 0, IOT_AD_TUKEY };
enum iot_trend { IOT_TREND_AVG = 0, IOT_TREND_LINEFIT, IOT_TREND_NONE };

/* Kusto's published scale for the default ctukey 10/90 fences (reference §7). */
#define IOT_CTUKEY_C 2.7726056

/* Percentile with linear interpolation, rank = pct/100·(n−1), of sorted[0..n) (numpy 'linear').
 * NaN if n == 0. */
double iot_percentile_sorted(const double *sorted, size_t n, double pct);

/* series_outliers: score[i] for x[0..n); NaN elements score 0. kind CTUKEY uses pmin/pmax
 * (each 2..98; the default 10/90 uses IOT_CTUKEY_C, others the normal-theory constant);
 * TUKEY fixes 25/75 and c = 1. Returns 0, or -1 on bad percentiles. */
int iot_series_outliers(const double *x, size_t n, enum iot_ad_kind kind, double pmin,
                        double pmax, double *score);

/* series_fit_line over x = 1..n (NaN elements are not allowed). */
struct iot_fit_line { double rsquare, slope, variance, rvariance, interception; };
void iot_series_fit_line(const double *y, size_t n, struct iot_fit_line *out);

/* Best period in [minp, maxp] bins (≥ 4, ≤ n/2) by autocorrelation of the mean-removed
 * series; *score in [0,1]. Returns the period, or 0 if none. Scores are implementation-defined
 * (Kusto does not document its algorithm). */
int iot_series_period(const double *x, size_t n, int minp, int maxp, double *score);

struct iot_decompose_opts {
    int seasonality;              /* −1 auto-detect, 0 none, >0 period in bins */
    enum iot_trend trend;
    int test_points;              /* points at the end excluded from fitting */
    double season_threshold;      /* minimum period score for auto-detect (0.6) */
    enum iot_ad_kind ad_method;   /* ctukey */
    double k;                     /* flag threshold (1.5) */
};
void iot_decompose_defaults(struct iot_decompose_opts *o);

/* series_decompose: writes baseline, seasonal, trend, residual (each n; any may be NULL).
 * Returns the period used (0 = none). */
int iot_series_decompose(const double *x, size_t n, const struct iot_decompose_opts *o,
                         double *baseline, double *seasonal, double *trend, double *residual);

/* series_decompose_anomalies: flag[i] ∈ {+1, −1, 0} (score > k, < −k), score, baseline.
 * Missing elements get flag 0 and score 0. Returns the period used. */
int iot_series_decompose_anomalies(const double *x, size_t n, const struct iot_decompose_opts *o,
                                   int *flag, double *score, double *baseline);
#endif
