/* dtoa: see dtoa.h. */
#include "dtoa.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

static const uint64_t p10[20] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
    1000000000, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
    1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
    10000000000000000000u };

/* Does D = round(m * 10^k / 2^s) read back to m / 2^s? D into *out if asked. */
static int readable(uint64_t m, int s, u128 mask, u128 half, int k, uint64_t *out)
{
    u128 pk = k < 20 ? (u128)p10[k] : (u128)p10[19] * p10[k - 19];
    u128 x = (u128)m * pk, q = x >> s, r = x & mask, diff;
    if (r >= half) { q++; diff = mask + 1 - r; } else diff = r;
    if (out) *out = q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
    u128 twice = diff * 2;
    return twice < pk || (twice == pk && !(m & 1));
}

int iot_dtoa_shortest(char *buf, double v)
{
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e15)) return -1;
    uint64_t bits;
    memcpy(&bits, &a, 8);
    int exp = (int)(bits >> 52);
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int s = 1075 - exp;                       /* a = m / 2^s */
    if (m == UINT64_C(1) << 52 || s <= 0 || s > 100) return -1;
    u128 mask = ((u128)1 << s) - 1, half = (u128)1 << (s - 1);
    /* readable(k) is monotone in k (the nearest D at k + 1 is at most 10x the error at k, against a
     * bound 10x larger): try k = 0, 1, 2 (short decimals), then bisect [3, 21]. */
    int k = -1;
    for (int j = 0; j <= 2 && k < 0; j++)
        if (readable(m, s, mask, half, j, NULL)) k = j;
    if (k < 0) {
        int lo = 3, hi = 21;
        if (!readable(m, s, mask, half, hi, NULL)) return -1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (readable(m, s, mask, half, mid, NULL)) hi = mid; else lo = mid + 1;
        }
        k = lo;
    }
    uint64_t d;
    readable(m, s, mask, half, k, &d);
    if (d >= UINT64_C(100000000000000000)) return -1;
    /* d / 10^k: integer part and k fraction digits */
    char tmp[48], *e = tmp + sizeof tmp, *p = e;
    int i = 0;
    for (; i + 1 < k; i += 2) { p -= 2; memcpy(p, iot_digits2 + 2 * (d % 100), 2); d /= 100; }
    if (i < k) { *--p = (char)('0' + d % 10); d /= 10; }
    if (k) *--p = '.';
    while (d >= 100) { p -= 2; memcpy(p, iot_digits2 + 2 * (d % 100), 2); d /= 100; }
    if (d >= 10) { p -= 2; memcpy(p, iot_digits2 + 2 * d, 2); } else *--p = (char)('0' + d);
    if (v < 0) *--p = '-';
    size_t n = (size_t)(e - p);
    memcpy(buf, p, n);
    buf[n] = 0;
    return (int)n;
}

/* ---- the number formatters every writer uses ---- */

const char iot_digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";
static const double p10d[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

size_t iot_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, iot_digits2 + 2 * r, 2);
    }
    if (v >= 10) { p -= 2; memcpy(p, iot_digits2 + 2 * v, 2); }
    else *--p = (char)('0' + v);
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(buf, p, n);
    return n;
}

size_t iot_fmt_scaled(char *buf, int64_t v, int dec)
{
    char *p = buf;
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) *p++ = '-';
    if (dec <= 0) return (size_t)(p - buf) + iot_fmt_u64(p, a);
    uint64_t scale = (uint64_t)p10d[dec], q = a / scale, f = a % scale;
    p += iot_fmt_u64(p, q);
    *p++ = '.';
    for (int i = dec - 1; i >= 0; i--) { p[i] = (char)('0' + f % 10); f /= 10; }
    return (size_t)(p + dec - buf);
}

/* m / 10^k as text with trailing zeros of the fraction dropped. */
static int fmt_mk(char *buf, int neg, uint64_t m, int k)
{
    while (k > 0 && m % 10 == 0) { m /= 10; k--; }
    char *p = buf;
    if (neg && m) *p++ = '-';
    p += iot_fmt_scaled(p, (int64_t)m, k);
    return (int)(p - buf);
}

int iot_fmt_fixed(char *buf, double v, int dec)
{
    if (v != v || v - v != 0) { memcpy(buf, "null", 5); return 4; }
    if (dec < 0) dec = 0;
    if (dec > 9) dec = 9;
    double a = v < 0 ? -v : v, x = a * p10d[dec];
    if (!(x < 9007199254740992.0)) return iot_fmt_double(buf, v);
    uint64_t m = (uint64_t)llround(x);
    int n = fmt_mk(buf, v < 0, m, dec);
    buf[n] = 0;
    return n;
}

int iot_fmt_double(char *buf, double v)
{
    if (v != v || v - v != 0) { memcpy(buf, "null", 5); return 4; }
    if (v == 0) {
        if (1 / v < 0) { memcpy(buf, "-0", 3); return 2; }
        buf[0] = '0'; buf[1] = 0;
        return 1;
    }
    /* Fast path: the fewest fraction digits k for which m = round(|v|·10^k) < 2^53 gives
     * m / 10^k == |v| in IEEE arithmetic. Reading "m·10^-k" back is correctly rounded to
     * fl(m / 10^k) (Clinger's fast path), so the text reads back to v; fewer fraction digits
     * means fewer significant digits, so it is the shortest fixed form. Only for magnitudes
     * where fixed notation is also the shortest overall. */
    double a = v < 0 ? -v : v;
    if (a >= 1e-4 && a < 1e15) {     /* where %g would also print fixed notation */
        int dn = iot_dtoa_shortest(buf, v);    /* exact, in integers (lib/core/dtoa.c) */
        if (dn >= 0) return dn;
        for (int k = 0; k <= 17; k++) {
            double x = a * p10d[k];
            if (x >= 9007199254740992.0) break;
            double r = (double)(uint64_t)llround(x);
            if (r / p10d[k] == a) {
                int n = fmt_mk(buf, v < 0, (uint64_t)r, k);
                buf[n] = 0;
                return n;
            }
        }
    }
    /* %.15g is the shortest form whenever one of ≤ 15 digits exists (DBL_DIG = 15);
     * otherwise 16 or 17 digits, whichever first reads back identically. */
    for (int prec = a < 1e-300 ? 1 : 15; prec <= 17; prec++) {   /* subnormals carry fewer digits */
        int n = snprintf(buf, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v) return n;
    }
    return 0;
}
