/* ticks: nice linear ticks, SI labels, UTC calendar ticks. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "core/time.h"
#include "ticks.h"

double iot_nice(double x, int round)
{
    double e = floor(log10(x)), p = pow(10, e), f = x / p, nf;
    if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * p;
}

static int step_decimals(double step)
{
    int d = (int)-floor(log10(step) + 1e-9);
    return d < 0 ? 0 : d > 15 ? 15 : d;
}

void iot_ticks_linear(double dmin, double dmax, int want, struct iot_ticks *t)
{
    if (want < 2) want = 2;
    if (!(dmax > dmin)) {   /* one value (or none): a unit of the value's magnitude around it */
        double m = fabs(dmin) > 0 ? iot_nice(fabs(dmin), 1) / 10 : 1;
        dmin -= m; dmax += m;
    }
    /* Heckbert takes the step from nice(range); the step straight from the data span keeps
     * the axis tighter (-3.7..97.2 by 20 from -20, not by 50 from -50) */
    t->step = iot_nice((dmax - dmin) / (want - 1), 1);
    t->lo = floor(dmin / t->step) * t->step;
    t->hi = ceil(dmax / t->step) * t->step;
    t->n = (int)llround((t->hi - t->lo) / t->step) + 1;
    t->decimals = step_decimals(t->step);
}

double iot_ticks_at(const struct iot_ticks *t, int i)
{
    double v = t->lo + i * t->step, s = pow(10, t->decimals);
    return t->decimals < 15 ? round(v * s) / s : v;
}

static int si_exp(double amax)   /* multiple of 3, or 0 where plain digits read best */
{
    if (!(amax >= 1e4) && !(amax > 0 && amax < 1e-2)) return 0;
    int e = (int)floor(log10(amax) / 3) * 3;
    return e > 12 ? 12 : e < -9 ? -9 : e;
}

static const char *si_prefix(int e)
{
    static const char *p[] = { "n", "\xc2\xb5", "m", "", "k", "M", "G", "T" };
    return p[e / 3 + 3];
}

static size_t finish(char *buf, int n, int e)
{
    if (n < 0) n = 0;
    if (n > 39) n = 39;   /* snprintf returns what it would have written */
    if (strcmp(buf, "-0") == 0 || strspn(buf, "-0.") == (size_t)n) {  /* any -0.00 is 0 */
        if (buf[0] == '-') { memmove(buf, buf + 1, (size_t)n); n--; }
    }
    return (size_t)n + (size_t)sprintf(buf + n, "%s", si_prefix(e));
}

size_t iot_fmt_axis(char *buf, double v, double step, double amax)
{
    int e = si_exp(amax);
    if (v == 0 && e) return (size_t)sprintf(buf, "0");   /* "0k" says nothing more than 0 */
    double s = pow(10, e);
    if (fabs(v / s) >= 1e6) return finish(buf, snprintf(buf, 40, "%.3g", v), 0);   /* beyond T: exponent */
    int n = snprintf(buf, 40, "%.*f", step_decimals(step / s), v / s);
    return finish(buf, n, e);
}

size_t iot_fmt_si(char *buf, double v, int sig)
{
    if (!isfinite(v)) return (size_t)sprintf(buf, "\xe2\x80\x93");
    if (v == 0) return (size_t)sprintf(buf, "0");
    int e = si_exp(fabs(v));
    double x = v / pow(10, e);
    if (fabs(x) >= 1e6) return finish(buf, snprintf(buf, 40, "%.*g", sig, v), 0);   /* beyond T: exponent */
    int mag = (int)floor(log10(fabs(x)));
    int dec = sig - 1 - mag;
    if (dec < 0) dec = 0;
    int n = snprintf(buf, 40, "%.*f", dec, x);
    if (dec > 0) {   /* trailing zeros say nothing in a readout */
        while (buf[n - 1] == '0') buf[--n] = 0;
        if (buf[n - 1] == '.') buf[--n] = 0;
    }
    return finish(buf, n, e);
}

/* Calendar intervals: unit (0 ns, 1 week, 2 month, 3 year) and count; nominal length in ns. */
enum { U_NS, U_WEEK, U_MONTH, U_YEAR };
#define S_ IOT_NS_PER_S
#define M_ (60 * S_)
#define H_ (60 * M_)
#define D_ (24 * H_)
static const struct { int unit; int64_t n, len; } cand[] = {
    { U_NS, S_, S_ }, { U_NS, 5 * S_, 5 * S_ }, { U_NS, 15 * S_, 15 * S_ }, { U_NS, 30 * S_, 30 * S_ },
    { U_NS, M_, M_ }, { U_NS, 5 * M_, 5 * M_ }, { U_NS, 15 * M_, 15 * M_ }, { U_NS, 30 * M_, 30 * M_ },
    { U_NS, H_, H_ }, { U_NS, 3 * H_, 3 * H_ }, { U_NS, 6 * H_, 6 * H_ }, { U_NS, 12 * H_, 12 * H_ },
    { U_NS, D_, D_ }, { U_NS, 2 * D_, 2 * D_ }, { U_WEEK, 1, 7 * D_ },
    { U_MONTH, 1, 30 * D_ }, { U_MONTH, 3, 90 * D_ }, { U_YEAR, 1, 365 * D_ },
};
#define NCAND (int)(sizeof cand / sizeof cand[0])

/* The first of month m (1..12) of year y in ns; false when outside the int64 range. */
static bool month_start(int64_t y, unsigned m, int64_t *ns)
{
    return !__builtin_mul_overflow(iot_days_from_civil(y, m, 1), D_, ns);
}

int iot_ticks_time(int64_t t0, int64_t t1, int want, int64_t *out, int max, int64_t *nominal)
{
    *nominal = IOT_NS_PER_S;
    if (t1 < t0 || max <= 0) return 0;
    if (want < 1) want = 1;
    double target = (double)((uint64_t)t1 - (uint64_t)t0) / want;
    int unit = U_NS;
    int64_t step;
    if (target < (double)S_) {
        double s = target >= 1 ? iot_nice(target, 1) : 1;
        step = (int64_t)s;
    } else if (target > (double)cand[NCAND - 1].len) {
        unit = U_YEAR;
        step = (int64_t)iot_nice(target / (double)(365 * D_), 1);
    } else {
        int best = 0;
        double bestr = INFINITY;
        for (int i = 0; i < NCAND; i++) {
            double r = (double)cand[i].len / target;
            if (r < 1) r = 1 / r;
            if (r < bestr) { bestr = r; best = i; }
        }
        unit = cand[best].unit;
        step = cand[best].n;
    }
    *nominal = unit == U_NS ? step : unit == U_WEEK ? 7 * D_ : unit == U_MONTH ? step * 30 * D_ : step * 365 * D_;
    int n = 0;
    if (unit == U_NS || unit == U_WEEK) {
        int64_t off = unit == U_WEEK ? 3 * D_ : 0;   /* 1970-01-04 was a Sunday */
        if (unit == U_WEEK) step = 7 * D_;
        int64_t t = iot_time_floor(t0, step, off);
        if (t < t0) t += step;
        for (uint64_t x = (uint64_t)t; n < max && (int64_t)x <= t1; x += (uint64_t)step) {
            out[n++] = (int64_t)x;
            if ((uint64_t)t1 - x < (uint64_t)step) break;   /* the next one would pass t1 (or wrap) */
        }
        return n;
    }
    int64_t y;
    unsigned m, d;
    iot_civil_from_days(iot_floordiv(t0, D_), &y, &m, &d);
    if (unit == U_YEAR) {
        int64_t ys = step < 1 ? 1 : step;
        int64_t yy = y - ((y % ys) + ys) % ys;
        for (; n < max && yy <= 2262; yy += ys) {
            int64_t x;
            if (!month_start(yy, 1, &x)) { if (yy > 1970) break; continue; }
            if (x > t1) break;
            if (x >= t0) out[n++] = x;
        }
        return n;
    }
    int64_t mi = y * 12 + (m - 1);        /* months since year 0 */
    mi -= mi % step;
    for (; n < max; mi += step) {
        int64_t x;
        if (!month_start(mi / 12, (unsigned)(mi % 12) + 1, &x)) { if (mi > 1970 * 12) break; continue; }
        if (x > t1) break;
        if (x >= t0) out[n++] = x;
    }
    return n;
}

size_t iot_time_label(int64_t t, int64_t nominal, char *buf)
{
    int64_t day = iot_floordiv(t, D_), in = t - day * D_;
    int64_t y;
    unsigned mo, d;
    iot_civil_from_days(day, &y, &mo, &d);
    int hh = (int)(in / H_), mm = (int)(in / M_ % 60), ss = (int)(in / S_ % 60);
    int64_t sub = in % S_;
    if (sub || nominal < S_) return (size_t)sprintf(buf, "%02d:%02d:%02d.%03d", hh, mm, ss, (int)(sub / IOT_NS_PER_MS));
    if (ss || nominal < M_) return (size_t)sprintf(buf, "%02d:%02d:%02d", hh, mm, ss);
    if (in) return (size_t)sprintf(buf, "%02d:%02d", hh, mm);
    if (d != 1 || nominal < 28 * D_) return (size_t)sprintf(buf, "%02u-%02u", mo, d);
    if (mo != 1 || nominal < 365 * D_) return (size_t)sprintf(buf, "%04lld-%02u", (long long)y, mo);
    return (size_t)sprintf(buf, "%04lld", (long long)y);
}

size_t iot_time_caption(int64_t t, char *buf)
{
    char tmp[48];
    iot_time_fmt_prec(t, 0, tmp);          /* 2026-01-01T06:30:00Z */
    tmp[10] = ' ';
    size_t n = strlen(tmp);
    if (n && tmp[n - 1] == 'Z') tmp[--n] = 0;
    return (size_t)sprintf(buf, "%s UTC", tmp);
}
