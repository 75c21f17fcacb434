/* rolling: per key ring of recent inputs; the trailing state is rebuilt per record so that every
 * aggregate (percentiles and dcount included) is exact. */
#include "rolling.h"
#include "buf.h"
#include "keytab.h"
#include <stdlib.h>
#include <string.h>

struct rkey { int64_t *t; struct iot_agg_in *in; size_t head, n, cap; };
struct iot_roll {
    const struct iot_aggset *set;
    int64_t dur, max;
    int nf;
    struct iot_keytab *keys;
    struct iot_agg_state *st;
};

struct iot_roll *iot_roll_new(const struct iot_aggset *set, int64_t dur, int64_t n, size_t max_keys)
{
    struct iot_roll *r = iot_xcalloc(1, sizeof *r);
    r->set = set;
    r->dur = dur;
    r->max = n;
    r->nf = set->nfields;
    r->keys = iot_keytab_new(sizeof(struct rkey), max_keys);
    r->st = iot_xmalloc(iot_agg_size(set));
    iot_agg_init(set, r->st);
    return r;
}

static void grow(struct iot_roll *r, struct rkey *k)
{
    size_t nc = k->cap ? k->cap * 2 : 16;
    int64_t *t = iot_xmalloc(nc * sizeof *t);
    struct iot_agg_in *in = iot_xmalloc(nc * (size_t)r->nf * sizeof *in + 1);
    for (size_t i = 0; i < k->n; i++) {
        size_t j = (k->head + i) % k->cap;
        t[i] = k->t[j];
        memcpy(in + i * (size_t)r->nf, k->in + j * (size_t)r->nf, (size_t)r->nf * sizeof *in);
    }
    free(k->t); free(k->in);
    k->t = t; k->in = in; k->cap = nc; k->head = 0;
}

struct iot_agg_state *iot_roll_add(struct iot_roll *r, const char *key, size_t klen, int64_t t,
                                   const struct iot_agg_in *in)
{
    int created;
    struct rkey *k = iot_keytab_get(r->keys, key, klen, &created);
    if (!k) return NULL;
    if (k->n == k->cap) grow(r, k);
    size_t j = (k->head + k->n) % k->cap;
    k->t[j] = t;
    memcpy(k->in + j * (size_t)r->nf, in, (size_t)r->nf * sizeof *in);
    k->n++;
    if (r->dur > 0) {
        while (k->n > 1 && k->t[k->head] <= t - r->dur) { k->head = (k->head + 1) % k->cap; k->n--; }
    } else {
        while ((int64_t)k->n > r->max) { k->head = (k->head + 1) % k->cap; k->n--; }
    }
    iot_agg_free(r->set, r->st);
    iot_agg_init(r->set, r->st);
    for (size_t i = 0; i < k->n; i++) {
        size_t q = (k->head + i) % k->cap;
        if (r->dur > 0 && (k->t[q] <= t - r->dur || k->t[q] > t)) continue;
        iot_agg_add(r->set, r->st, k->in + q * (size_t)r->nf, k->t[q]);
    }
    return r->st;
}

static void rkey_free(void *v)
{
    struct rkey *k = v;
    free(k->t); free(k->in);
}
void iot_roll_free(struct iot_roll *r)
{
    if (!r) return;
    iot_keytab_free(r->keys, rkey_free);
    iot_agg_free(r->set, r->st);
    free(r->st);
    free(r);
}
