#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "gbdt.h"
#include "core/rng.h"

#define NEDGE_MAX (IOT_GBDT_BINS - 2)   /* 254 edges → 255 value bins */

void iot_gbdt_defaults(struct iot_gbdt_params *p)
{
    *p = (struct iot_gbdt_params){ .n_trees = 400, .lr = 0.05, .max_depth = 4, .lambda = 1.0,
        .min_child_weight = 1e-3, .min_leaf = 20, .subsample = 0.8, .colsample = 1.0,
        .seed = 1, .loss = IOT_LOSS_SQUARED };
}

struct iot_gbdt *iot_gbdt_alloc(int p, int depth, int n_trees)
{
    struct iot_gbdt *m = iot_xcalloc(1, sizeof *m);
    size_t nodes = ((size_t)1 << depth) - 1, leaves = (size_t)1 << depth;
    m->p = p; m->depth = depth; m->n_trees = n_trees;
    m->nedges = iot_xcalloc((size_t)p, sizeof *m->nedges);
    m->edges = iot_xcalloc((size_t)p * (NEDGE_MAX + 1), sizeof *m->edges);
    m->feat = iot_xcalloc((size_t)n_trees * nodes + 1, sizeof *m->feat);
    m->bin = iot_xcalloc((size_t)n_trees * nodes + 1, 1);
    m->leaf = iot_xcalloc((size_t)n_trees * leaves + 1, sizeof *m->leaf);
    m->gain = iot_xcalloc((size_t)p, sizeof *m->gain);
    m->splits = iot_xcalloc((size_t)p, sizeof *m->splits);
    return m;
}

void iot_gbdt_finish(struct iot_gbdt *m)
{
    for (int j = 0; j < m->p; j++)
        for (int e = m->nedges[j]; e <= NEDGE_MAX; e++)
            m->edges[(size_t)j * (NEDGE_MAX + 1) + e] = INFINITY;
    size_t nn = (size_t)m->n_trees * (((size_t)1 << m->depth) - 1);
    free(m->node);
    m->node = iot_xmalloc((nn + 1) * sizeof *m->node);
    for (size_t k = 0; k < nn; k++) {
        /* bin(x) > b  <=>  x > edge[b-1] (b >= 1);  bin(x) > 0  <=>  x > -inf (not missing) */
        int f = m->feat[k], b = m->bin[k];
        float thr = b == 0 ? -INFINITY : b > m->nedges[f] ? INFINITY
                  : m->edges[(size_t)f * (NEDGE_MAX + 1) + b - 1];
        m->node[k] = (struct iot_gbdt_node){ (uint32_t)f, thr };
    }
    size_t leaves = (size_t)1 << m->depth, w = leaves < 8 ? 8 : leaves;
    free(m->leaf_w);
    m->leaf_w = iot_xcalloc((size_t)m->n_trees * 2 * w + 1, sizeof *m->leaf_w);
    for (size_t t = 0; t < (size_t)m->n_trees; t++)
        for (size_t q = 0; q < leaves; q++) {
            uint64_t b;
            memcpy(&b, &m->leaf[t * leaves + q], sizeof b);
            m->leaf_w[t * 2 * w + q] = (uint32_t)b;
            m->leaf_w[t * 2 * w + w + q] = (uint32_t)(b >> 32);
        }
}

void iot_gbdt_free(struct iot_gbdt *m)
{
    if (!m)
        return;
    free(m->nedges); free(m->edges); free(m->feat); free(m->bin); free(m->leaf);
    free(m->gain); free(m->splits); free(m->node); free(m->leaf_w); free(m);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Edges of one feature: midpoints between distinct values when they fit, else quantiles. */
static void make_edges(const float *X, size_t n, int p, int j, float *tmp, float *edges, int *ne)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        float v = X[i * (size_t)p + j];
        if (!isnan(v))
            tmp[m++] = v;
    }
    *ne = 0;
    if (m == 0)
        return;
    qsort(tmp, m, sizeof *tmp, cmp_float);
    size_t u = 1;
    for (size_t i = 1; i < m; i++)
        if (tmp[i] != tmp[u - 1])
            tmp[u++] = tmp[i];
    if (u <= NEDGE_MAX + 1) {
        for (size_t i = 0; i + 1 < u; i++) {
            float a = tmp[i], b = tmp[i + 1], e = (float)(((double)a + (double)b) / 2);
            if (!(e < b))
                e = a;
            edges[(*ne)++] = e;
        }
        return;
    }
    /* many distinct values: quantiles of all values (duplicates weigh); tmp was compacted */
    m = 0;
    for (size_t i = 0; i < n; i++) {
        float v = X[i * (size_t)p + j];
        if (!isnan(v))
            tmp[m++] = v;
    }
    qsort(tmp, m, sizeof *tmp, cmp_float);
    for (int k = 1; k <= NEDGE_MAX; k++) {
        float e = tmp[(size_t)((double)k * (double)m / (NEDGE_MAX + 1))];
        if (e >= tmp[m - 1])
            break;
        if (*ne == 0 || e > edges[*ne - 1])
            edges[(*ne)++] = e;
    }
}

/* Branch-free: edges are padded with +inf to 255 entries, so the search has a fixed shape. */
static inline uint8_t bin_of(const float *edges, float v)
{
    if (!(v > -INFINITY))   /* NaN and -inf are missing: bin 0 */
        return 0;
    unsigned base = 0;
    for (unsigned half = 128; half; half >>= 1)
        base += (edges[base + half - 1] < v) ? half : 0;
    return (uint8_t)(base + 1);
}

void iot_gbdt_bin_row(const struct iot_gbdt *m, const float *x, uint8_t *xb)
{
    for (int j = 0; j < m->p; j++)
        xb[j] = bin_of(m->edges + (size_t)j * (NEDGE_MAX + 1), x[j]);
}

double iot_gbdt_threshold(const struct iot_gbdt *m, int j, int b)
{
    if (b <= 0)
        return -INFINITY;   /* only the missing bin */
    if (b > m->nedges[j])
        return INFINITY;
    return m->edges[(size_t)j * (NEDGE_MAX + 1) + b - 1];
}

/* ---- training ---- */

struct hcell { double g, h, n; };

struct trainer {
    const struct iot_gbdt_params *prm;
    struct iot_gbdt *m;
    size_t n;
    int p;
    uint8_t *xb;        /* n × p */
    double *g, *h;
    uint32_t *idx, *tmp;
    int *cols, ncols;
};

static void build_hist(const struct trainer *T, const uint32_t *rows, size_t cnt, struct hcell *H)
{
    const int p = T->p;
    memset(H, 0, sizeof *H * (size_t)p * IOT_GBDT_BINS);
    if (T->ncols == p) {
        for (size_t k = 0; k < cnt; k++) {
            uint32_t i = rows[k];
            const uint8_t *b = T->xb + (size_t)i * p;
            double g = T->g[i], h = T->h[i];
            struct hcell *c = H;
            for (int j = 0; j < p; j++, c += IOT_GBDT_BINS) {
                struct hcell *e = c + b[j];
                e->g += g; e->h += h; e->n += 1;
            }
        }
        return;
    }
    for (size_t k = 0; k < cnt; k++) {
        uint32_t i = rows[k];
        const uint8_t *b = T->xb + (size_t)i * p;
        double g = T->g[i], h = T->h[i];
        for (int c = 0; c < T->ncols; c++) {
            int j = T->cols[c];
            struct hcell *e = H + (size_t)j * IOT_GBDT_BINS + b[j];
            e->g += g; e->h += h; e->n += 1;
        }
    }
}

struct split { int feat, bin; double gain; };

static struct split best_split(const struct trainer *T, const struct hcell *H,
                               double G, double Hs, double N)
{
    const struct iot_gbdt_params *P = T->prm;
    struct split s = { -1, -1, 0 };
    double lam = P->lambda, parent = G * G / (Hs + lam);
    for (int c = 0; c < T->ncols; c++) {
        int j = T->cols[c];
        const struct hcell *h = H + (size_t)j * IOT_GBDT_BINS;
        int last = T->m->nedges[j] + 1;      /* highest value bin */
        double gl = 0, hl = 0, nl = 0;
        for (int b = 0; b < last; b++) {
            gl += h[b].g; hl += h[b].h; nl += h[b].n;
            double gr = G - gl, hr = Hs - hl, nr = N - nl;
            if (nl < P->min_leaf || hl < P->min_child_weight)
                continue;
            if (nr < P->min_leaf || hr < P->min_child_weight)
                break;
            double gain = gl * gl / (hl + lam) + gr * gr / (hr + lam) - parent;
            if (gain > s.gain + 1e-12 * fabs(parent) && gain > 1e-12) {
                s.feat = j; s.bin = b; s.gain = gain;
            }
        }
    }
    return s;
}

static void grads(struct trainer *T, const double *F, const double *y)
{
    if (T->prm->loss == IOT_LOSS_LOGLOSS) {
        for (size_t i = 0; i < T->n; i++) {
            double pr = 1.0 / (1.0 + exp(-F[i]));
            T->g[i] = pr - y[i];
            T->h[i] = fmax(pr * (1 - pr), 1e-16);
        }
    } else {
        for (size_t i = 0; i < T->n; i++) {
            T->g[i] = F[i] - y[i];
            T->h[i] = 1.0;
        }
    }
}

static void grow_tree(struct trainer *T, int t, struct hcell *hcur, struct hcell *hnext,
                      size_t nsamp)
{
    struct iot_gbdt *m = T->m;
    const int D = m->depth, p = T->p;
    const size_t nodes = ((size_t)1 << D) - 1, leaves = (size_t)1 << D;
    const size_t hsz = (size_t)p * IOT_GBDT_BINS;
    uint16_t *feat = m->feat + (size_t)t * nodes;
    uint8_t *bin = m->bin + (size_t)t * nodes;
    double *leaf = m->leaf + (size_t)t * leaves;
    size_t start[2 << IOT_GBDT_MAX_DEPTH], end[2 << IOT_GBDT_MAX_DEPTH];
    char active[2 << IOT_GBDT_MAX_DEPTH];
    double sg[2 << IOT_GBDT_MAX_DEPTH], sh[2 << IOT_GBDT_MAX_DEPTH];

    start[0] = 0; end[0] = nsamp; active[0] = 1;
    sg[0] = sh[0] = 0;
    for (size_t k = 0; k < nsamp; k++) {
        sg[0] += T->g[T->idx[k]]; sh[0] += T->h[T->idx[k]];
    }
    build_hist(T, T->idx, nsamp, hcur);
    for (int d = 0; d < D; d++) {
        size_t first = ((size_t)1 << d) - 1, width = (size_t)1 << d;
        for (size_t w = 0; w < width; w++) {
            size_t k = first + w, l = 2 * k + 1, r = l + 1;
            struct hcell *H = hcur + w * hsz;
            struct split s = { -1, -1, 0 };
            if (active[k])
                s = best_split(T, H, sg[k], sh[k], (double)(end[k] - start[k]));
            if (s.feat < 0) {       /* pass-through: everything left */
                feat[k] = 0; bin[k] = 255;
                start[l] = start[k]; end[l] = end[k]; active[l] = 0;
                start[r] = end[r] = end[k]; active[r] = 0;
                sg[l] = sg[k]; sh[l] = sh[k]; sg[r] = sh[r] = 0;
                continue;
            }
            feat[k] = (uint16_t)s.feat; bin[k] = (uint8_t)s.bin;
            m->gain[s.feat] += s.gain; m->splits[s.feat]++;
            /* stable partition keeps rows in ascending order: deterministic sums, cache-friendly */
            size_t a = start[k], nl = 0, nr = 0;
            for (size_t q = start[k]; q < end[k]; q++) {
                uint32_t i = T->idx[q];
                if (T->xb[(size_t)i * p + s.feat] <= s.bin)
                    T->idx[a + nl++] = i;
                else
                    T->tmp[nr++] = i;
            }
            memcpy(T->idx + a + nl, T->tmp, nr * sizeof *T->tmp);
            start[l] = a; end[l] = a + nl; start[r] = a + nl; end[r] = end[k];
            active[l] = active[r] = 1;
            sg[l] = sh[l] = 0;
            for (size_t q = start[l]; q < end[l]; q++) {
                sg[l] += T->g[T->idx[q]]; sh[l] += T->h[T->idx[q]];
            }
            sg[r] = sg[k] - sg[l]; sh[r] = sh[k] - sh[l];
            if (d + 1 < D) {
                /* build the smaller child, the larger is parent minus smaller */
                struct hcell *HL = hnext + 2 * w * hsz, *HR = HL + hsz;
                struct hcell *small = nl <= nr ? HL : HR, *large = nl <= nr ? HR : HL;
                size_t ss = nl <= nr ? start[l] : start[r], sc = nl <= nr ? nl : nr;
                build_hist(T, T->idx + ss, sc, small);
                for (int c = 0; c < T->ncols; c++) {
                    size_t o = (size_t)T->cols[c] * IOT_GBDT_BINS;
                    for (int b = 0; b < IOT_GBDT_BINS; b++) {
                        large[o + b].g = H[o + b].g - small[o + b].g;
                        large[o + b].h = H[o + b].h - small[o + b].h;
                        large[o + b].n = H[o + b].n - small[o + b].n;
                    }
                }
            }
        }
        struct hcell *sw = hcur; hcur = hnext; hnext = sw;
    }
    const double lr = T->prm->lr, lam = T->prm->lambda;
    for (size_t q = 0; q < leaves; q++) {
        size_t k = nodes + q;
        leaf[q] = end[k] > start[k] ? -lr * sg[k] / (sh[k] + lam) : 0.0;
    }
    (void)hnext;
}

struct iot_gbdt *iot_gbdt_train(const float *X, size_t n, int p, const double *y,
                                const struct iot_gbdt_params *prm,
                                void (*progress)(int done, int total, void *ctx), void *ctx,
                                const char **err)
{
    if (n == 0 || p <= 0 || p > 65535 || n > UINT32_MAX) {
        *err = n == 0 ? "no training rows" : "bad number of features";
        return NULL;
    }
    if (prm->max_depth < 1 || prm->max_depth > IOT_GBDT_MAX_DEPTH || prm->n_trees < 0 ||
        !(prm->lr > 0) || !(prm->subsample > 0 && prm->subsample <= 1) ||
        !(prm->colsample > 0 && prm->colsample <= 1) || prm->lambda < 0) {
        *err = "bad learner parameters";
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]) || (prm->loss == IOT_LOSS_LOGLOSS && y[i] != 0 && y[i] != 1)) {
            *err = "a label is not a finite number (or not 0/1 for log loss)";
            return NULL;
        }
    struct iot_gbdt *m = iot_gbdt_alloc(p, prm->max_depth, prm->n_trees);
    m->loss = prm->loss;
    struct trainer T = { .prm = prm, .m = m, .n = n, .p = p };

    float *tmpf = iot_xmalloc(n * sizeof *tmpf);
    for (int j = 0; j < p; j++)
        make_edges(X, n, p, j, tmpf, m->edges + (size_t)j * (NEDGE_MAX + 1), &m->nedges[j]);
    free(tmpf);
    iot_gbdt_finish(m);
    T.xb = iot_xmalloc(n * (size_t)p);
    for (size_t i = 0; i < n; i++)
        iot_gbdt_bin_row(m, X + i * (size_t)p, T.xb + i * (size_t)p);

    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += y[i];
    if (prm->loss == IOT_LOSS_LOGLOSS) {
        double pr = fmin(fmax(sum / (double)n, 1e-6), 1 - 1e-6);
        m->base = log(pr / (1 - pr));
    } else {
        m->base = sum / (double)n;
    }

    double *F = iot_xmalloc(n * sizeof *F);
    for (size_t i = 0; i < n; i++)
        F[i] = m->base;
    T.g = iot_xmalloc(n * sizeof *T.g);
    T.h = iot_xmalloc(n * sizeof *T.h);
    T.idx = iot_xmalloc(n * sizeof *T.idx);
    T.tmp = iot_xmalloc(n * sizeof *T.tmp);
    T.cols = iot_xmalloc((size_t)p * sizeof *T.cols);
    size_t width = (size_t)1 << (prm->max_depth - 1);
    size_t hsz = (size_t)p * IOT_GBDT_BINS;
    struct hcell *hcur = iot_xmalloc(width * hsz * sizeof *hcur);
    struct hcell *hnext = iot_xmalloc(width * hsz * sizeof *hnext);
    struct iot_rng rng;
    iot_rng_seed(&rng, prm->seed, 0x9bd7);
    const size_t nodes = ((size_t)1 << m->depth) - 1, leaves = (size_t)1 << m->depth;

    for (int t = 0; t < prm->n_trees; t++) {
        grads(&T, F, y);
        /* rows: exact-size sample in ascending order by selection sampling (Knuth 3.4.2 S) */
        size_t want = prm->subsample >= 1 ? n : (size_t)ceil(prm->subsample * (double)n), got = 0;
        if (want < 1)
            want = 1;
        for (size_t i = 0; i < n && got < want; i++)
            if (want == n || (double)(n - i) * iot_rng_uniform(&rng) < (double)(want - got))
                T.idx[got++] = (uint32_t)i;
        /* features: exact-size sample the same way, kept in ascending order */
        int wantc = prm->colsample >= 1 ? p : (int)ceil(prm->colsample * p), gotc = 0;
        if (wantc < 1)
            wantc = 1;
        for (int j = 0; j < p && gotc < wantc; j++)
            if (wantc == p || (double)(p - j) * iot_rng_uniform(&rng) < (double)(wantc - gotc))
                T.cols[gotc++] = j;
        T.ncols = gotc;
        grow_tree(&T, t, hcur, hnext, got);
        const uint16_t *f = m->feat + (size_t)t * nodes;
        const uint8_t *b = m->bin + (size_t)t * nodes;
        const double *lv = m->leaf + (size_t)t * leaves;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *xb = T.xb + i * (size_t)p;
            size_t k = 0;
            for (int d = 0; d < m->depth; d++)
                k = 2 * k + 1 + (xb[f[k]] > b[k]);
            F[i] += lv[k - nodes];
        }
        if (progress)
            progress(t + 1, prm->n_trees, ctx);
    }
    free(F); free(T.g); free(T.h); free(T.idx); free(T.tmp); free(T.cols);
    free(hcur); free(hnext); free(T.xb);
    iot_gbdt_finish(m);
    return m;
}
