/* dtoa: see dtoa.h. */
#include "dtoa.h"
#include "out.h"
#include <stdint.h>
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
