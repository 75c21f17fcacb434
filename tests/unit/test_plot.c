/* Unit tests for lib/plot: nice numbers and linear ticks (Heckbert and labeling-package test
 * vectors), SI labels, UTC calendar ticks and their labels, the M4 downsampler's invariants
 * (every extreme kept, memory fixed, any input order), XML escaping. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "core/out.h"
#include "core/time.h"
#include "plot/ds.h"
#include "plot/hist.h"
#include "plot/svg.h"
#include "plot/ticks.h"

static int64_t T(const char *s)
{
    int64_t ns = INT64_MIN;
    const char *why;
    iot_time_parse(s, strlen(s), &ns, &why);
    return ns;
}

static const char *L(int64_t t, int64_t nominal)
{
    static char b[64];
    iot_time_label(t, nominal, b);
    return b;
}

int main(void)
{
    char b[64];
    const int64_t S = IOT_NS_PER_S, H = 3600 * S, D = 24 * H;
    /* nice numbers */
    CHECK(iot_nice(1.4, 1) == 1 && iot_nice(1.6, 1) == 2 && iot_nice(6.9, 1) == 5 && iot_nice(7.1, 1) == 10, "nice rounding 1 2 5 10");
    CHECK(iot_nice(1.01, 0) == 2 && iot_nice(2, 0) == 2 && iot_nice(5.5, 0) == 10 && iot_nice(0.03, 0) == 0.05, "nice ceiling");
    struct iot_ticks t;
    iot_ticks_linear(8.1, 14.1, 4, &t);   /* Heckbert's nice range would give 5 10 15 */
    CHECK(t.lo == 8 && t.hi == 16 && t.step == 2 && t.n == 5, "8.1..14.1, 4 wanted -> 8..16 by 2, tighter than 5 10 15 (got %g..%g step %g)", t.lo, t.hi, t.step);
    iot_ticks_linear(0, 0.3, 4, &t);
    CHECK(iot_ticks_at(&t, 3) == 0.3 && t.decimals == 1, "0.1 * 3 is the tick 0.3, 1 decimal");
    iot_ticks_linear(42, 42, 5, &t);
    CHECK(t.lo < 42 && t.hi > 42 && t.n >= 2, "a single value gets a range around it");
    iot_ticks_linear(-3.7, 97.2, 5, &t);
    CHECK(t.lo == -20 && t.hi == 100 && t.step == 20, "ticks cover the data: %g..%g step %g", t.lo, t.hi, t.step);
    /* SI */
    iot_fmt_axis(b, 25000, 5000, 25000); CHECK_STR(b, "25k", "axis 25000 -> 25k");
    iot_fmt_axis(b, 0, 5000, 25000); CHECK_STR(b, "0", "axis 0 on a k axis is 0");
    iot_fmt_axis(b, 2500, 500, 2500); CHECK_STR(b, "2500", "axis 2500 stays plain");
    iot_fmt_axis(b, 0.5, 0.5, 1.5); CHECK_STR(b, "0.5", "axis 0.5");
    iot_fmt_axis(b, 0.004, 0.002, 0.008); CHECK_STR(b, "4m", "axis 0.004 -> 4m");
    iot_fmt_axis(b, -0.0000001, 0.5, 1); CHECK_STR(b, "0.0", "no negative zero");
    iot_fmt_axis(b, 3.2e9, 1e8, 4e9); CHECK_STR(b, "3.2G", "axis 3.2e9 -> 3.2G");
    iot_fmt_si(b, 71.3456, 4); CHECK_STR(b, "71.35", "si 4 digits");
    iot_fmt_si(b, 123456, 3); CHECK_STR(b, "123k", "si 123k");
    iot_fmt_si(b, 0.00045, 2); CHECK_STR(b, "450\xc2\xb5", "si micro");
    iot_fmt_si(b, -2, 4); CHECK_STR(b, "-2", "si trailing zeros dropped");
    iot_fmt_si(b, 1e308, 4); CHECK_STR(b, "1e+308", "si beyond T: exponent, within the buffer");
    iot_fmt_axis(b, -1e300, 1e299, 1e300); CHECK_STR(b, "-1e+300", "axis beyond T: exponent");
    /* time ticks */
    int64_t tt[64], nom;
    int n = iot_ticks_time(T("2026-01-01T00:00:00.065Z"), T("2026-01-01T05:59:59Z"), 6, tt, 64, &nom);
    CHECK(n == 5 && tt[0] == T("2026-01-01T01:00:00Z") && nom == H, "6 h span, 6 wanted: hourly ticks 01:00..05:00 (%d)", n);
    n = iot_ticks_time(T("2026-01-01T00:00:00Z"), T("2026-01-02T00:00:00Z"), 8, tt, 64, &nom);
    CHECK(n == 9 && tt[1] - tt[0] == 3 * H, "a day, 8 wanted: every 3 h, on the hour (%d)", n);
    CHECK_STR(L(tt[0], nom), "01-01", "midnight on hour ticks is the date");
    CHECK_STR(L(tt[1], nom), "03:00", "03:00");
    n = iot_ticks_time(T("2026-01-13T10:00:00Z"), T("2026-03-20T00:00:00Z"), 10, tt, 64, &nom);
    CHECK(n == 9 && tt[0] == T("2026-01-18T00:00:00Z") && tt[8] == T("2026-03-15T00:00:00Z"), "two months: weekly ticks on Sundays (%d, first %s)", n, L(tt[0], nom));
    n = iot_ticks_time(T("2026-01-15T00:00:00Z"), T("2027-01-15T00:00:00Z"), 5, tt, 64, &nom);
    CHECK(n == 4 && tt[0] == T("2026-04-01T00:00:00Z") && tt[3] == T("2027-01-01T00:00:00Z"), "a year, 5 wanted: quarters Apr Jul Oct Jan (%d)", n);
    CHECK_STR(L(tt[0], nom), "2026-04", "month label");
    CHECK_STR(L(tt[3], nom), "2027-01", "January on quarter ticks keeps the month");
    n = iot_ticks_time(T("2020-06-01T00:00:00Z"), T("2040-06-01T00:00:00Z"), 5, tt, 64, &nom);
    CHECK(n == 4 && tt[0] == T("2025-01-01T00:00:00Z") && tt[1] == T("2030-01-01T00:00:00Z"), "20 years: every 5 years (%d)", n);
    CHECK_STR(L(tt[0], nom), "2025", "year label");
    n = iot_ticks_time(T("2026-01-01T00:00:00.100Z"), T("2026-01-01T00:00:00.900Z"), 4, tt, 64, &nom);
    CHECK(n == 4 && tt[1] - tt[0] == 200 * IOT_NS_PER_MS, "sub-second: 200 ms steps (%d)", n);
    CHECK_STR(L(tt[0], nom), "00:00:00.200", "millisecond label");
    n = iot_ticks_time(T("2025-12-31T23:59:00Z"), T("2026-01-01T00:01:00Z"), 8, tt, 64, &nom);
    CHECK(n == 9 && nom == 15 * S, "2 min: 15 s ticks");
    CHECK_STR(L(T("2026-01-01T00:00:00Z"), nom), "00:00:00", "midnight on 15 s ticks is a time");
    CHECK(iot_ticks_time(T("1969-12-31T22:00:00Z"), T("1970-01-01T02:00:00Z"), 4, tt, 64, &nom) == 5 && tt[0] == -2 * H && tt[2] == 0, "before the epoch");
    iot_time_caption(T("2026-01-01T06:30:00.5Z"), b); CHECK_STR(b, "2026-01-01 06:30:00 UTC", "caption");
    (void)D;
    /* downsampling: a random walk with spikes, fed in order and shuffled */
    enum { N = 200000 };
    int64_t *ts = malloc(N * sizeof *ts);
    double *vs = malloc(N * sizeof *vs);
    unsigned r = 12345;
    double v = 0, vmin = 1e300, vmax = -1e300;
    for (int i = 0; i < N; i++) {
        r = r * 1103515245u + 12345u;
        v += ((int)(r >> 16 & 0xff) - 127.5) / 128;
        double x = v;
        if (i % 9973 == 17) x = v + 1000 + i;   /* spikes, each a new height */
        ts[i] = T("2026-01-01T00:00:00Z") + (int64_t)i * S;
        vs[i] = x;
        if (x < vmin) vmin = x;
        if (x > vmax) vmax = x;
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass) for (int i = N - 1; i > 0; i--) {   /* Fisher–Yates */
            r = r * 1103515245u + 12345u;
            int j = (int)(r % (unsigned)(i + 1));
            int64_t a = ts[i]; ts[i] = ts[j]; ts[j] = a;
            double c = vs[i]; vs[i] = vs[j]; vs[j] = c;
        }
        struct iot_ds d;
        iot_ds_init(&d, 1000);
        for (int i = 0; i < N; i++) iot_ds_add(&d, ts[i], vs[i], i == 5);
        CHECK(d.n == N && d.cap == 1000 && d.hi - d.lo < 1000, "%s: %d samples in %zu buckets", pass ? "shuffled" : "in order", N, d.cap);
        CHECK(d.min.v == vmin && d.max.v == vmax, "exact min and max");
        struct iot_ds_cell col[500];
        iot_ds_columns(&d, ts[0] < d.first.t ? ts[0] : d.first.t, d.last.t, col, 500);
        int spikes = 0, pts = 0;
        int64_t n_in = 0;
        double cmax = -1e300;
        for (int c = 0; c < 500; c++) {
            struct iot_ds_pt p[4];
            int k = iot_ds_cell_points(&col[c], p);
            pts += k;
            n_in += col[c].n;
            for (int j = 0; j < k; j++) { if (p[j].v > 900) spikes++; if (p[j].v > cmax) cmax = p[j].v; }
            for (int j = 1; j < k; j++) if (p[j].t < p[j - 1].t) { CHECK(0, "column points out of time order"); break; }
        }
        CHECK(spikes == N / 9973 + 1 && cmax == vmax, "every spike is a point of the picture (%d of %d)", spikes, N / 9973 + 1);
        CHECK(pts <= 4 * 500, "at most 4 points per column (%d)", pts);
        CHECK(d.nflag == 1, "a flag is counted");
        iot_ds_free(&d);
    }
    free(ts);
    free(vs);
    /* histogram: exact counts for the final bins, in any order, fixed memory */
    {
        enum { HN = 100000 };
        double *hv = malloc(HN * sizeof *hv);
        unsigned q = 99;
        for (int i = 0; i < HN; i++) {
            q = q * 1103515245u + 12345u;
            hv[i] = 20 + ((int)(q >> 8 & 0xffff) - 32768) / 1000.0;   /* -12.8 .. 52.8 */
        }
        hv[777] = 1000;   /* one outlier widens the bins */
        double hmin = 1e300;
        for (int i = 0; i < HN; i++) if (hv[i] < hmin) hmin = hv[i];
        struct iot_hist h;
        iot_hist_init(&h, 64);
        for (int i = 0; i < HN; i++) iot_hist_add(&h, hv[i]);
        int64_t sum = 0, bad = 0;
        for (int64_t i = h.lo; i <= h.hi; i++) sum += h.c[i - h.b0];
        double w = ldexp(1, h.e);
        int64_t *want = calloc(64, sizeof *want);
        for (int i = 0; i < HN; i++) {
            int64_t k = (int64_t)floor(hv[i] / w) - h.b0;
            if (k < 0 || k >= 64) bad++;
            else want[k]++;
        }
        for (int i = 0; i < 64; i++) bad += want[i] != h.c[i];
        CHECK(sum == HN && bad == 0, "histogram: %lld values, every bin count exact (bins of %g)", (long long)sum, w);
        CHECK(h.hi - h.lo < 64 && h.hi - h.lo >= 31, "histogram: between 32 and 64 bins in use (%lld)", (long long)(h.hi - h.lo + 1));
        CHECK(h.min == hmin && h.max == 1000, "histogram: exact min and max (%g %g)", h.min, h.max);
        iot_hist_free(&h);
        iot_hist_init(&h, 64);
        for (int i = 0; i < 10; i++) iot_hist_add(&h, 5);
        CHECK(h.n == 10 && h.hi == h.lo && h.c[h.lo - h.b0] == 10, "histogram: one value, one bin");
        iot_hist_free(&h);
        free(want);
        free(hv);
    }
    /* XML escaping */
    struct iot_out *o = iot_out_open("esc.tmp", 0);
    size_t bad = iot_svg_escs(o, "<script>&\"'\x01]]>\xff\xc3\xa9");
    iot_out_close(o);
    FILE *f = fopen("esc.tmp", "r");
    char got[128] = "";
    size_t gl = fread(got, 1, sizeof got - 1, f);
    got[gl] = 0;
    fclose(f);
    remove("esc.tmp");
    CHECK_STR(got, "&lt;script&gt;&amp;&quot;&apos;]]&gt;\xef\xbf\xbd\xc3\xa9", "escapes, drops controls, replaces bad UTF-8");
    CHECK(bad == 2, "two bytes adjusted");
    return unit_done();
}
