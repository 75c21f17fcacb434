/* series: make-series bins per key. */
#include "series.h"
#include "core/buf.h"
#include "core/keytab.h"
#include "core/time.h"
#include <stdlib.h>
#include <string.h>

struct skey { int64_t base; size_t n; struct iot_agg_state **bins; };
struct iot_series {
    const struct iot_aggset *set;
    int64_t step, origin, from, to;
    bool has_range;
    int64_t max_points;
    struct iot_keytab *keys;
};

int iot_fill_parse(const char *s)
{
    static const char *n[] = { "null", "zero", "prev", "linear" };
    for (int i = 0; i < 4; i++) if (strcmp(s, n[i]) == 0) return i;
    return -1;
}

void iot_series_fill(double *v, bool *miss, size_t n, enum iot_fill how)
{
    if (how == IOT_FILL_NULL) return;
    if (how == IOT_FILL_ZERO) {
        for (size_t i = 0; i < n; i++) if (miss[i]) { v[i] = 0; miss[i] = false; }
        return;
    }
    if (how == IOT_FILL_PREV) {
        for (size_t i = 1; i < n; i++)
            if (miss[i] && !miss[i - 1]) { v[i] = v[i - 1]; miss[i] = false; }
        return;
    }
    size_t prev = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (miss[i]) continue;
        if (prev == SIZE_MAX) {
            for (size_t j = 0; j < i; j++) { v[j] = v[i]; miss[j] = false; }
        } else {
            for (size_t j = prev + 1; j < i; j++) {
                v[j] = v[prev] + (v[i] - v[prev]) * (double)(j - prev) / (double)(i - prev);
                miss[j] = false;
            }
        }
        prev = i;
    }
    if (prev != SIZE_MAX)
        for (size_t j = prev + 1; j < n; j++) { v[j] = v[prev]; miss[j] = false; }
}

struct iot_series *iot_series_new(const struct iot_aggset *set, int64_t step, int64_t origin,
                                  bool has_range, int64_t from, int64_t to, size_t max_keys,
                                  int64_t max_points)
{
    struct iot_series *s = iot_xcalloc(1, sizeof *s);
    s->max_points = max_points > 0 ? max_points : INT64_MAX;
    s->set = set;
    s->step = step;
    s->origin = has_range ? from : origin;
    s->has_range = has_range;
    s->from = from;
    s->to = to;
    s->keys = iot_keytab_new(sizeof(struct skey), max_keys);
    return s;
}

int iot_series_add(struct iot_series *s, const char *key, size_t klen, int64_t t,
                   const struct iot_agg_in *in)
{
    if (s->has_range && (t < s->from || t >= s->to)) return 1;
    int64_t d;
    if (__builtin_sub_overflow(t, s->origin, &d)) return 2;
    int64_t b = iot_floordiv(d, s->step);
    struct skey *k = iot_keytab_find(s->keys, key, klen);
    if (k && k->n) {   /* the axis it would need, checked before anything grows */
        int64_t lo = b < k->base ? b : k->base, hi = k->base + (int64_t)k->n - 1;
        if (b > hi) hi = b;
        if (hi - lo >= s->max_points) return 2;
    }
    int created;
    k = iot_keytab_get(s->keys, key, klen, &created);
    if (!k) return -1;
    if (k->n == 0) {
        k->base = b;
    } else if (b < k->base) {
        size_t grow = (size_t)(k->base - b);
        k->bins = iot_xrealloc(k->bins, (k->n + grow) * sizeof *k->bins);
        memmove(k->bins + grow, k->bins, k->n * sizeof *k->bins);
        memset(k->bins, 0, grow * sizeof *k->bins);
        k->n += grow;
        k->base = b;
    }
    size_t i = (size_t)(b - k->base);
    if (i >= k->n) {
        k->bins = iot_xrealloc(k->bins, (i + 1) * sizeof *k->bins);
        memset(k->bins + k->n, 0, (i + 1 - k->n) * sizeof *k->bins);
        k->n = i + 1;
    }
    if (!k->bins[i]) {
        k->bins[i] = iot_xmalloc(iot_agg_size(s->set));
        iot_agg_init(s->set, k->bins[i]);
    }
    iot_agg_add(s->set, k->bins[i], in, t);
    return 0;
}

void iot_series_finish(struct iot_series *s, enum iot_fill how,
                       void (*emit)(void *ctx, const struct iot_series_row *r), void *ctx)
{
    size_t nk;
    void **sorted = iot_keytab_sorted(s->keys, &nk);
    int ni = s->set->nitems;
    double **val = iot_xcalloc((size_t)ni, sizeof *val);
    bool **miss = iot_xcalloc((size_t)ni, sizeof *miss);
    for (size_t q = 0; q < nk; q++) {
        struct skey *k = sorted[q];
        struct iot_series_row r;
        r.key = iot_keytab_key(k, &r.klen);
        int64_t b0 = k->base, b1 = k->base + (int64_t)k->n;   /* [b0, b1) */
        if (s->has_range) { b0 = 0; b1 = -iot_floordiv(-(s->to - s->from), s->step); }
        r.first = s->origin + b0 * s->step;
        r.step = s->step;
        r.n = (size_t)(b1 - b0);
        for (int i = 0; i < ni; i++) {
            val[i] = iot_xrealloc(val[i], (r.n + 1) * sizeof **val);
            miss[i] = iot_xrealloc(miss[i], (r.n + 1) * sizeof **miss);
        }
        for (size_t j = 0; j < r.n; j++) {
            int64_t b = b0 + (int64_t)j;
            struct iot_agg_state *st = b >= k->base && b < k->base + (int64_t)k->n ? k->bins[b - k->base] : NULL;
            for (int i = 0; i < ni; i++) {
                if (st) miss[i][j] = iot_agg_value(s->set, st, i, &val[i][j]) != 0;
                else if (iot_agg_is_count(s->set, i)) { val[i][j] = 0; miss[i][j] = false; }
                else miss[i][j] = true;
            }
        }
        for (int i = 0; i < ni; i++) iot_series_fill(val[i], miss[i], r.n, how);
        r.val = val;
        r.miss = miss;
        emit(ctx, &r);
    }
    for (int i = 0; i < ni; i++) { free(val[i]); free(miss[i]); }
    free(val); free(miss); free(sorted);
}

static const struct iot_aggset *free_set;
static void skey_free(void *v)
{
    struct skey *k = v;
    for (size_t i = 0; i < k->n; i++)
        if (k->bins[i]) { iot_agg_free(free_set, k->bins[i]); free(k->bins[i]); }
    free(k->bins);
}
void iot_series_free(struct iot_series *s)
{
    if (!s) return;
    free_set = s->set;
    iot_keytab_free(s->keys, skey_free);
    free(s);
}
