/* Unit tests for lib/reduce: the PI worked examples and the reconstruction error bounds. */
#include <stdlib.h>
#include <stdio.h>
#include "unit.h"
#include "ingest/reduce.h"
#include "core/rng.h"

#define MAXP 20000
/* Emitted records are "i" (the index of the input point) as text. */
static int got[MAXP], ngot;
static void collect(void *ctx, const char *line, size_t len)
{
    (void)ctx, (void)len;
    got[ngot++] = atoi(line);
}

static void run(struct iot_reduce *r, const char *key, const int64_t *t, const double *v, int n,
                int *reduced)
{
    char txt[32];
    for (int i = 0; i < n; i++) {
        struct iot_reduce_val x = { v[i], IOT_RV_NUM };
        int len = snprintf(txt, sizeof txt, "%d", i);
        *reduced += iot_reduce_push(r, key, 1, t[i], &x, txt, (size_t)len, collect, NULL);
    }
    *reduced += (int)iot_reduce_finish(r, collect, NULL);
}

static int same_seq(const int *want, int n)
{
    if (ngot != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (got[i] != want[i])
            return 0;
    return 1;
}

static int64_t T[MAXP];
static double V[MAXP];

/* Largest error of step (hold) or linear reconstruction from the emitted points. */
static double max_err(int n, int linear)
{
    double worst = 0;
    int j = 0;
    for (int i = 0; i < n; i++) {
        while (j + 1 < ngot && got[j + 1] <= i)
            j++;
        int a = got[j];
        double rec = V[a];
        if (linear && j + 1 < ngot && a < i) {
            int b = got[j + 1];
            rec = V[a] + (V[b] - V[a]) * (double)(T[i] - T[a]) / (double)(T[b] - T[a]);
        }
        double e = fabs(V[i] - rec);
        if (e > worst)
            worst = e;
    }
    return worst;
}

int main(void)
{
    /* PI example: CompDev 0, 1 s spacing, 1,2,3,4,5,5 archives 1, 5, 5 */
    {
        struct iot_reduce_field f = { IOT_RED_SWING, 0 };
        struct iot_reduce *r = iot_reduce_new(&f, 1, 0, 0);
        int64_t t[] = { 0, 1, 2, 3, 4, 5 };
        double v[] = { 1, 2, 3, 4, 5, 5 };
        for (int i = 0; i < 6; i++) t[i] *= 1000000000;
        int red = 0;
        ngot = 0;
        run(r, "a", t, v, 6, &red);
        int want[] = { 0, 4, 5 };
        CHECK(same_seq(want, 3), "swinging door CompDev=0: 1,2,3,4,5,5 -> 1,5,5");
        CHECK(red == 3, "three points reduced (got %d)", red);
        iot_reduce_free(r);
    }
    /* Deadband: 0, 0.5, 0.8 inside, 3 outside -> 0, then the held 0.8 and 3 */
    {
        struct iot_reduce_field f = { IOT_RED_DEADBAND, 1 };
        struct iot_reduce *r = iot_reduce_new(&f, 1, 0, 0);
        int64_t t[] = { 0, 1, 2, 3, 4 };
        double v[] = { 0, 0.5, 0.8, 3, 3.5 };
        int red = 0;
        ngot = 0;
        run(r, "a", t, v, 5, &red);
        int want[] = { 0, 2, 3 };
        CHECK(same_seq(want, 3), "deadband sends the held value before the excursion");
        CHECK(red == 2, "0.5 and the trailing 3.5 reduced (got %d)", red);
        iot_reduce_free(r);
    }
    /* Deadband boundary is strict: exactly dev away is not a change */
    {
        struct iot_reduce_field f = { IOT_RED_DEADBAND, 0.5 };
        struct iot_reduce *r = iot_reduce_new(&f, 1, 0, 0);
        int64_t t[] = { 0, 1, 2 };
        double v[] = { 1, 1.5, 0.5 };
        int red = 0;
        ngot = 0;
        run(r, "a", t, v, 3, &red);
        int want[] = { 0 };
        CHECK(same_seq(want, 1), "deadband: |change| == dev stays inside");
        iot_reduce_free(r);
    }
    /* max gap forces a point */
    {
        struct iot_reduce_field f = { IOT_RED_DEADBAND, 10 };
        struct iot_reduce *r = iot_reduce_new(&f, 1, 3, 0);
        int64_t t[] = { 0, 1, 2, 3, 4, 5, 6 };
        double v[] = { 0, 0, 0, 0, 0, 0, 0 };
        int red = 0;
        ngot = 0;
        run(r, "a", t, v, 7, &red);
        int want[] = { 0, 2, 3, 5, 6 };
        CHECK(same_seq(want, 5), "deadband max-gap 3: forced at 3 and 6, each with its held point");
        iot_reduce_free(r);
    }
    /* out-of-order passes straight through */
    {
        struct iot_reduce_field f = { IOT_RED_DEADBAND, 10 };
        struct iot_reduce *r = iot_reduce_new(&f, 1, 0, 0);
        int64_t t[] = { 5, 6, 1 };
        double v[] = { 0, 0, 0 };
        int red = 0;
        ngot = 0;
        run(r, "a", t, v, 3, &red);
        int want[] = { 0, 2 };
        CHECK(same_seq(want, 2), "an older point bypasses the reducer");
        iot_reduce_free(r);
    }
    /* Error bounds on random walks with noise, irregular spacing, several deviations. */
    struct iot_rng g;
    iot_rng_seed(&g, 42, 0);
    int n = 10000;
    double devs[] = { 0, 0.05, 0.5, 2 };
    for (int di = 0; di < 4; di++) {
        double dev = devs[di];
        int64_t tt = 1700000000000000000;
        double x = 20;
        for (int i = 0; i < n; i++) {
            tt += 1000000000 + (int64_t)iot_rng_below(&g, 3000000000u);
            x += iot_rng_normal(&g) * 0.3 + (i % 500 == 0 ? 5 : 0);
            T[i] = tt;
            V[i] = (i % 97 < 10) ? 21.5 : x;   /* flat stretches too */
        }
        struct iot_reduce_field fd = { IOT_RED_DEADBAND, dev }, fs = { IOT_RED_SWING, dev };
        struct iot_reduce *r = iot_reduce_new(&fd, 1, 0, 0);
        int red = 0;
        ngot = 0;
        run(r, "k", T, V, n, &red);
        CHECK(ngot + red == n, "deadband %g: passed + reduced = in", dev);
        CHECK(max_err(n, 0) <= dev, "deadband %g: step error %.17g <= dev", dev, max_err(n, 0));
        CHECK(max_err(n, 1) <= 2 * dev + 1e-9, "deadband %g: linear error <= 2 dev", dev);
        iot_reduce_free(r);

        r = iot_reduce_new(&fs, 1, 0, 0);
        red = 0;
        ngot = 0;
        run(r, "k", T, V, n, &red);
        CHECK(ngot + red == n, "swing %g: passed + reduced = in", dev);
        CHECK(got[ngot - 1] == n - 1, "swing %g: last point flushed", dev);
        double e = max_err(n, 1);
        CHECK(e <= dev + 1e-9, "swing %g: linear error %.17g <= dev", dev, e);
        if (dev > 0)
            CHECK(ngot < n, "swing %g: reduces (%d of %d kept)", dev, ngot, n);
        iot_reduce_free(r);
    }
    /* Two fields on one record: each bound holds although the other field adds points. */
    {
        static double W[MAXP];
        double x = 0, y = 0;
        for (int i = 0; i < n; i++) {
            T[i] = (int64_t)i * 1000000000;
            x += iot_rng_normal(&g);
            y += iot_rng_normal(&g) * 0.1;
            V[i] = x, W[i] = y;
        }
        struct iot_reduce_field f2[] = { { IOT_RED_DEADBAND, 1.5 }, { IOT_RED_SWING, 0.2 } };
        struct iot_reduce *r = iot_reduce_new(f2, 2, 0, 0);
        ngot = 0;
        int red = 0;
        char txt[32];
        for (int i = 0; i < n; i++) {
            struct iot_reduce_val xv[2] = { { V[i], IOT_RV_NUM }, { W[i], IOT_RV_NUM } };
            int len = snprintf(txt, sizeof txt, "%d", i);
            red += iot_reduce_push(r, "k", 1, T[i], xv, txt, (size_t)len, collect, NULL);
        }
        red += (int)iot_reduce_finish(r, collect, NULL);
        CHECK(ngot + red == n, "two fields: passed + reduced = in");
        CHECK(max_err(n, 0) <= 1.5, "two fields: deadband step bound");
        for (int i = 0; i < n; i++) V[i] = W[i];
        CHECK(max_err(n, 1) <= 0.2 + 1e-9, "two fields: swinging door bound");
        iot_reduce_free(r);
    }
    return unit_done();
}
