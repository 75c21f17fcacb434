/* Unit tests for lib/decompose: Kusto reference vectors (Kusto docs: series_decompose, series_outliers examples) and a synthetic
 * seasonal series with a planted outlier. */
#include "unit.h"
#include "anomaly/decompose.h"
#include "core/rng.h"
#include <stdlib.h>

static void test_outliers(void)
{
    const double x[16] = { -3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4 };
    const double want[16] = { -1.9040785483608571, -0.10021466044004519, 1.3361954725339347,
                              0, 0, 0, 0, 0, 0, 0, 0, 1.6702443406674186, 0, 0, 0, 0 };
    double s[16];
    CHECK(iot_series_outliers(x, 16, IOT_AD_CTUKEY, 10, 90, s) == 0, "series_outliers runs");
    int ok = 1;
    for (int i = 0; i < 16; i++)
        if (fabs(s[i] - want[i]) > 1e-6) {
            ok = 0;
            printf("# i=%d got %.17g want %.17g\n", i, s[i], want[i]);
        }
    CHECK(ok, "series_outliers reproduces the Kusto maintainer vector");

    double srt[16] = { -3, 2.4, 3, 3.9, 4, 4, 4.5, 5, 5, 5, 5, 5.2, 6, 7, 15, 16 };
    CHECK_NEAR(iot_percentile_sorted(srt, 16, 10), 2.7, 1e-12, "p10 = 2.7");
    CHECK_NEAR(iot_percentile_sorted(srt, 16, 90), 11, 1e-12, "p90 = 11");

    /* nulls score 0 and are left out of the percentiles */
    double xn[17];
    memcpy(xn, x, sizeof x);
    xn[16] = NAN;
    double sn[17];
    iot_series_outliers(xn, 17, IOT_AD_CTUKEY, 10, 90, sn);
    CHECK(sn[16] == 0 && fabs(sn[0] - want[0]) < 1e-6, "NaN element scores 0, others unchanged");
    if (fabs(sn[0] - want[0]) >= 1e-6) printf("# got %.17g\n", sn[0]);

    /* tukey: 25/75 and c = 1 */
    iot_series_outliers(x, 16, IOT_AD_TUKEY, 0, 0, s);
    double q1 = iot_percentile_sorted(srt, 16, 25), q3 = iot_percentile_sorted(srt, 16, 75);
    CHECK_NEAR(s[11], (16 - q3) / (q3 - q1), 1e-12, "tukey score = (x - Q3)/IQR");
    CHECK(iot_series_outliers(x, 16, IOT_AD_CTUKEY, 1, 90, s) < 0, "percentile below 2 refused");
    /* custom percentiles: normal-theory constant, within 2 % of Kusto's */
    iot_series_outliers(x, 16, IOT_AD_CTUKEY, 10.0001, 90, s);
    CHECK(fabs(s[11] / 1.6702443406674186 - 2.7143706 / IOT_CTUKEY_C) < 1e-3,
          "custom percentiles use c = 1.5 (zH - zL)/(F - zH)");
}

static void test_fit_line(void)
{
    const double y[12] = { 2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30 };
    struct iot_fit_line f;
    iot_series_fit_line(y, 12, &f);
    CHECK_NEAR(f.rsquare, 0.982, 1e-3, "fit_line rsquare");
    CHECK_NEAR(f.slope, 2.730, 1e-3, "fit_line slope");
    CHECK_NEAR(f.variance, 98.628, 1e-3, "fit_line variance (n-1)");
    CHECK_NEAR(f.rvariance, 1.686, 1e-3, "fit_line rvariance");
    CHECK_NEAR(f.interception, -1.666, 1e-3, "fit_line interception at x = 0");
    CHECK_NEAR(f.interception + f.slope, 1.064, 1e-3, "line_fit[0]");
    CHECK_NEAR(f.interception + 2 * f.slope, 3.7945, 1e-3, "line_fit[1]");
}

static void seasonal_series(double *x, int n, int period, double noise, unsigned seed)
{
    struct iot_rng r;
    iot_rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++)
        x[i] = 20 + 5 * sin(2 * M_PI * i / period) + noise * iot_rng_normal(&r);
}

static void test_decompose(void)
{
    enum { N = 24 * 14 };
    double x[N], base[N], sea[N], tre[N], res[N], score[N];
    int flag[N];
    seasonal_series(x, N, 24, 0.3, 7);
    double sc;
    int p = iot_series_period(x, N, 4, N / 2, &sc);
    CHECK(p == 24, "period auto-detect finds 24 (got %d, score %.3f)", p, sc);
    CHECK(sc >= 0.6, "period score above the 0.6 threshold");

    x[200] += 6;   /* planted outlier */
    struct iot_decompose_opts o;
    iot_decompose_defaults(&o);
    int used = iot_series_decompose(x, N, &o, base, sea, tre, res);
    CHECK(used == 24, "decompose uses the detected period");
    int ok = 1;
    for (int i = 0; i < N; i++)
        ok &= fabs(base[i] - (sea[i] + tre[i])) < 1e-12 && fabs(res[i] - (x[i] - base[i])) < 1e-12;
    CHECK(ok, "baseline = seasonal + trend, residual = x - baseline");
    CHECK(fabs(sea[5] - sea[5 + 24]) < 1e-12, "seasonal component repeats each period");

    iot_series_decompose_anomalies(x, N, &o, flag, score, base);
    int nflag = 0, top = 0;
    for (int i = 0; i < N; i++) {
        nflag += flag[i] != 0;
        if (fabs(score[i]) > fabs(score[top])) top = i;
    }
    CHECK(flag[200] == 1, "planted outlier flagged +1 (score %.2f)", score[200]);
    CHECK(top == 200, "planted outlier has the largest score");
    /* k = 1.5 on ctukey means a Tukey 1.5 fence: ~0.7 % of Gaussian noise is flagged too */
    CHECK(nflag <= 1 + N / 40, "few noise points flagged (%d flags)", nflag);

    x[200] -= 12;
    iot_series_decompose_anomalies(x, N, &o, flag, score, base);
    CHECK(flag[200] == -1 && score[200] < -1.5, "planted dip flagged -1");

    /* no seasonality, no trend: baseline 0, residual = x */
    o.seasonality = 0;
    o.trend = IOT_TREND_NONE;
    iot_series_decompose(x, N, &o, base, NULL, NULL, res);
    CHECK(base[10] == 0 && res[10] == x[10], "seasonality 0 + trend none: residual = x");

    /* linefit follows a slope; avg does not */
    double y[100];
    for (int i = 0; i < 100; i++)
        y[i] = 3 + 0.5 * (i + 1);
    o.trend = IOT_TREND_LINEFIT;
    iot_series_decompose(y, 100, &o, base, NULL, NULL, res);
    CHECK_NEAR(res[99], 0, 1e-9, "linefit trend removes a straight line");
    o.trend = IOT_TREND_AVG;
    iot_series_decompose(y, 100, &o, base, NULL, NULL, res);
    CHECK(fabs(res[99]) > 20, "avg trend is a constant");

    /* test points: the last points are not fitted, but get a baseline */
    o.seasonality = 24;
    o.trend = IOT_TREND_AVG;
    o.test_points = 24;
    seasonal_series(x, N, 24, 0.3, 9);
    for (int i = N - 24; i < N; i++)
        x[i] += 100;   /* would move the average if it were fitted */
    iot_series_decompose(x, N, &o, base, NULL, tre, NULL);
    CHECK(fabs(tre[0]) < 0.5, "test points excluded from the trend fit (%.3f)", tre[0]);
    CHECK(fabs(base[N - 1] - 20 - 5 * sin(2 * M_PI * (N - 1) / 24)) < 0.5, "test points get a baseline");
    o.test_points = 0;
    iot_series_decompose(x, N, &o, base, NULL, tre, NULL);
    CHECK(tre[0] > 5, "without test points the jump moves the trend (%.3f)", tre[0]);

    /* flat series without a period: no seasonality detected */
    for (int i = 0; i < N; i++)
        x[i] = 1.0;
    CHECK(iot_series_period(x, N, 4, N / 2, &sc) == 0, "constant series has no period");
}

int main(void)
{
    test_outliers();
    test_fit_line();
    test_decompose();
    return unit_done();
}
