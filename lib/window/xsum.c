/* xsum: exact sums of doubles and of their squares. See xsum.h; the method is the "small
 * superaccumulator" of R. M. Neal, arXiv:1505.05571 (chunks with headroom for carries), and
 * the rounding is IEEE 754 round-to-nearest-even of the exact value. */
#include "xsum.h"
#include "core/buf.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MASK32 0xffffffffLL
#define LIMIT IOT_XSUM_LIMIT
#define XN (MAXC + 8)             /* an absolute chunk array on the stack */
#define MAXC 192                  /* chunk indices in use stay below 150 (squares of 2^1024) */

typedef unsigned __int128 u128;
typedef __int128 i128;

void iot_xsum_free(struct iot_xsum *x)
{
    free(x->c);
    memset(x, 0, sizeof *x);
}

/* Makes chunks klo..khi (inclusive) addressable, zero where new. */
void iot_xsum_grow_(struct iot_xsum *x, int32_t klo, int32_t khi)
{
    int32_t nlo = klo, nhi = khi;
    if (x->n) {
        if (x->lo < nlo) nlo = x->lo;
        if (x->lo + x->n - 1 > nhi) nhi = x->lo + x->n - 1;
    }
    int32_t nn = nhi - nlo + 1;
    if (nn + 3 > x->cap || nlo != x->lo || !x->n) {
        int32_t cap = nn + 3 > x->cap ? nn + 3 : x->cap;
        int64_t *c = iot_xcalloc((size_t)cap, sizeof *c);
        if (x->n) memcpy(c + (x->lo - nlo), x->c, (size_t)x->n * sizeof *c);
        free(x->c);
        x->c = c;
        x->cap = cap;
    }
    x->lo = nlo;
    x->n = nn;
}

/* Carries on a plain array: c[0..n-1] with room up to cap; returns the new n (lower chunks in
 * [0, 2^32), the top one signed with |top| < 2^32, zero chunks at the top trimmed). */
static int32_t carry_from(int64_t *c, int32_t from, int32_t n, int32_t cap)
{
    int64_t carry = 0;
    for (int32_t k = from; k < n - 1; k++) {
        int64_t t = c[k] + carry;
        carry = t >> 32;          /* arithmetic shift: floor division by 2^32 */
        c[k] = t & MASK32;
    }
    c[n - 1] += carry;
    while (n < cap && (c[n - 1] >= (1LL << 32) || c[n - 1] <= -(1LL << 32))) {
        c[n] = c[n - 1] >> 32;
        c[n - 1] &= MASK32;
        n++;
    }
    while (n > 0 && c[n - 1] == 0) n--;
    return n;
}
static int32_t carry_arr(int64_t *c, int32_t n, int32_t cap) { return carry_from(c, 0, n, cap); }

void iot_xsum_carry_(struct iot_xsum *x)
{
    x->adds = 0;
    if (!x->n) return;
    if (x->cap < x->n + 3) iot_xsum_grow_(x, x->lo, x->lo + x->n + 2);
    int32_t n = carry_arr(x->c, x->n, x->cap);
    int32_t z = 0;
    while (z < n && x->c[z] == 0) z++;
    if (z) {
        memmove(x->c, x->c + z, (size_t)(n - z) * sizeof *x->c);
        memset(x->c + (n - z), 0, (size_t)z * sizeof *x->c);
    }
    x->lo += z;
    x->n = n - z;
    if (x->n == 0) x->lo = 0;
}

void iot_xsum_merge(struct iot_xsum *a, const struct iot_xsum *b)
{
    a->special += b->special;
    if (!b->n) return;
    if (a->adds + b->adds + 1 >= LIMIT) iot_xsum_carry_(a);
    int32_t hi = b->lo + b->n - 1;
    if (!a->n || b->lo < a->lo || hi >= a->lo + a->n) iot_xsum_grow_(a, b->lo, hi);
    int64_t *c = a->c + (b->lo - a->lo);
    for (int32_t k = 0; k < b->n; k++) c[k] += b->c[k];
    a->adds += b->adds + 1;
}

/* The read side works on absolute chunk arrays on the stack: A[k] weighs 2^(32k + BASE). */

/* A = x, carries propagated; returns the number of chunks in use (A[0..n), top signed). */
static int32_t load(const struct iot_xsum *x, int64_t *A)
{
    memset(A, 0, XN * sizeof *A);
    if (!x->n) return 0;
    memcpy(A + x->lo, x->c, (size_t)x->n * sizeof *A);
    return carry_from(A, x->lo, x->lo + x->n, XN);
}

/* |A| in place; returns the sign (-1, 0, 1) and the new n. */
static int magnitude(int64_t *A, int32_t *n)
{
    if (*n == 0) return 0;
    if (A[*n - 1] > 0) return 1;
    int32_t z = 0;
    while (A[z] == 0) z++;
    for (int32_t k = z; k < *n; k++) A[k] = -A[k];
    *n = carry_from(A, z, *n, XN);
    return -1;
}

static int bit_at(const int64_t *A, int32_t n, int64_t p)
{
    if (p < 0 || (p >> 5) >= n) return 0;
    return (int)((A[p >> 5] >> (p & 31)) & 1);
}

/* Any bit below position p set? */
static bool any_below(const int64_t *A, int32_t n, int64_t p)
{
    if (p <= 0) return false;
    int64_t k = p >> 5;
    for (int64_t j = 0; j < k && j < n; j++)
        if (A[j]) return true;
    return k < n && (A[k] & ((1LL << (p & 31)) - 1));
}

/* |A| correctly rounded (A nonnegative, normalised, n chunks, A[n-1] != 0). */
static double round_mag(const int64_t *A, int32_t n)
{
    if (n == 0) return 0;
    int32_t t = n - 1;
    int64_t top = (int64_t)t * 32 + (63 - __builtin_clzll((unsigned long long)A[t]));
    int64_t E = top + IOT_XSUM_BASE, lsb = E - 52 > -1074 ? E - 52 : -1074;
    int64_t lsb_rel = lsb - IOT_XSUM_BASE;
    uint64_t mant = 0;
    bool rbit, sticky;
    if (t >= 2 && lsb == E - 52 && lsb_rel - 1 >= 32 * (int64_t)(t - 2)) {
        /* a normal result: its 53 bits and the rounding bit lie in the top three chunks */
        unsigned __int128 w = (unsigned __int128)(uint64_t)A[t] << 64 | (unsigned __int128)(uint64_t)A[t - 1] << 32 |
                              (uint64_t)A[t - 2];
        unsigned r = (unsigned)(lsb_rel - 32 * (int64_t)(t - 2));
        mant = (uint64_t)(w >> r);
        rbit = (w >> (r - 1)) & 1;
        sticky = (w & (((unsigned __int128)1 << (r - 1)) - 1)) != 0 || any_below(A, n, 32 * (int64_t)(t - 2));
    } else {
        for (int64_t p = top; p >= lsb_rel; p--) mant = mant << 1 | (uint64_t)bit_at(A, n, p);
        rbit = bit_at(A, n, lsb_rel - 1);
        sticky = any_below(A, n, lsb_rel - 1);
    }
    if (rbit && ((mant & 1) || sticky)) mant++;
    return ldexp((double)mant, (int)lsb);
}

/* hi + lo from a signed normalised A (modified). */
static void dd_arr(int64_t *A, int32_t n, double special, double *hi, double *lo)
{
    int sign = magnitude(A, &n);
    double h = sign ? round_mag(A, n) : 0;
    *lo = 0;
    if (special != 0 || isnan(special)) { *hi = special + sign * h; return; }
    *hi = sign * h;
    if (h == 0 || !isfinite(h)) return;
    /* |A| - h exactly, then rounded */
    uint64_t m;
    int32_t e;
    int64_t s;
    bool sp;
    iot_xsum_decode_(h, &m, &e, &s, &sp);
    int32_t pos = e - IOT_XSUM_BASE;
    unsigned sh = (unsigned)pos & 31;
    A[pos >> 5] -= (int64_t)((m << sh) & 0xffffffffULL);
    A[(pos >> 5) + 1] -= (int64_t)(m >> (32 - sh));
    int32_t nn = (pos >> 5) + 2 > n ? (pos >> 5) + 2 : n;
    nn = carry_from(A, pos >> 5, nn, XN);
    int s2 = magnitude(A, &nn);
    *lo = sign * s2 * (s2 ? round_mag(A, nn) : 0);
}

double iot_xsum_double(const struct iot_xsum *x)
{
    int64_t A[XN];
    int32_t n = load(x, A);
    int sign = magnitude(A, &n);
    double v = sign ? sign * round_mag(A, n) : 0;
    return x->special != 0 || isnan(x->special) ? x->special + v : v;
}

bool iot_xsum_is_zero(const struct iot_xsum *x)
{
    int64_t A[XN];
    return load(x, A) == 0 && x->special == 0;
}

void iot_xsum_dd(const struct iot_xsum *x, double *hi, double *lo)
{
    int64_t A[XN];
    int32_t n = load(x, A);
    dd_arr(A, n, x->special, hi, lo);
}

void iot_xsum_var_dd(const struct iot_xsum *s, const struct iot_xsum *q, int64_t n,
                     double *hi, double *lo)
{
    int64_t S[XN], Q[XN];
    int32_t ns = load(s, S), nq = load(q, Q);
    magnitude(S, &ns);
    /* columns: S^2 chunk (i, j) lands at i + j + BASE/32; n*Q chunk j at j */
    const int32_t off = IOT_XSUM_BASE / 32;
    i128 col[XN];
    memset(col, 0, sizeof col);
    for (int32_t j = 0; j < nq; j++) col[j] += (i128)Q[j] * n;
    int32_t i0 = 0;
    while (i0 < ns && S[i0] == 0) i0++;
    for (int32_t i = i0; i < ns; i++)
        for (int32_t j = i0; j < ns; j++)
            if (i + j + off >= 0 && i + j + off < XN)
                col[i + j + off] -= (i128)((u128)(uint64_t)S[i] * (uint64_t)S[j]);
    int32_t top = 2 * ns + off + 8 > nq + 8 ? 2 * ns + off + 8 : nq + 8;
    if (top > XN) top = XN;
    int64_t *D = S;     /* S is no longer needed */
    int32_t from = 0;
    while (from < nq && Q[from] == 0) from++;
    if (i0 < ns && 2 * i0 + off < from) from = 2 * i0 + off < 0 ? 0 : 2 * i0 + off;
    for (int32_t k = 0; k < from; k++) D[k] = 0;
    i128 carry = 0;
    for (int32_t k = from; k < top - 1; k++) {
        i128 t = col[k] + carry;
        D[k] = (int64_t)(t & MASK32);
        carry = t >> 32;
    }
    D[top - 1] = (int64_t)(col[top - 1] + carry);
    for (int32_t k = top; k < XN; k++) D[k] = 0;
    int32_t nd = carry_from(D, from, top, XN);
    dd_arr(D, nd, s->special * s->special + q->special, hi, lo);
}

int iot_xsum_terms(const struct iot_xsum *x, double *t, int max)
{
    if (x->special != 0 || isnan(x->special)) return -1;
    struct iot_xsum r = { 0 };
    iot_xsum_merge(&r, x);
    int k = 0;
    for (;;) {
        double h = iot_xsum_double(&r);
        if (h == 0) {
            int rc = iot_xsum_is_zero(&r) ? k : -1;
            iot_xsum_free(&r);
            return rc;
        }
        if (!isfinite(h) || k == max) break;
        t[k++] = h;
        iot_xsum_add(&r, -h);
    }
    iot_xsum_free(&r);
    return -1;
}

int iot_xsum_chunks(const struct iot_xsum *x, int32_t *lo, int64_t *c)
{
    int64_t A[XN];
    int32_t n = load(x, A), z = 0;
    while (z < n && A[z] == 0) z++;
    memcpy(c, A + z, (size_t)(n - z) * sizeof *c);
    *lo = z;
    return n - z;
}

int iot_xsum_set_chunks(struct iot_xsum *x, int32_t lo, const int64_t *c, int n)
{
    double sp = x->special;
    iot_xsum_free(x);
    x->special = sp;
    if (n <= 0) return n == 0 ? 0 : -1;
    if (lo < 0 || n > MAXC || lo + n > MAXC) return -1;
    for (int k = 0; k < n; k++)
        if (c[k] >= (1LL << 32) || (k < n - 1 && c[k] < 0) || c[k] <= -(1LL << 32)) return -1;
    iot_xsum_grow_(x, lo, lo + n - 1);
    memcpy(x->c, c, (size_t)n * sizeof *c);
    iot_xsum_carry_(x);
    return 0;
}
