#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/rng.h"
#include "core/state.h"
#include "regime.h"

enum { SAMPLE = 4000, SIL_SAMPLE = 2000, RESTARTS = 4, ITERS = 100 };
#define FAR_MIN 0.25

static double dist2(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

static int nearest(const double *c, int k, const double *x, int d, double *d2)
{
    int best = 0;
    double bd = INFINITY;
    for (int r = 0; r < k; r++) {
        double e = dist2(c + (size_t)r * d, x, d);
        if (e < bd) { bd = e; best = r; }
    }
    if (d2) *d2 = bd;
    return best;
}

/* Lloyd iterations from the centroids in c; returns the inertia. Empty clusters keep their
 * centroid. */
static double lloyd(const double *Z, size_t m, int d, int k, double *c, int *lab, int iters)
{
    double *sum = iot_xmalloc((size_t)k * d * sizeof *sum);
    size_t *cnt = iot_xmalloc((size_t)k * sizeof *cnt);
    double inertia = 0;
    for (int it = 0; it < iters; it++) {
        bool moved = it == 0;
        inertia = 0;
        for (size_t i = 0; i < m; i++) {
            double e;
            int r = nearest(c, k, Z + i * d, d, &e);
            inertia += e;
            if (lab[i] != r) { lab[i] = r; moved = true; }
        }
        if (!moved) break;
        memset(sum, 0, (size_t)k * d * sizeof *sum);
        memset(cnt, 0, (size_t)k * sizeof *cnt);
        for (size_t i = 0; i < m; i++) {
            cnt[lab[i]]++;
            for (int j = 0; j < d; j++) sum[(size_t)lab[i] * d + j] += Z[i * d + j];
        }
        for (int r = 0; r < k; r++)
            if (cnt[r])
                for (int j = 0; j < d; j++) c[(size_t)r * d + j] = sum[(size_t)r * d + j] / (double)cnt[r];
    }
    free(sum); free(cnt);
    return inertia;
}

/* k-means++ seeding then Lloyd, best of RESTARTS. Returns the inertia, or -1 when the rows
 * have fewer than k distinct points. */
static double kmeans(const double *Z, size_t m, int d, int k, struct iot_rng *g, double *best_c)
{
    double *c = iot_xmalloc((size_t)k * d * sizeof *c), *D = iot_xmalloc(m * sizeof *D);
    int *lab = iot_xmalloc(m * sizeof *lab);
    double best = -1;
    for (int rs = 0; rs < RESTARTS; rs++) {
        size_t first = iot_rng_below(g, m);
        memcpy(c, Z + first * d, (size_t)d * sizeof *c);
        for (size_t i = 0; i < m; i++) D[i] = dist2(Z + i * d, c, d);
        int r;
        for (r = 1; r < k; r++) {
            double tot = 0;
            for (size_t i = 0; i < m; i++) tot += D[i];
            if (!(tot > 0)) break;
            double u = iot_rng_uniform(g) * tot;
            size_t pick = m - 1;
            for (size_t i = 0; i < m; i++) {
                u -= D[i];
                if (u < 0) { pick = i; break; }
            }
            memcpy(c + (size_t)r * d, Z + pick * d, (size_t)d * sizeof *c);
            for (size_t i = 0; i < m; i++) {
                double e = dist2(Z + i * d, c + (size_t)r * d, d);
                if (e < D[i]) D[i] = e;
            }
        }
        if (r < k) break;       /* fewer than k distinct points: this k is not possible */
        for (size_t i = 0; i < m; i++) lab[i] = -1;
        double in = lloyd(Z, m, d, k, c, lab, ITERS);
        if (best < 0 || in < best) {
            best = in;
            memcpy(best_c, c, (size_t)k * d * sizeof *c);
        }
    }
    free(c); free(D); free(lab);
    return best;
}

/* mean silhouette of the first s rows of Z under centroids c (labels by nearest centroid) */
static double silhouette(const double *Z, size_t s, int d, int k, const double *c)
{
    int *lab = iot_xmalloc(s * sizeof *lab);
    size_t *cnt = iot_xcalloc((size_t)k, sizeof *cnt);
    double *sum = iot_xmalloc((size_t)k * sizeof *sum);
    for (size_t i = 0; i < s; i++) { lab[i] = nearest(c, k, Z + i * d, d, NULL); cnt[lab[i]]++; }
    double tot = 0;
    for (size_t i = 0; i < s; i++) {
        if (cnt[lab[i]] < 2) continue;          /* a singleton scores 0 */
        for (int r = 0; r < k; r++) sum[r] = 0;
        for (size_t q = 0; q < s; q++)
            sum[lab[q]] += sqrt(dist2(Z + i * d, Z + q * d, d));
        double a = sum[lab[i]] / (double)(cnt[lab[i]] - 1), b = INFINITY;
        for (int r = 0; r < k; r++)
            if (r != lab[i] && cnt[r] && sum[r] / (double)cnt[r] < b) b = sum[r] / (double)cnt[r];
        double mx = a > b ? a : b;
        if (mx > 0 && isfinite(b)) tot += (b - a) / mx;
    }
    free(lab); free(cnt); free(sum);
    return s ? tot / (double)s : 0;
}

static int cmp_cent_d;
static int cmp_cent(const void *a, const void *b)
{
    const double *x = a, *y = b;
    for (int j = 0; j < cmp_cent_d; j++)
        if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
    return 0;
}

static struct iot_regimes *alloc_regimes(char *const *fields, int nset, int k)
{
    struct iot_regimes *R = iot_xcalloc(1, sizeof *R);
    R->nset = nset;
    R->fields = iot_xcalloc((size_t)nset + 1, sizeof *R->fields);
    for (int j = 0; j < nset; j++) R->fields[j] = iot_xstrdup(fields[j]);
    R->mu = iot_xcalloc((size_t)nset, sizeof *R->mu);
    R->sd = iot_xcalloc((size_t)nset, sizeof *R->sd);
    R->k = k;
    R->cent = iot_xcalloc((size_t)k * nset, sizeof *R->cent);
    R->radius = iot_xcalloc((size_t)k, sizeof *R->radius);
    R->rows = iot_xcalloc((size_t)k, sizeof *R->rows);
    R->silhouette = NAN;
    return R;
}

struct iot_regimes *iot_regimes_fit(char *const *fields, int nset, const double *X, size_t n,
                                    uint64_t seed)
{
    const int d = nset;
    /* complete rows, standardised */
    size_t m = 0;
    double *Z = iot_xmalloc((n + 1) * (size_t)d * sizeof *Z);
    for (size_t i = 0; i < n; i++) {
        int j;
        for (j = 0; j < d && !isnan(X[i * d + j]); j++) {}
        if (j < d) continue;
        memcpy(Z + m * d, X + i * d, (size_t)d * sizeof *Z);
        m++;
    }
    if (m == 0) { free(Z); return NULL; }
    double *mu = iot_xcalloc((size_t)d, sizeof *mu), *sd = iot_xcalloc((size_t)d, sizeof *sd);
    for (int j = 0; j < d; j++) {
        double mean = 0, c2 = 0;
        for (size_t i = 0; i < m; i++) {
            double v = Z[i * d + j], dl = v - mean;
            mean += dl / (double)(i + 1);
            c2 += dl * (v - mean);
        }
        mu[j] = mean;
        sd[j] = m > 1 && c2 > 0 ? sqrt(c2 / (double)(m - 1)) : 1;
    }
    for (size_t i = 0; i < m; i++)
        for (int j = 0; j < d; j++) Z[i * d + j] = (Z[i * d + j] - mu[j]) / sd[j];

    /* a seeded sample (partial Fisher–Yates over row indices) for choosing k */
    struct iot_rng g;
    iot_rng_seed(&g, seed, 0x7265676dULL);
    size_t ms = m < SAMPLE ? m : SAMPLE;
    size_t *ix = iot_xmalloc(m * sizeof *ix);
    for (size_t i = 0; i < m; i++) ix[i] = i;
    for (size_t i = 0; i < ms; i++) {
        size_t r = i + iot_rng_below(&g, m - i), t = ix[i];
        ix[i] = ix[r]; ix[r] = t;
    }
    double *S = iot_xmalloc(ms * (size_t)d * sizeof *S);
    for (size_t i = 0; i < ms; i++) memcpy(S + i * d, Z + ix[i] * d, (size_t)d * sizeof *S);
    free(ix);
    double *c = iot_xmalloc((size_t)IOT_REGIME_MAX_K * d * sizeof *c);
    double *best_c = iot_xcalloc((size_t)IOT_REGIME_MAX_K * d, sizeof *best_c);
    int best_k = 1;
    double best_s = -2;
    for (int k = 2; k <= IOT_REGIME_MAX_K && (size_t)k <= ms; k++) {
        if (kmeans(S, ms, d, k, &g, c) < 0)
            break;
        double sil = silhouette(S, ms < SIL_SAMPLE ? ms : SIL_SAMPLE, d, k, c);
        if (sil > best_s) {
            best_s = sil;
            best_k = k;
            memcpy(best_c, c, (size_t)k * d * sizeof *c);
        }
    }
    free(S); free(c);
    if (!(best_s >= IOT_REGIME_MIN_SILHOUETTE)) {
        best_k = 1;
        for (int j = 0; j < d; j++) best_c[j] = 0;     /* the standardised mean */
    }
    struct iot_regimes *R = alloc_regimes(fields, nset, best_k);
    memcpy(R->mu, mu, (size_t)d * sizeof *mu);
    memcpy(R->sd, sd, (size_t)d * sizeof *sd);
    free(mu); free(sd);
    if (best_k > 1) {
        R->silhouette = best_s;
        int *lab = iot_xmalloc(m * sizeof *lab);     /* refine on every row */
        for (size_t i = 0; i < m; i++) lab[i] = -1;
        lloyd(Z, m, d, best_k, best_c, lab, ITERS);
        free(lab);
        cmp_cent_d = d;     /* a stable numbering: centroids in lexicographic order */
        qsort(best_c, (size_t)best_k, (size_t)d * sizeof *best_c, cmp_cent);
    }
    memcpy(R->cent, best_c, (size_t)best_k * d * sizeof *best_c);
    free(best_c);
    for (size_t i = 0; i < m; i++) {
        double e;
        int r = nearest(R->cent, R->k, Z + i * d, d, &e);
        R->rows[r]++;
        if (sqrt(e) > R->radius[r]) R->radius[r] = sqrt(e);
    }
    free(Z);
    return R;
}

int iot_regimes_assign(const struct iot_regimes *R, const double *x, bool *far)
{
    double z[64];
    const int d = R->nset < 64 ? R->nset : 64;
    for (int j = 0; j < d; j++) {
        if (isnan(x[j])) { *far = false; return -1; }
        z[j] = (x[j] - R->mu[j]) / R->sd[j];
    }
    double e;
    int r = nearest(R->cent, R->k, z, d, &e);
    double lim = 3 * R->radius[r];
    if (lim < FAR_MIN) lim = FAR_MIN;
    *far = !(sqrt(e) <= lim);
    return r;
}

static json_t *reals(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, iot_json_real(v[i]));
    return a;
}

static int get_reals(const json_t *a, double *v, size_t n, bool finite)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_number(e)) return -1;
        v[i] = json_number_value(e);
        if (finite && !isfinite(v[i])) return -1;
    }
    return 0;
}

json_t *iot_regimes_to_json(const struct iot_regimes *R)
{
    json_t *j = json_object(), *f = json_array(), *rs = json_array();
    for (int i = 0; i < R->nset; i++) json_array_append_new(f, json_string(R->fields[i]));
    json_object_set_new(j, "fields", f);
    json_object_set_new(j, "mean", reals(R->mu, (size_t)R->nset));
    json_object_set_new(j, "sd", reals(R->sd, (size_t)R->nset));
    json_object_set_new(j, "rule", json_string("silhouette max over k=2..16 if >= 0.7, else 1"));
    json_object_set_new(j, "silhouette", iot_json_real(R->silhouette));
    for (int r = 0; r < R->k; r++) {
        /* the centroid in raw units too, for people reading the model card */
        double raw[64];
        for (int q = 0; q < R->nset && q < 64; q++)
            raw[q] = R->cent[(size_t)r * R->nset + q] * R->sd[q] + R->mu[q];
        json_array_append_new(rs, json_pack("{s:o,s:o,s:o,s:I}",
            "centroid", reals(R->cent + (size_t)r * R->nset, (size_t)R->nset),
            "settings", reals(raw, (size_t)R->nset), "radius", iot_json_real(R->radius[r]),
            "rows", (json_int_t)R->rows[r]));
    }
    json_object_set_new(j, "regimes", rs);
    return j;
}

struct iot_regimes *iot_regimes_from_json(const json_t *j, char *err, size_t cap)
{
    const json_t *f = json_object_get(j, "fields"), *rs = json_object_get(j, "regimes");
    if (!json_is_array(f) || json_array_size(f) == 0 || json_array_size(f) > 64 ||
        !json_is_array(rs) || json_array_size(rs) == 0 || json_array_size(rs) > IOT_REGIME_MAX_K) {
        snprintf(err, cap, "regimes: malformed");
        return NULL;
    }
    int d = (int)json_array_size(f), k = (int)json_array_size(rs);
    char **names = iot_xcalloc((size_t)d + 1, sizeof *names);
    for (int q = 0; q < d; q++) {
        const json_t *e = json_array_get(f, (size_t)q);
        names[q] = (char *)(json_is_string(e) ? json_string_value(e) : "");
    }
    struct iot_regimes *R = alloc_regimes(names, d, k);
    free(names);
    bool bad = get_reals(json_object_get(j, "mean"), R->mu, (size_t)d, true) ||
               get_reals(json_object_get(j, "sd"), R->sd, (size_t)d, true);
    for (int q = 0; q < d && !bad; q++)
        bad = !(R->sd[q] > 0) || !json_is_string(json_array_get(f, (size_t)q));
    const json_t *sil = json_object_get(j, "silhouette");
    R->silhouette = json_is_number(sil) ? json_number_value(sil) : NAN;
    for (int r = 0; r < k && !bad; r++) {
        const json_t *e = json_array_get(rs, (size_t)r), *rad = json_object_get(e, "radius"),
                     *rows = json_object_get(e, "rows");
        bad = get_reals(json_object_get(e, "centroid"), R->cent + (size_t)r * d, (size_t)d, true) ||
              !json_is_number(rad) || !json_is_integer(rows);
        if (!bad) {
            R->radius[r] = json_number_value(rad);
            R->rows[r] = json_integer_value(rows);
            bad = !(R->radius[r] >= 0);
        }
    }
    if (bad) {
        snprintf(err, cap, "regimes: malformed");
        iot_regimes_free(R);
        return NULL;
    }
    return R;
}

void iot_regimes_free(struct iot_regimes *R)
{
    if (!R)
        return;
    for (int j = 0; j < R->nset; j++) free(R->fields[j]);
    free(R->fields); free(R->mu); free(R->sd); free(R->cent); free(R->radius); free(R->rows);
    free(R);
}
