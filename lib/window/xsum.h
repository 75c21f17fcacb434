/* xsum: exact, order-independent sums of doubles and of their squares.
 *
 * A superaccumulator in the sense of R. M. Neal, "Fast exact summation using small and large
 * superaccumulators" (arXiv:1505.05571, 2015), written for this project: the exact value is
 * kept as signed 64-bit chunks, chunk k weighing 2^(32k + IOT_XSUM_BASE), so a double (or the
 * exact 106-bit square of its mantissa) adds as two (five) integer additions and nothing is
 * ever rounded. A chunk takes addends below 2^54, so carries are propagated every 256
 * additions. Only the chunks in use are stored (a typical sum of readings spans 3-5).
 * Because the value is exact, any order of additions and any split into merged parts give the
 * same state value, and every value read from it (the correctly rounded sum, the variance
 * numerator n*Q - S^2) is a function of the exact sums alone: byte-identical for any split. */
#ifndef IOT_XSUM_H
#define IOT_XSUM_H
#include <stdint.h>
#include <stdbool.h>

/* Bit weight of chunk 0: below the smallest square of a double (2^-2148). */
#define IOT_XSUM_BASE (-2208)

struct iot_xsum {
    int64_t *c;          /* chunks lo .. lo+n-1 (NULL when n == 0: the value 0) */
    int32_t lo, n, cap;
    uint32_t adds;       /* additions since the last carry propagation */
    double special;      /* sum of the non-finite inputs (inf, nan), 0 if none */
};

void iot_xsum_free(struct iot_xsum *x);               /* and back to 0 */
void iot_xsum_merge(struct iot_xsum *a, const struct iot_xsum *b);  /* a += b */
bool iot_xsum_is_zero(const struct iot_xsum *x);
/* The exact value rounded to nearest (ties to even); +-inf beyond the double range. */
double iot_xsum_double(const struct iot_xsum *x);
/* hi = the value rounded, lo = (value - hi) rounded. */
void iot_xsum_dd(const struct iot_xsum *x, double *hi, double *lo);
/* n*q - s*s exactly (s a sum, q the sum of squares of the same n values; 0 for equal values),
 * returned as hi + lo like iot_xsum_dd. */
void iot_xsum_var_dd(const struct iot_xsum *s, const struct iot_xsum *q, int64_t n,
                     double *hi, double *lo);

/* ---- the additions, inline (one per value in the record loop) ---- */
#define IOT_XSUM_LIMIT 256u   /* additions between carry propagations: |chunk| < 2^62 */
void iot_xsum_grow_(struct iot_xsum *x, int32_t klo, int32_t khi);
void iot_xsum_carry_(struct iot_xsum *x);
/* v = (-1)^s * m * 2^e; false for 0 and for inf/nan (*sp). */
static inline __attribute__((always_inline)) bool iot_xsum_decode_(double v, uint64_t *m, int32_t *e, int64_t *s, bool *sp)
{
    uint64_t b;
    __builtin_memcpy(&b, &v, sizeof b);
    int32_t ex = (int32_t)((b >> 52) & 0x7ff);
    *m = b & ((1ULL << 52) - 1);
    *s = -(int64_t)(b >> 63);
    *sp = ex == 0x7ff;
    if (__builtin_expect(ex == 0 || *sp, 0)) { *e = -1074; return *m && !*sp; }
    *m |= 1ULL << 52;
    *e = ex - 1075;
    return true;
}
/* Adds the chunk-aligned addends a[0..k) (each < 2^54) at chunk index ck, negated if s = -1. */
static inline __attribute__((always_inline)) void iot_xsum_put_(struct iot_xsum *x, int32_t ck, const uint64_t *a, int k, int64_t s)
{
    if (__builtin_expect(ck < x->lo || ck + k > x->lo + x->n, 0))   /* n == 0 included */
        iot_xsum_grow_(x, ck, ck + k - 1);
    int64_t *c = x->c + (ck - x->lo);
    for (int i = 0; i < k; i++) c[i] += ((int64_t)a[i] ^ s) - s;
    if (__builtin_expect(++x->adds >= IOT_XSUM_LIMIT, 0)) iot_xsum_carry_(x);
}
/* x += v, exactly (Neal's split of the mantissa over two 32-bit chunks). */
static inline __attribute__((always_inline)) void iot_xsum_add(struct iot_xsum *x, double v)
{
    uint64_t m;
    int32_t e;
    int64_t s;
    bool sp;
    if (!iot_xsum_decode_(v, &m, &e, &s, &sp)) { if (sp) x->special += v; return; }
    int32_t pos = e - IOT_XSUM_BASE;
    unsigned sh = (unsigned)pos & 31;
    uint64_t a[2] = { (m << sh) & 0xffffffffULL, m >> (32 - sh) };
    iot_xsum_put_(x, pos >> 5, a, 2, s);
}
/* x += v*v (x -= v*v if neg), exactly: the 106-bit square of the mantissa in 32-bit pieces. */
static inline __attribute__((always_inline)) void iot_xsum_add_sq(struct iot_xsum *x, double v, bool neg)
{
    uint64_t m;
    int32_t e;
    int64_t s;
    bool sp;
    if (!iot_xsum_decode_(v, &m, &e, &s, &sp)) { if (sp) x->special += neg ? -(v * v) : v * v; return; }
    unsigned __int128 q = (unsigned __int128)m * m;
    int32_t pos = 2 * e - IOT_XSUM_BASE;
    unsigned sh = (unsigned)pos & 31;
    unsigned __int128 lo = (unsigned __int128)(uint64_t)q << sh, hi = (unsigned __int128)(uint64_t)(q >> 64) << sh;
    uint64_t a[5] = { (uint64_t)lo & 0xffffffffULL, (uint64_t)(lo >> 32) & 0xffffffffULL,
                      (uint64_t)(lo >> 64) + ((uint64_t)hi & 0xffffffffULL),
                      (uint64_t)(hi >> 32) & 0xffffffffULL, (uint64_t)(hi >> 64) };
    iot_xsum_put_(x, pos >> 5, a, 5, neg ? -1 : 0);
}

/* Exact form for JSON: the value as a list of doubles whose exact sum it is (each the
 * rounded remainder of the ones before), when that list ends within max terms and every term
 * is finite; returns the number of terms, or -1 when the value needs the chunk form. */
int iot_xsum_terms(const struct iot_xsum *x, double *t, int max);
/* Chunk form: normalised chunks (each in [0, 2^32) except the top, signed); returns n and
 * sets *lo; c must hold x->n + 2 values. */
int iot_xsum_chunks(const struct iot_xsum *x, int32_t *lo, int64_t *c);
/* Loads chunk form (replaces x). Returns -1 if out of range. */
int iot_xsum_set_chunks(struct iot_xsum *x, int32_t lo, const int64_t *c, int n);
#endif
