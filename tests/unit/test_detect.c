/* Unit tests for lib/detect: reference vectors (ML.NET SpikeAndDip / ChangePoint) and detector behaviour on
 * seeded synthetic series. */
#include "unit.h"
#include "anomaly/detect.h"
#include "core/rng.h"
#include <stdlib.h>

static void test_pieces(void)
{
    /* stdlib incr/ewvariance vector, a = 0.5: 2, 1, 3 → var 0, 0.25, 0.6875 */
    double m = 0, v = 0;
    uint32_t n = 0;
    iot_ewvar_step(&m, &v, &n, 0.5, 2);
    CHECK(v == 0 && m == 2, "ewvariance first value: mean = x, var = 0");
    iot_ewvar_step(&m, &v, &n, 0.5, 1);
    CHECK_NEAR(v, 0.25, 1e-15, "ewvariance second");
    iot_ewvar_step(&m, &v, &n, 0.5, 3);
    CHECK_NEAR(v, 0.6875, 1e-15, "ewvariance third");

    /* KDE p-value properties */
    CHECK(iot_kde_pvalue(NULL, 0, 3) == 0.5, "empty history: p = 0.5");
    double one = 1;
    CHECK_NEAR(iot_kde_pvalue(&one, 1, 1 + M_SQRT2), 0.5 - 0.5 * erf(1), 1e-15,
               "one value: bandwidth sqrt(2)");
    double b[50];
    for (int i = 0; i < 50; i++)
        b[i] = i;
    CHECK(iot_kde_pvalue(b, 50, 1000) < 1e-9, "far above the history: p -> 0");
    CHECK(iot_kde_pvalue(b, 50, -1000) > 1 - 1e-9, "far below: p -> 1");
    CHECK_NEAR(iot_kde_pvalue(b, 50, 24.5), 0.5, 1e-9, "centre of a symmetric history: 0.5");
    CHECK_NEAR(iot_kde_pvalue(b, 50, 10), 0.8, 0.05, "p ~ fraction of history above x");
    int mono = 1;
    for (double x = -10; x < 60; x += 0.5)
        mono &= iot_kde_pvalue(b, 50, x) >= iot_kde_pvalue(b, 50, x + 0.5);
    CHECK(mono, "p decreases as x grows");
    double flat[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
    CHECK(iot_kde_pvalue(flat, 10, 5.001) < 1e-9, "constant history: bandwidth floor 1e-6");
    /* bandwidth uses S = sum over pairs of squared differences: same p under a shift */
    double bs[50];
    for (int i = 0; i < 50; i++)
        bs[i] = b[i] + 1e6;
    CHECK_NEAR(iot_kde_pvalue(bs, 50, 1e6 + 10), iot_kde_pvalue(b, 50, 10), 1e-9,
               "shift invariant (no cancellation)");

    /* martingale betas */
    CHECK_NEAR(iot_mart_log_beta(IOT_MART_POWER, 0.1, 0.05), log(0.1) - 0.9 * log(0.05), 1e-15,
               "power: ln eps + (eps-1) ln p");
    /* mixture = ∫0^1 eps p^(eps-1) d eps, checked by a midpoint integral */
    double p = 0.2, s = 0;
    for (int i = 0; i < 100000; i++) {
        double e = (i + 0.5) / 100000;
        s += e * pow(p, e - 1) / 100000;
    }
    CHECK_NEAR(iot_mart_log_beta(IOT_MART_MIXTURE, 0, p), log(s), 1e-6, "mixture closed form");

    CHECK_NEAR(iot_norm_tail(0), 0.5, 1e-15, "Q(0) = 0.5");
    CHECK_NEAR(iot_norm_tail(1.959963985), 0.025, 1e-9, "Q(1.96) = 0.025");
    CHECK_NEAR(iot_likelihood_tail(-1, 0, 1), iot_likelihood_tail(1, 0, 1), 1e-15,
               "likelihood tail folds around the mean");

    double med[] = { 5, 1, 4, 2, 3 };
    CHECK(iot_median(med, 5) == 3, "median odd");
    double med2[] = { 4, 1, 3, 2 };
    CHECK(iot_median(med2, 4) == 2.5, "median even");
    CHECK(iot_det_method_parse("spikedip") == IOT_DET_SPIKEDIP && iot_det_method_parse("x") < 0,
          "method names");
}

/* Runs n values of N(mu, sd) with optional events; returns the number of alerts, and the
 * index of the first alert at or after `from` in *first. */
static int run(struct iot_det *d, const struct iot_det_params *p, struct iot_rng *r, int n,
               double mu, double sd, int from, int *first)
{
    int alerts = 0;
    if (first) *first = -1;
    for (int i = 0; i < n; i++) {
        struct iot_det_result res;
        iot_det_update(d, p, mu + sd * iot_rng_normal(r), &res);
        if (res.alert) {
            alerts++;
            if (first && *first < 0 && i >= from) *first = i;
        }
    }
    return alerts;
}

static double feed(struct iot_det *d, const struct iot_det_params *p, double x, bool *alert)
{
    struct iot_det_result res;
    iot_det_update(d, p, x, &res);
    if (alert) *alert = res.alert;
    return res.score;
}

static void test_auto(void)
{
    struct iot_det_params p;
    iot_det_defaults(&p, IOT_DET_AUTO);
    CHECK(sizeof(struct iot_det) <= 300 && iot_det_heap_bytes(&p) == 0,
          "auto state %zu bytes, no heap (<= 300)", sizeof(struct iot_det));

    /* a day of 1 s Gaussian noise: at most one false alert */
    struct iot_det d;
    struct iot_rng r;
    iot_rng_seed(&r, 42, 1);
    iot_det_init(&d, &p);
    int fa = run(&d, &p, &r, 86400, 20, 0.5, 0, NULL);
    CHECK(fa <= 1, "auto: %d false alerts in a day of noise", fa);

    /* a spike far outside the range scores 1 and alerts */
    bool al;
    double sc = feed(&d, &p, 20 + 0.5 * 8, &al);
    CHECK(sc == 1 && al, "auto: 8 sigma spike scores 1 and alerts");
    /* a second spike of the same size later on is caught as well */
    run(&d, &p, &r, 500, 20, 0.5, 0, NULL);
    sc = feed(&d, &p, 20 + 0.5 * 8, &al);
    CHECK(al, "auto: second spike of the same size alerts (isolated spikes do not widen the range)");
    /* refractory: a second spike 13 values later scores 1 but is not an alert */
    run(&d, &p, &r, 12, 20, 0.5, 0, NULL);
    sc = feed(&d, &p, 20 - 0.5 * 8, &al);
    CHECK(sc == 1 && !al, "auto: refractory period suppresses the next alert");
    /* within an episode (a capped surprise among the last 10) the override does not fire */
    sc = feed(&d, &p, 20 - 0.5 * 8, &al);
    CHECK(sc < 1, "auto: no new-extreme override inside an episode (%g)", sc);
    run(&d, &p, &r, 100, 20, 0.5, 0, NULL);

    /* a level shift alerts, then goes quiet */
    int first;
    int n = run(&d, &p, &r, 3000, 24, 0.5, 0, &first);
    CHECK(first >= 0 && first < 20, "auto: level shift detected after %d values", first);
    CHECK(n <= 3, "auto: level shift gives few alerts (%d)", n);
    iot_det_free(&d, &p);

    /* robust learning: a 5-minute level shift of 6 sd does not blind the detector to a
     * smaller one (3 sd) an hour later; the old model's variance grew by ~0.2 per minute. */
    iot_det_init(&d, &p);
    run(&d, &p, &r, 7000, 0, 1, 0, NULL);
    run(&d, &p, &r, 300, 6, 1, 0, NULL);
    run(&d, &p, &r, 3600, 0, 1, 0, NULL);
    n = run(&d, &p, &r, 200, 3, 1, 0, &first);
    CHECK(first >= 0 && first < 30, "auto: 3 sd shift after a 6 sd one detected after %d values", first);
    /* the red/yellow filter follows the threshold: at 0.8 a rising short mean is not filtered
     * out on its way through 1e-5 */
    struct iot_det_params p8 = p;
    p8.threshold = 0.8;
    iot_det_init(&d, &p8);
    run(&d, &p8, &r, 5000, 0, 1, 0, NULL);
    n = run(&d, &p8, &r, 200, 3, 1, 0, &first);
    CHECK(first >= 0 && first < 30, "auto: threshold 0.8 still sees a 3 sd shift (%d)", first);
    /* an early dip (before the override is active) does not widen the range for good */
    iot_det_init(&d, &p);
    run(&d, &p, &r, 60, 0, 1, 0, NULL);
    feed(&d, &p, -9, NULL);
    run(&d, &p, &r, 3000, 0, 1, 0, NULL);
    sc = feed(&d, &p, -7, &al);
    CHECK(sc == 1 && al, "auto: a dip like one seen during start-up alerts");
    /* the range forgets: a 9 sd shift absorbed for an hour, then gone for a day; a 7 sd spike alerts */
    run(&d, &p, &r, 3600, 9, 1, 0, NULL);
    run(&d, &p, &r, 86400, 0, 1, 0, NULL);
    sc = feed(&d, &p, 7, &al);
    CHECK(sc == 1 && al, "auto: the range forgets an old excursion (%g)", sc);
    iot_det_free(&d, &p);

    /* one threshold for quiet and noisy series: scores are scale-free */
    struct iot_det q, z;
    struct iot_rng r1, r2;
    iot_rng_seed(&r1, 5, 2);
    iot_rng_seed(&r2, 5, 2);
    iot_det_init(&q, &p);
    iot_det_init(&z, &p);
    int same = 1;
    for (int i = 0; i < 5000; i++) {
        double e1 = iot_rng_normal(&r1), e2 = iot_rng_normal(&r2);
        if (i == 3000) e1 = e2 = 9;
        double s1 = feed(&q, &p, 0.001 * e1, NULL), s2 = feed(&z, &p, 1000 + 50 * e2, NULL);
        same &= fabs(s1 - s2) < 1e-6;
    }
    CHECK(same, "auto: same scores for a quiet (sd 0.001) and a noisy (sd 50) series");

    /* state round trip: save after 700 values, continue both: identical scores */
    json_t *j = iot_det_save(&q, &p);
    struct iot_det c;
    iot_det_init(&c, &p);
    CHECK(iot_det_load(&c, &p, j) == 0, "auto state loads");
    json_decref(j);
    int eq = 1;
    for (int i = 0; i < 2000; i++) {
        double x = iot_rng_normal(&r1) * 0.001 + (i == 1500 ? 0.01 : 0);
        eq &= feed(&q, &p, x, NULL) == feed(&c, &p, x, NULL);
    }
    CHECK(eq, "auto: restored state continues identically");
    iot_det_free(&q, &p);
    iot_det_free(&z, &p);
    iot_det_free(&c, &p);
}

static void test_baselines(void)
{
    struct iot_rng r;
    iot_rng_seed(&r, 11, 3);
    for (int m = IOT_DET_ZSCORE; m <= IOT_DET_EWMA; m++) {
        struct iot_det_params p;
        iot_det_defaults(&p, (enum iot_det_method)m);
        struct iot_det d;
        iot_det_init(&d, &p);
        bool al;
        feed(&d, &p, 1, &al);
        CHECK(!al, "%s: no alert during warm-up", iot_det_method_name(p.method));
        int fa = run(&d, &p, &r, 2000, 10, 1, 0, NULL);
        double sc = feed(&d, &p, 18, &al);
        CHECK(al && sc > p.threshold, "%s: 8 sigma spike alerts (score %.2f)",
              iot_det_method_name(p.method), sc);
        sc = feed(&d, &p, 2, &al);
        CHECK(al && sc < -p.threshold, "%s: dip has a negative score", iot_det_method_name(p.method));
        CHECK(fa < 30, "%s: %d alerts on 2000 noise values", iot_det_method_name(p.method), fa);
        json_t *j = iot_det_save(&d, &p);
        struct iot_det c;
        iot_det_init(&c, &p);
        CHECK(iot_det_load(&c, &p, j) == 0, "%s: state loads", iot_det_method_name(p.method));
        json_decref(j);
        int eq = 1;
        for (int i = 0; i < 300; i++) {
            double x = 10 + iot_rng_normal(&r);
            eq &= feed(&d, &p, x, NULL) == feed(&c, &p, x, NULL);
        }
        CHECK(eq, "%s: restored state continues identically", iot_det_method_name(p.method));
        iot_det_free(&d, &p);
        iot_det_free(&c, &p);
    }
    /* MAD with more than half the window identical: mean absolute deviation fallback */
    struct iot_det_params p;
    iot_det_defaults(&p, IOT_DET_MAD);
    p.window = 10;
    p.warmup = 5;
    struct iot_det d;
    iot_det_init(&d, &p);
    double xs[] = { 5, 5, 5, 5, 5, 5, 5, 6, 4, 5 };
    for (int i = 0; i < 10; i++)
        feed(&d, &p, xs[i], NULL);
    bool al;
    double sc = feed(&d, &p, 5.2, &al);
    CHECK_NEAR(sc, 0.2 / (1.253314 * 0.2), 1e-9, "mad: MAD = 0 falls back to 1.2533 mean abs dev");
    iot_det_free(&d, &p);
    /* ewma: constant series then a change: score is the big sentinel, not inf */
    iot_det_defaults(&p, IOT_DET_EWMA);
    iot_det_init(&d, &p);
    for (int i = 0; i < 40; i++)
        feed(&d, &p, 3, NULL);
    sc = feed(&d, &p, 3.5, &al);
    CHECK(isfinite(sc) && sc > 1e6 && al, "ewma: change from a constant series alerts, finite score");
    iot_det_free(&d, &p);
}

static void test_spikedip(void)
{
    struct iot_det_params p;
    iot_det_defaults(&p, IOT_DET_SPIKEDIP);
    p.history = 60;
    p.confidence = 99;
    struct iot_rng r;
    iot_rng_seed(&r, 3, 4);
    struct iot_det d;
    iot_det_init(&d, &p);
    bool al;
    int early = 0;
    for (int i = 0; i < 59; i++) {
        feed(&d, &p, 10 + iot_rng_normal(&r), &al);
        early += al;
    }
    double sc = feed(&d, &p, 100, &al);
    CHECK(early == 0 && !al && sc < 0.01, "spikedip: no alert before the history is full");
    run(&d, &p, &r, 100, 10, 1, 0, NULL);
    sc = feed(&d, &p, 16, &al);
    CHECK(al && sc <= 0.01, "spikedip: spike alerts, score = p-value %.3g", sc);
    CHECK(sc >= 1e-8, "spikedip: p clamped to >= 1e-8");
    sc = feed(&d, &p, 4, &al);
    CHECK(al, "spikedip: spikesanddips catches a dip");
    iot_det_free(&d, &p);

    p.side = IOT_SIDE_SPIKES;
    iot_det_init(&d, &p);
    run(&d, &p, &r, 100, 10, 1, 0, NULL);
    sc = feed(&d, &p, 4, &al);
    CHECK(!al && sc > 0.99, "spikedip: spikes mode ignores a dip (p %.4f)", sc);
    sc = feed(&d, &p, 16, &al);
    CHECK(al, "spikedip: spikes mode catches a spike");
    iot_det_free(&d, &p);
}

static void test_changepoint(void)
{
    struct iot_det_params p;
    iot_det_defaults(&p, IOT_DET_CHANGEPOINT);
    p.history = 60;
    struct iot_rng r;
    iot_rng_seed(&r, 8, 5);
    struct iot_det d;
    iot_det_init(&d, &p);
    int fa = run(&d, &p, &r, 3000, 10, 1, 0, NULL);
    CHECK(fa == 0, "changepoint: no alert on stationary noise (%d)", fa);
    /* The reference martingale (ML.NET form) needs a run of small p-values: a drift that keeps
     * leaving the history behind. A plain level shift is absorbed by the KDE history within a
     * few values (see the man page). */
    int first = -1, n = 0;
    for (int i = 0; i < 200; i++) {
        bool al;
        feed(&d, &p, 10 + 5.0 * i + iot_rng_normal(&r), &al);
        if (al) { n++; if (first < 0) first = i; }
    }
    CHECK(first >= 0 && first < 30, "changepoint: drift found after %d values", first);
    CHECK(n <= 200 / 61 + 1, "changepoint: cooldown of W after an alert (%d alerts)", n);
    json_t *j = iot_det_save(&d, &p);
    struct iot_det c;
    iot_det_init(&c, &p);
    CHECK(iot_det_load(&c, &p, j) == 0, "changepoint state loads");
    json_decref(j);
    int eq = 1;
    for (int i = 0; i < 300; i++) {
        double x = (i < 100 ? 15 : 5) + iot_rng_normal(&r);
        eq &= feed(&d, &p, x, NULL) == feed(&c, &p, x, NULL);
    }
    CHECK(eq, "changepoint: restored state continues identically");
    iot_det_free(&d, &p);
    iot_det_free(&c, &p);
}

/* auto in event time: the interval is learned from the values' times; the same excursion is an
 * alert in a series reporting every 5 minutes and not in one reporting every second (the tail
 * levels hold false alerts per day, not per value); untimed values score as at 1 Hz; and the
 * scores of a fixed series are pinned (a refactor cannot change them unnoticed). */
static int timed_run(int64_t step_ns, bool timed, double bump, double *score_at, double *sum)
{
    struct iot_det_params p;
    iot_det_defaults(&p, IOT_DET_AUTO);
    struct iot_det d;
    struct iot_rng r;
    iot_rng_seed(&r, 7, 2);
    iot_det_init(&d, &p);
    int alerts = 0;
    *sum = 0;
    for (int i = 0; i < 3000; i++) {
        double x = 50 + 2 * sin(i * 2 * M_PI / 288) + iot_rng_normal(&r);
        if (i == 2500) x = 50 + bump;
        struct iot_det_result res;
        iot_det_update_at(&d, &p, x, timed ? (int64_t)1700000000 * 1000000000 + i * step_ns
                                             : IOT_DET_NO_TIME, &res);
        if (res.alert && i >= 400) alerts++;
        if (i == 2500) *score_at = res.score;
        *sum += res.score * (i % 97 + 1);
    }
    if (timed) {
        json_t *j = iot_det_save(&d, &p);
        double dt = json_real_value(json_array_get(json_object_get(j, "m"), 11));
        CHECK(fabs(dt - step_ns * 1e-9) <= 1e-9 * step_ns * 1e-9, "auto learns the interval (%g s)", dt);
        struct iot_det e;
        iot_det_init(&e, &p);
        CHECK(iot_det_load(&e, &p, j) == 0 && e.u.a.dt == d.u.a.dt && e.u.a.t_last == d.u.a.t_last,
              "interval and last time survive a state round trip");
        json_decref(j);
    }
    return alerts;
}

static void test_auto_time(void)
{
    double s1, s300, su, sum1, sum300, sumu;
    int a1 = timed_run(1000000000, true, 7.5, &s1, &sum1);
    int a300 = timed_run(300LL * 1000000000, true, 7.5, &s300, &sum300);
    int au = timed_run(1000000000, false, 7.5, &su, &sumu);
    CHECK(s300 == 1 && s1 < 0.5, "4.3 sd (value model) new extreme: alert at 5 min (%g), none at 1 s (%g)", s300, s1);
    CHECK(a300 >= 1 && a300 <= 3, "5 min series: %d alerts after start-up", a300);
    CHECK(a1 == 0, "1 s series: %d alerts after start-up", a1);
    CHECK(su == s1 && sumu == sum1 && au == a1, "untimed values score as at 1 Hz");
    /* pinned: Σ score·(i mod 97 + 1) over the 3000 rows, at 1 s and at 5 min */
    CHECK(fabs(sum1 - 8552.525438148723) < 1e-9, "pinned scores at 1 s (%.17g)", sum1);
    CHECK(fabs(sum300 - 12194.906333054951) < 1e-9, "pinned scores at 5 min (%.17g)", sum300);
}

int main(void)
{
    test_pieces();
    test_auto();
    test_baselines();
    test_spikedip();
    test_changepoint();
    test_auto_time();
    return unit_done();
}
