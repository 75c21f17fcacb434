/* dtoa: see dtoa.h. */
#include "dtoa.h"
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

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
    u128 mask = ((u128)1 << s) - 1, half = (u128)1 << (s - 1), p10 = 1;
    for (int k = 0; k <= 21; k++, p10 *= 10) {
        u128 x = (u128)m * p10;
        u128 q = x >> s, r = x & mask, diff;
        if (r >= half) { q++; diff = ((u128)1 << s) - r; } else diff = r;
        u128 twice = diff * 2;
        if (!(twice < p10 || (twice == p10 && !(m & 1)))) continue;
        if (q >= (u128)UINT64_C(100000000000000000)) return -1;
        /* q / 10^k: integer part and k fraction digits (q has no trailing zero unless k = 0) */
        uint64_t d = (uint64_t)q;
        char tmp[48], *e = tmp + sizeof tmp, *p = e;
        for (int i = 0; i < k; i++) { *--p = (char)('0' + d % 10); d /= 10; }
        if (k) *--p = '.';
        do { *--p = (char)('0' + d % 10); d /= 10; } while (d);
        if (v < 0) *--p = '-';
        size_t n = (size_t)(e - p);
        memcpy(buf, p, n);
        buf[n] = 0;
        return (int)n;
    }
    return -1;
}
