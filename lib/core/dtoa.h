/* dtoa: shortest round-trip decimal text of a double, exactly and without printf, for the
 * magnitudes that fixed notation serves (1e-4 <= |v| < 1e15): the same text as
 * iot_fmt_double (below) there, about 20x cheaper for values of 16-17 digits. */
#ifndef IOT_DTOA_H
#define IOT_DTOA_H
#include <stddef.h>
#include <stdint.h>

/* Writes v as the fixed-notation decimal with the fewest digits that reads back to v (ties of
 * round-half-even included), NUL-terminated, into buf (>= 32 bytes); returns its length. Returns
 * -1 (nothing written) outside 1e-4 <= |v| < 1e15, for NaN, Inf, and at powers of two (their
 * lower rounding gap is half as wide): the caller falls back to iot_fmt_double then.
 * Method: v = m * 2^-s exactly (3 <= s <= 66 in that range); for k = 0, 1, ... fraction digits,
 * D = round(m * 10^k / 2^s) in 128-bit integers, and D / 10^k reads back to v iff
 * |D * 2^s - m * 10^k| < 10^k / 2 (or == with m even) — Clinger's correctly rounded reading. */
int iot_dtoa_shortest(char *buf, double v);

/* Formats v as the shortest decimal that reads back to the same double. Returns length.
 * buf must hold 32 bytes. NaN/Inf are written as "null". */
int iot_fmt_double(char *buf, double v);
/* v rounded to `decimals` places (0..9), trailing zeros dropped ("0.5", "71", "-0.25"); the text
 * reads back as the double nearest to that decimal. Fast (no printf); falls back to
 * iot_fmt_double when |v| is too large for exact fixed point. buf >= 32 bytes. */
int iot_fmt_fixed(char *buf, double v, int decimals);
/* A scaled integer as a decimal with exactly `decimals` places: (7130, 2) → "71.30". */
size_t iot_fmt_scaled(char *buf, int64_t v, int decimals);
/* Unsigned integer in decimal; returns length (buf >= 21). */
size_t iot_fmt_u64(char *buf, uint64_t v);
/* "00" "01" ... "99": two digits of n at iot_digits2 + 2*n, for hand-rolled formatters. */
extern const char iot_digits2[201];
#endif
