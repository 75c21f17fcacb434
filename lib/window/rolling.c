/* rolling: per key, a ring of the kept records (absolute index a lives in slot a & (cap - 1)),
 * a running aggregate state updated as records enter and leave, and per field monotonic deques
 * of ring indices for min, max, first (smallest time, earliest arrival) and last (largest time,
 * latest arrival). Sums leave by subtraction in double-double; after as many departures as the
 * window holds, the state is rebuilt from the ring (amortised O(1)), so errors cannot pile up.
 * Percentiles and dcount (need the values) rebuild the whole state per record. */
#include "rolling.h"
#include "core/buf.h"
#include "core/keytab.h"
#include "oldest.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { DQ_MIN, DQ_MAX, DQ_FIRST, DQ_LAST, NDQ };
struct dq { uint64_t *a; uint32_t h, n; };

struct rkey {
    int64_t *t;
    struct iot_agg_in *in;
    uint64_t base, end;           /* kept records: absolute indices [base, end) */
    uint32_t cap;                 /* power of two */
    uint64_t removed;             /* departures since the last rebuild */
    bool stale;                   /* st and deques must be rebuilt from the ring */
    struct iot_agg_state *st;
    struct dq *dq;                /* nf * NDQ */
    struct iot_oldest_ent age;
};

struct iot_roll {
    const struct iot_aggset *set;
    int64_t dur, max;
    int nf;
    bool evict, slow;
    unsigned *dqmask;             /* per field: which deques it needs */
    struct iot_keytab *keys;
    struct iot_oldest ages;
    size_t evicted;
    struct iot_agg_state *tmp;
};

#define SLOT(k, a) ((size_t)((a) & ((k)->cap - 1)))
#define TIME(k, a) ((k)->t[SLOT(k, a)])
#define IN(r, k, a) ((k)->in + SLOT(k, a) * (size_t)(r)->nf)

struct iot_roll *iot_roll_new(const struct iot_aggset *set, int64_t dur, int64_t n,
                              size_t max_keys, bool evict)
{
    struct iot_roll *r = iot_xcalloc(1, sizeof *r);
    r->set = set;
    r->dur = dur;
    r->max = n;
    r->nf = set->nfields;
    r->evict = evict;
    r->dqmask = iot_xcalloc((size_t)r->nf + 1, sizeof *r->dqmask);
    for (int i = 0; i < r->nf; i++) {
        if (set->need[i] & (IOT_NEED_VALS | IOT_NEED_DIST)) r->slow = true;
        if (set->need[i] & IOT_NEED_MINMAX) r->dqmask[i] |= 1u << DQ_MIN | 1u << DQ_MAX;
        if (set->need[i] & IOT_NEED_FL) r->dqmask[i] |= 1u << DQ_FIRST | 1u << DQ_LAST;
    }
    r->keys = iot_keytab_new(sizeof(struct rkey), max_keys);
    r->ages.off = offsetof(struct rkey, age);
    r->tmp = iot_xmalloc(iot_agg_size(set));
    iot_agg_init(set, r->tmp);
    return r;
}

/* Is the deque's back entry b made useless by the newer entry a? */
static bool useless(const struct iot_roll *r, const struct rkey *k, int f, int d, uint64_t b, uint64_t a)
{
    switch (d) {
    case DQ_MIN: return IN(r, k, b)[f].v >= IN(r, k, a)[f].v;
    case DQ_MAX: return IN(r, k, b)[f].v <= IN(r, k, a)[f].v;
    case DQ_FIRST: return TIME(k, b) > TIME(k, a);
    default: return TIME(k, b) <= TIME(k, a);
    }
}

static void dq_push(struct iot_roll *r, struct rkey *k, uint64_t a)
{
    const struct iot_agg_in *in = IN(r, k, a);
    uint32_t m = k->cap - 1;
    for (int f = 0; f < r->nf; f++) {
        if (!r->dqmask[f] || in[f].kind != 1) continue;
        for (int d = 0; d < NDQ; d++) {
            if (!(r->dqmask[f] >> d & 1)) continue;
            struct dq *q = &k->dq[f * NDQ + d];
            while (q->n && useless(r, k, f, d, q->a[(q->h + q->n - 1) & m], a)) q->n--;
            q->a[(q->h + q->n++) & m] = a;
        }
    }
}

static void dq_expire(struct iot_roll *r, struct rkey *k, uint64_t a)
{
    uint32_t m = k->cap - 1;
    for (int i = 0; i < r->nf * NDQ; i++) {
        struct dq *q = &k->dq[i];
        if (q->n && q->a[q->h] == a) { q->h = (q->h + 1) & m; q->n--; }
    }
}

static void grow(struct iot_roll *r, struct rkey *k)
{
    uint32_t oc = k->cap, nc = oc ? oc * 2 : 8, om = oc - 1;
    int64_t *t = iot_xmalloc(nc * sizeof *t);
    struct iot_agg_in *in = iot_xmalloc(nc * (size_t)r->nf * sizeof *in + 1);
    for (uint64_t a = k->base; a < k->end; a++) {
        t[a & (nc - 1)] = k->t[a & om];
        memcpy(in + (a & (nc - 1)) * (size_t)r->nf, k->in + (a & om) * (size_t)r->nf, (size_t)r->nf * sizeof *in);
    }
    free(k->t); free(k->in);
    k->t = t; k->in = in;
    if (!k->dq) k->dq = iot_xcalloc((size_t)r->nf * NDQ + 1, sizeof *k->dq);
    for (int i = 0; i < r->nf * NDQ; i++) {
        struct dq *q = &k->dq[i];
        if (!(r->dqmask[i / NDQ] >> (i % NDQ) & 1)) continue;
        uint64_t *na = iot_xmalloc(nc * sizeof *na);
        for (uint32_t j = 0; j < q->n; j++) na[j] = q->a[(q->h + j) & om];
        free(q->a);
        q->a = na;
        q->h = 0;
    }
    k->cap = nc;
}

static void rebuild(struct iot_roll *r, struct rkey *k)
{
    iot_agg_free(r->set, k->st);
    iot_agg_init(r->set, k->st);
    for (int i = 0; i < r->nf * NDQ; i++) k->dq[i].h = k->dq[i].n = 0;
    for (uint64_t a = k->base; a < k->end; a++) {
        iot_agg_add(r->set, k->st, IN(r, k, a), TIME(k, a));
        dq_push(r, k, a);
    }
    k->removed = 0;
    k->stale = false;
}

/* min, max, first and last of the running state from the deques' fronts. */
static void fill(struct iot_roll *r, struct rkey *k)
{
    for (int f = 0; f < r->nf; f++) {
        struct iot_fstate *fs = &k->st->f[f];
        struct dq *q = &k->dq[f * NDQ];
        if (!r->dqmask[f] || fs->n == 0) continue;
        if (q[DQ_MIN].n) {
            fs->min = IN(r, k, q[DQ_MIN].a[q[DQ_MIN].h])[f].v;
            fs->max = IN(r, k, q[DQ_MAX].a[q[DQ_MAX].h])[f].v;
        }
        if (q[DQ_FIRST].n) {
            uint64_t a = q[DQ_FIRST].a[q[DQ_FIRST].h], b = q[DQ_LAST].a[q[DQ_LAST].h];
            fs->tf = TIME(k, a); fs->vf = IN(r, k, a)[f].v;
            fs->tl = TIME(k, b); fs->vl = IN(r, k, b)[f].v;
        }
    }
}

/* The state over kept records with time in (t - dur, t] (every kept one in count mode). */
static struct iot_agg_state *scan(struct iot_roll *r, struct rkey *k, int64_t t)
{
    iot_agg_free(r->set, r->tmp);
    iot_agg_init(r->set, r->tmp);
    for (uint64_t a = k->base; a < k->end; a++) {
        int64_t ta = TIME(k, a);
        if (r->dur > 0 && (ta <= t - r->dur || ta > t)) continue;
        iot_agg_add(r->set, r->tmp, IN(r, k, a), ta);
    }
    return r->tmp;
}

static void rkey_release(struct iot_roll *r, struct rkey *k)
{
    free(k->t); free(k->in);
    if (k->dq) {
        for (int i = 0; i < r->nf * NDQ; i++) free(k->dq[i].a);
        free(k->dq);
    }
    if (k->st) { iot_agg_free(r->set, k->st); free(k->st); }
    k->t = NULL; k->in = NULL; k->dq = NULL; k->st = NULL;
}

static void evict_oldest(struct iot_roll *r)
{
    struct rkey *k = iot_oldest_value(&r->ages);
    rkey_release(r, k);
    iot_oldest_forget(&r->ages, r->keys, k);
    r->evicted++;
}

struct iot_agg_state *iot_roll_add(struct iot_roll *r, const char *key, size_t klen, int64_t t,
                                   const struct iot_agg_in *in)
{
    int created;
    struct rkey *k = iot_keytab_get(r->keys, key, klen, &created);
    if (!k && r->evict && r->ages.n) {
        evict_oldest(r);
        k = iot_keytab_get(r->keys, key, klen, &created);
    }
    if (!k) return NULL;
    if (created) {
        k->st = iot_xmalloc(iot_agg_size(r->set));
        iot_agg_init(r->set, k->st);
        if (r->evict) iot_oldest_add(&r->ages, &k->age, t);
    } else if (r->evict && t > k->age.t)
        iot_oldest_set(&r->ages, &k->age, t);
    if (k->end - k->base == k->cap) grow(r, k);
    bool late = r->dur > 0 && k->end > k->base && t < TIME(k, k->end - 1);
    uint64_t a = k->end++;
    if (late) {                   /* keep the ring in time order: after equal times */
        while (a > k->base && TIME(k, a - 1) > t) {
            TIME(k, a) = TIME(k, a - 1);
            memcpy(IN(r, k, a), IN(r, k, a - 1), (size_t)r->nf * sizeof *in);
            a--;
        }
        k->stale = true;
    }
    TIME(k, a) = t;
    memcpy(IN(r, k, a), in, (size_t)r->nf * sizeof *in);
    bool inc = !k->stale && !r->slow;
    if (inc) {
        iot_agg_add(r->set, k->st, in, t);
        dq_push(r, k, a);
    }
    while (k->end - k->base > 1 &&
           (r->dur > 0 ? TIME(k, k->base) <= t - r->dur : (int64_t)(k->end - k->base) > r->max)) {
        if (inc) {
            iot_agg_remove(r->set, k->st, IN(r, k, k->base));
            dq_expire(r, k, k->base);
        }
        k->base++;
        k->removed++;
    }
    if (r->slow || late) return scan(r, k, t);
    if (k->stale || k->removed > k->end - k->base) rebuild(r, k);
    fill(r, k);
    return k->st;
}

size_t iot_roll_evicted(const struct iot_roll *r) { return r->evicted; }

void iot_roll_free(struct iot_roll *r)
{
    if (!r) return;
    size_t pos = 0;
    struct rkey *k;
    while ((k = iot_keytab_next(r->keys, &pos))) rkey_release(r, k);
    iot_keytab_free(r->keys, NULL);
    iot_oldest_free(&r->ages);
    iot_agg_free(r->set, r->tmp);
    free(r->tmp);
    free(r->dqmask);
    free(r);
}
