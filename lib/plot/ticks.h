/* ticks: axis ticks and their labels. Linear axes use Heckbert's "nice numbers" (Graphics Gems,
 * Academic Press, 1990); time axes use UTC calendar intervals picked the way d3-time does
 * (https://github.com/d3/d3-time/blob/main/src/ticks.js); numbers are printed with SI prefixes
 * (https://www.bipm.org/en/measurement-units/si-prefixes). */
#ifndef IOT_PLOT_TICKS_H
#define IOT_PLOT_TICKS_H
#include <stddef.h>
#include <stdint.h>

/* Heckbert's nice(x): 1, 2, 5 or 10 times a power of ten; round = nearest, else ceiling. x > 0. */
double iot_nice(double x, int round);

/* Ticks lo, lo+step, ... hi (n of them) covering [dmin, dmax], about `want` (>= 2) of them:
 * step = nice(span/(want-1)), lo and hi the multiples of step around the data.
 * dmin == dmax is widened to a unit around the value. decimals = digits the step needs. */
struct iot_ticks { double lo, hi, step; int n, decimals; };
void iot_ticks_linear(double dmin, double dmax, int want, struct iot_ticks *t);
/* Tick i, computed as lo + i*step (never by repeated addition) and snapped to the step's
 * decimals, so that 0.1*3 is 0.3. */
double iot_ticks_at(const struct iot_ticks *t, int i);

/* Axis label of v: SI prefix chosen from amax (the largest magnitude on the axis: k M G T
 * from 1e4 up, m µ n below 0.01), with the decimals the step needs at that scale. buf >= 48.
 * Returns the length. "-0" is written "0". */
size_t iot_fmt_axis(char *buf, double v, double step, double amax);
/* A value for people: `sig` significant digits (1..9) and an SI prefix from 1e4 up and below
 * 0.01 ("12.3k", "71.3", "4.5m", "0"); NaN/Inf as "–". buf >= 48. */
size_t iot_fmt_si(char *buf, double v, int sig);

/* Time ticks in [t0, t1] (ns, UTC), about `want` of them, on calendar boundaries: 1 5 15 30 s,
 * 1 5 15 30 min, 1 3 6 12 h, 1 2 days, weeks from Sunday, 1 3 months, years with a nice step;
 * below a second a nice step in ns. Writes at most max ticks to out, returns the count;
 * *nominal = the interval's nominal length (month 30 days, year 365), for iot_time_label. */
int iot_ticks_time(int64_t t0, int64_t t1, int want, int64_t *out, int max, int64_t *nominal);
/* Label of a tick: the coarsest field that is not on a boundary, 24-hour and ISO-like:
 * "2027" (year), "2026-03" (month), "03-14" (day), "06:30" (minute), "06:30:15" (second),
 * "06:30:15.250" (below) — but never coarser than one step above the tick interval, so
 * midnight on 15 s ticks is "00:00:00" and on hour ticks "01-01". buf >= 32. */
size_t iot_time_label(int64_t t, int64_t nominal, char *buf);
/* "2026-01-01 06:30:00 UTC" (seconds precision, for captions). buf >= 40. */
size_t iot_time_caption(int64_t t, char *buf);
#endif
