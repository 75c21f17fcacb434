/* gbdt scoring: raw feature values against the float thresholds of iot_gbdt_finish. Every form
 * adds the leaves to the base in tree order, as training does, so scores agree bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "gbdt.h"

/* One level on raw values: go right when x > threshold (NaN never does). */
#define STEP(k, nd, x) k = 2 * k + 1 + ((x)[nd[k].feat] > nd[k].thr)

/* D is a constant at the call sites below, so the levels unroll. */
static inline __attribute__((always_inline))
double raw_depth(const struct iot_gbdt *m, const float *x, const int D)
{
    const size_t nodes = ((size_t)1 << D) - 1, leaves = (size_t)1 << D;
    const struct iot_gbdt_node *nd = m->node;
    const double *lv = m->leaf - nodes;
    double s = m->base;
    int t = 0;
    /* four walks at a time: independent dependency chains keep the core busy */
    for (; t + 4 <= m->n_trees; t += 4, nd += 4 * nodes, lv += 4 * leaves) {
        size_t k0 = 0, k1 = 0, k2 = 0, k3 = 0;
        const struct iot_gbdt_node *n1 = nd + nodes, *n2 = n1 + nodes, *n3 = n2 + nodes;
        for (int d = 0; d < D; d++) {
            STEP(k0, nd, x); STEP(k1, n1, x); STEP(k2, n2, x); STEP(k3, n3, x);
        }
        s += lv[k0]; s += lv[leaves + k1]; s += lv[2 * leaves + k2]; s += lv[3 * leaves + k3];
    }
    for (; t < m->n_trees; t++, nd += nodes, lv += leaves) {
        size_t k = 0;
        for (int d = 0; d < D; d++)
            STEP(k, nd, x);
        s += lv[k];
    }
    return s;
}

double iot_gbdt_raw(const struct iot_gbdt *m, const float *x)
{
    switch (m->depth) {
    case 3: return raw_depth(m, x, 3);
    case 4: return raw_depth(m, x, 4);
    case 5: return raw_depth(m, x, 5);
    case 6: return raw_depth(m, x, 6);
    default: return raw_depth(m, x, m->depth);
    }
}

double iot_gbdt_link(const struct iot_gbdt *m, double raw)
{
    return m->loss == IOT_LOSS_LOGLOSS ? 1.0 / (1.0 + exp(-raw)) : raw;
}

double iot_gbdt_predict(const struct iot_gbdt *m, const float *x)
{
    return iot_gbdt_link(m, iot_gbdt_raw(m, x));
}

void iot_gbdt_raw_batch_scalar(const struct iot_gbdt *m, const float *x, size_t rows, double *out)
{
    const int D = m->depth, p = m->p;
    const size_t nodes = ((size_t)1 << D) - 1, leaves = (size_t)1 << D;
    for (size_t r = 0; r < rows; r++)
        out[r] = m->base;
    for (int t = 0; t < m->n_trees; t++) {
        const struct iot_gbdt_node *nd = m->node + (size_t)t * nodes;
        const double *lv = m->leaf + (size_t)t * leaves - nodes;
        size_t r = 0;
        for (; r + 4 <= rows; r += 4) {
            const float *x0 = x + r * p, *x1 = x0 + p, *x2 = x1 + p, *x3 = x2 + p;
            size_t k0 = 0, k1 = 0, k2 = 0, k3 = 0;
            for (int d = 0; d < D; d++) {
                STEP(k0, nd, x0); STEP(k1, nd, x1); STEP(k2, nd, x2); STEP(k3, nd, x3);
            }
            out[r] += lv[k0]; out[r + 1] += lv[k1]; out[r + 2] += lv[k2]; out[r + 3] += lv[k3];
        }
        for (; r < rows; r++) {
            const float *xr = x + r * p;
            size_t k = 0;
            for (int d = 0; d < D; d++)
                STEP(k, nd, xr);
            out[r] += lv[k];
        }
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

/* AVX2, 8 rows per step and no branch and no gather on the way down: every node of a tree is
 * compared at once (the rows are feature-major, so a node's 8 values are one load), then the
 * path is picked level by level with blends: at level d the comparison of the node each row
 * reached is selected among the level's 2^d nodes by the row's d path bits. 2^D - 1 compares
 * and 2^D - D - 1 blends per tree and 8 rows, against 8·D dependent loads for the walks; worth
 * it up to depth 6. The leaf values are gathered (double, tree order as in training). */
enum { CH = 64 };       /* rows per chunk: the transposed chunk of 64 × p floats stays in L1 */

/* The 32-bit words P[idx] of 8 rows, P holding 2^D (at least 8) words: permutes within vectors
 * of 8 and blends on the higher index bits, instead of a gather. */
static inline __attribute__((always_inline, target("avx2")))
__m256i pick(const uint32_t *P, __m256i idx, const int D)
{
    __m256i r = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)P), idx);
    if (D >= 4) {
        __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
        __m256i r1 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(P + 8)), idx);
        r = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(r1), b3));
        if (D >= 5) {
            __m256i r2 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(P + 16)), idx);
            __m256i r3 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(P + 24)), idx);
            __m256 hi = _mm256_blendv_ps(_mm256_castsi256_ps(r2), _mm256_castsi256_ps(r3), b3);
            r = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(r), hi,
                                    _mm256_castsi256_ps(_mm256_slli_epi32(idx, 27))));
        }
    }
    return r;
}

/* acc holds a group's rows as 0 1 4 5 2 3 6 7 with D <= 5 (the order the words are unpacked) */
static const int8_t acc_row[2][8] = { { 0, 1, 2, 3, 4, 5, 6, 7 }, { 0, 1, 4, 5, 2, 3, 6, 7 } };

static inline __attribute__((always_inline, target("avx2")))
void chunk_avx2(const struct iot_gbdt *m, const float *xT, size_t ld, int groups, double *acc,
                const int D)
{
    const int nodes = (1 << D) - 1, leaves = 1 << D;
    const int W = leaves < 8 ? 8 : leaves;
    const struct iot_gbdt_node *nd = m->node;
    const double *lv = m->leaf;
    const uint32_t *lw = m->leaf_w;
    for (int t = 0; t < m->n_trees; t++, nd += nodes, lv += leaves, lw += 2 * W) {
        for (int g = 0; g < groups; g++) {
            const float *xg = xT + 8 * g;
            __m256 c[63], v[32], b[6];
#pragma GCC unroll 64
            for (int n = 0; n < nodes; n++)
                c[n] = _mm256_cmp_ps(_mm256_set1_ps(nd[n].thr),     /* thr < x: the load folds */
                                     _mm256_loadu_ps(xg + nd[n].feat * ld), _CMP_LT_OQ);
            b[0] = c[0];
            __m256i idx = _mm256_srli_epi32(_mm256_castps_si256(c[0]), 31);
#pragma GCC unroll 8
            for (int d = 1; d < D; d++) {
                int w = 1 << d;
#pragma GCC unroll 32
                for (int i = 0; i < w; i++)
                    v[i] = c[w - 1 + i];
#pragma GCC unroll 8
                for (int s = d - 1; s >= 0; s--, w >>= 1)      /* the latest bit first */
#pragma GCC unroll 32
                    for (int i = 0; i < w / 2; i++)
                        v[i] = _mm256_blendv_ps(v[2 * i], v[2 * i + 1], b[s]);
                b[d] = v[0];
                idx = _mm256_or_si256(_mm256_slli_epi32(idx, 1),
                                      _mm256_srli_epi32(_mm256_castps_si256(v[0]), 31));
            }
            double *o = acc + 8 * g;
            if (D <= 5) {
                __m256i lo = pick(lw, idx, D), hi = pick(lw + W, idx, D);
                _mm256_storeu_pd(o, _mm256_add_pd(_mm256_loadu_pd(o),
                                 _mm256_castsi256_pd(_mm256_unpacklo_epi32(lo, hi))));
                _mm256_storeu_pd(o + 4, _mm256_add_pd(_mm256_loadu_pd(o + 4),
                                 _mm256_castsi256_pd(_mm256_unpackhi_epi32(lo, hi))));
            } else {
                __m256d l0 = _mm256_i32gather_pd(lv, _mm256_castsi256_si128(idx), 8);
                __m256d l1 = _mm256_i32gather_pd(lv, _mm256_extracti128_si256(idx, 1), 8);
                _mm256_storeu_pd(o, _mm256_add_pd(_mm256_loadu_pd(o), l0));
                _mm256_storeu_pd(o + 4, _mm256_add_pd(_mm256_loadu_pd(o + 4), l1));
            }
        }
    }
    (void)leaves;
}

/* xT feature-major with stride ld; rows rounded up to 8 are read */
static __attribute__((target("avx2")))
void cols_avx2(const struct iot_gbdt *m, const float *xT, size_t ld, size_t rows, double *out)
{
    double acc[CH];
    const int8_t *ord = acc_row[m->depth <= 5];
    for (size_t r0 = 0; r0 < rows; r0 += CH) {
        int n = rows - r0 < CH ? (int)(rows - r0) : CH, groups = (n + 7) / 8;
        for (int r = 0; r < 8 * groups; r++)
            acc[r] = m->base;
        const float *x = xT + r0;
        switch (m->depth) {
        case 1: chunk_avx2(m, x, ld, groups, acc, 1); break;
        case 2: chunk_avx2(m, x, ld, groups, acc, 2); break;
        case 3: chunk_avx2(m, x, ld, groups, acc, 3); break;
        case 4: chunk_avx2(m, x, ld, groups, acc, 4); break;
        case 5: chunk_avx2(m, x, ld, groups, acc, 5); break;
        default: chunk_avx2(m, x, ld, groups, acc, 6); break;
        }
        for (int q = 0; q < 8 * groups; q++) {
            int r = (q & ~7) + ord[q & 7];
            if (r < n)
                out[r0 + (size_t)r] = acc[q];
        }
    }
}

static void batch_avx2(const struct iot_gbdt *m, const float *x, size_t rows, double *out)
{
    const int p = m->p;
    float *xT = iot_xmalloc((size_t)p * CH * sizeof *xT);
    for (size_t r0 = 0; r0 < rows; r0 += CH) {
        int n = rows - r0 < CH ? (int)(rows - r0) : CH, pad = (n + 7) / 8 * 8;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < p; j++)
                xT[(size_t)j * CH + r] = x[(r0 + r) * p + j];
        for (int r = n; r < pad; r++)       /* padding lanes: scored, then dropped */
            for (int j = 0; j < p; j++)
                xT[(size_t)j * CH + r] = 0;
        cols_avx2(m, xT, CH, (size_t)n, out + r0);
    }
    free(xT);
}

static bool use_avx2(const struct iot_gbdt *m)
{
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        /* IOT_NO_SIMD=1 forces the portable path, so tests exercise it on any CPU */
        const char *no = getenv("IOT_NO_SIMD");
        have = __builtin_cpu_supports("avx2") != 0 && !(no && *no && strcmp(no, "0") != 0);
    }
    return have && m->depth <= 6;
}
#else
static bool use_avx2(const struct iot_gbdt *m) { (void)m; return false; }
static void batch_avx2(const struct iot_gbdt *m, const float *x, size_t rows, double *out)
{
    iot_gbdt_raw_batch_scalar(m, x, rows, out);
}
static void cols_avx2(const struct iot_gbdt *m, const float *xT, size_t ld, size_t rows, double *out)
{
    (void)m; (void)xT; (void)ld; (void)rows; (void)out;
}
#endif

bool iot_gbdt_simd(const struct iot_gbdt *m)
{
    return use_avx2(m);
}

void iot_gbdt_raw_batch(const struct iot_gbdt *m, const float *x, size_t rows, double *out)
{
    if (rows >= 4 && use_avx2(m))
        batch_avx2(m, x, rows, out);
    else
        iot_gbdt_raw_batch_scalar(m, x, rows, out);
}

void iot_gbdt_raw_cols(const struct iot_gbdt *m, const float *xT, size_t ld, size_t rows, double *out)
{
    if (use_avx2(m)) {
        cols_avx2(m, xT, ld, rows, out);
        return;
    }
    const int p = m->p;
    float *x = iot_xmalloc((rows * (size_t)p + 1) * sizeof *x);
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < p; j++)
            x[r * p + j] = xT[(size_t)j * ld + r];
    iot_gbdt_raw_batch_scalar(m, x, rows, out);
    free(x);
}
