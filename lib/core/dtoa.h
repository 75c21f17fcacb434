/* dtoa: shortest round-trip decimal text of a double, exactly and without printf, for the
 * magnitudes that fixed notation serves (1e-4 <= |v| < 1e15): the same text as
 * iot_fmt_double (out.h) there, about 20x cheaper for values of 16-17 digits. */
#ifndef IOT_DTOA_H
#define IOT_DTOA_H

/* Writes v as the fixed-notation decimal with the fewest digits that reads back to v (ties of
 * round-half-even included), NUL-terminated, into buf (>= 32 bytes); returns its length. Returns
 * -1 (nothing written) outside 1e-4 <= |v| < 1e15, for NaN, Inf, and at powers of two (their
 * lower rounding gap is half as wide): the caller falls back to iot_fmt_double then.
 * Method: v = m * 2^-s exactly (3 <= s <= 66 in that range); for k = 0, 1, ... fraction digits,
 * D = round(m * 10^k / 2^s) in 128-bit integers, and D / 10^k reads back to v iff
 * |D * 2^s - m * 10^k| < 10^k / 2 (or == with m even) — Clinger's correctly rounded reading. */
int iot_dtoa_shortest(char *buf, double v);
#endif
