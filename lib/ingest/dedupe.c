/* dedupe: per-key rings of event times for key + time identities; otherwise a linear-probing
 * hash set (backward-shift deletion) plus a FIFO of insertions. */
#include <stdlib.h>
#include <string.h>
#include "dedupe.h"
#include "core/key.h"
#include "core/keytab.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/rec.h"

/* One key's remembered event times, oldest first; cap is a power of two. */
struct kring {
    int64_t *t;
    uint32_t head, n, cap;
    int64_t max;            /* no remembered time of the key is above this */
    int64_t inl[4];         /* the first few times live here */
};

struct ent { uint64_t h1, h2; int64_t t; };

struct iot_dedupe {
    int64_t window, newest;
    int have_newest;
    size_t max;
    struct ent *slot;       /* h1 == 0 means empty (h1 is forced non-zero) */
    size_t mask, used;
    struct ent *fifo;       /* ring of insertions, oldest at head */
    size_t head, count, fcap;
    int64_t evicted, too_old;
    /* identity */
    int *idx, nidx, time_index, key0, nkeys, by_key;
    struct iot_buf id;
    /* per-key rings */
    struct iot_keytab *keys;
    size_t total, hand;
};

struct iot_dedupe *iot_dedupe_new(int64_t window_ns, size_t max_entries)
{
    struct iot_dedupe *d = iot_xcalloc(1, sizeof *d);
    d->window = window_ns;
    d->max = max_entries ? max_entries : 1000000;
    d->mask = 1023;
    d->slot = iot_xcalloc(d->mask + 1, sizeof *d->slot);
    d->fcap = 1024;
    d->fifo = iot_xmalloc(d->fcap * sizeof *d->fifo);
    return d;
}

static int64_t horizon_of(struct iot_dedupe *d, int64_t t)
{
    if (!d->have_newest || t > d->newest)
        d->newest = t, d->have_newest = 1;
    return d->newest - d->window;
}

static size_t find(const struct iot_dedupe *d, uint64_t h1, uint64_t h2, int *hit)
{
    size_t i = h1 & d->mask;
    while (d->slot[i].h1) {
        if (d->slot[i].h1 == h1 && d->slot[i].h2 == h2) {
            *hit = 1;
            return i;
        }
        i = (i + 1) & d->mask;
    }
    *hit = 0;
    return i;
}

static void grow(struct iot_dedupe *d)
{
    struct ent *old = d->slot;
    size_t n = d->mask + 1;
    d->mask = n * 2 - 1;
    d->slot = iot_xcalloc(n * 2, sizeof *d->slot);
    for (size_t i = 0; i < n; i++)
        if (old[i].h1) {
            int hit;
            d->slot[find(d, old[i].h1, old[i].h2, &hit)] = old[i];
        }
    free(old);
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void del(struct iot_dedupe *d, uint64_t h1, uint64_t h2)
{
    int hit;
    size_t i = find(d, h1, h2, &hit);
    if (!hit)
        return;
    d->slot[i].h1 = 0;
    d->used--;
    for (size_t j = (i + 1) & d->mask; d->slot[j].h1; j = (j + 1) & d->mask) {
        size_t home = d->slot[j].h1 & d->mask;
        /* move j into the hole i if its home is not in (i, j] cyclically */
        if (((j - home) & d->mask) >= ((j - i) & d->mask)) {
            d->slot[i] = d->slot[j];
            d->slot[j].h1 = 0;
            i = j;
        }
    }
}

static void pop(struct iot_dedupe *d)
{
    struct ent *e = &d->fifo[d->head];
    del(d, e->h1, e->h2);
    d->head = (d->head + 1) % d->fcap;
    d->count--;
}

int iot_dedupe_seen(struct iot_dedupe *d, const void *id, size_t n, int64_t t)
{
    int64_t horizon = horizon_of(d, t);
    while (d->count && d->fifo[d->head].t < horizon)
        pop(d);
    if (t < horizon) {
        d->too_old++;
        return 0;
    }
    uint64_t h1 = iot_hash64(id, n);
    if (!h1)
        h1 = 1;                           /* 0 marks an empty slot */
    struct iot_buf salted = { 0 };
    uint64_t h2;
    {
        /* An independent second hash: the identity behind a fixed prefix. */
        char pre[64];
        if (n <= sizeof pre - 8) {
            memcpy(pre, "iotdedup", 8);
            memcpy(pre + 8, id, n);
            h2 = iot_hash64(pre, n + 8);
        } else {
            iot_buf_add(&salted, "iotdedup", 8);
            iot_buf_add(&salted, id, n);
            h2 = iot_hash64(salted.p, salted.len);
            iot_buf_free(&salted);
        }
    }
    int hit;
    find(d, h1, h2, &hit);
    if (hit)
        return 1;
    if (d->count == d->max) {
        pop(d);
        d->evicted++;
    }
    if ((d->used + 1) * 2 > d->mask + 1)
        grow(d);
    size_t i = find(d, h1, h2, &hit);
    d->slot[i] = (struct ent){ h1, h2, t };
    d->used++;
    if (d->count == d->fcap) {   /* grow the ring, unwrapping it */
        struct ent *f = iot_xmalloc(d->fcap * 2 * sizeof *f);
        for (size_t k = 0; k < d->count; k++)
            f[k] = d->fifo[(d->head + k) % d->fcap];
        free(d->fifo);
        d->fifo = f;
        d->head = 0;
        d->fcap *= 2;
    }
    d->fifo[(d->head + d->count) % d->fcap] = (struct ent){ h1, h2, t };
    d->count++;
    return 0;
}

void iot_dedupe_identity(struct iot_dedupe *d, const int *idx, int n, int time_index, int key0,
                         int nkeys)
{
    d->idx = iot_xmalloc(sizeof *idx * (size_t)(n ? n : 1));
    memcpy(d->idx, idx, sizeof *idx * (size_t)n);
    d->nidx = n, d->time_index = time_index, d->key0 = key0, d->nkeys = nkeys;
    int has_time = 0, has_key = 0, other = 0;
    for (int i = 0; i < n; i++)
        if (idx[i] == time_index)
            has_time = 1;
        else if (idx[i] < key0 || idx[i] >= key0 + nkeys)
            other = 1;
    for (int k = 0; k < nkeys; k++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= idx[i] == key0 + k;
        has_key += found;
    }
    d->by_key = has_time && !other && has_key == nkeys;
    if (d->by_key)
        d->keys = iot_keytab_new(sizeof(struct kring), 0);
}

static void ring_pop(struct iot_dedupe *d, struct kring *r)
{
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
    d->total--;
}

/* Forgets the key's times behind the horizon (from the oldest arrival on). */
static void ring_expire(struct iot_dedupe *d, struct kring *r, int64_t horizon)
{
    while (r->n && r->t[r->head] < horizon)
        ring_pop(d, r);
    if (!r->n && r->t != r->inl) {
        free(r->t);
        r->t = r->inl, r->cap = 4, r->head = 0;
    }
}

/* Visits the next key in insertion order (the sweep hand): forgets its expired times, and a
 * key left with none (unless it is keep). With force, also its oldest time if nothing expired.
 * Returns 1 if something was forgotten. */
static int sweep_one(struct iot_dedupe *d, int64_t horizon, const struct kring *keep, int force)
{
    struct kring *r = iot_keytab_next(d->keys, &d->hand);
    if (!r) {
        d->hand = 0;
        r = iot_keytab_next(d->keys, &d->hand);
        if (!r)
            return 0;
    }
    size_t before = r->n;
    ring_expire(d, r, horizon);
    int freed = r->n < before;
    if (!freed && force && r->n) {
        if (r->t[r->head] >= horizon)
            d->evicted++;
        ring_pop(d, r);
        freed = 1;
    }
    if (!r->n && r != keep) {
        size_t kl;
        const char *k = iot_keytab_key(r, &kl);
        iot_keytab_del(d->keys, k, kl);
    }
    return freed;
}

static int seen_by_key(struct iot_dedupe *d, const char *key, size_t klen, int64_t t)
{
    int64_t horizon = horizon_of(d, t);
    if (t < horizon) {
        d->too_old++;
        return 0;
    }
    int created;
    struct kring *r = iot_keytab_get(d->keys, key, klen, &created);
    if (created) {
        r->t = r->inl, r->cap = 4;
        r->max = t;
    } else if (t <= r->max) {
        /* a repeat comes soon after its first copy: search from the newest back */
        for (uint32_t i = r->n; i-- > 0;)
            if (r->t[(r->head + i) & (r->cap - 1)] == t)
                return 1;
    }
    ring_expire(d, r, horizon);
    sweep_one(d, horizon, r, 0);   /* two keys a call: the hand outruns new keys */
    sweep_one(d, horizon, r, 0);
    /* the bound: forget early, sweeping keys round-robin (at most one full turn) */
    for (size_t turns = iot_keytab_count(d->keys) + 1; d->total >= d->max && turns; turns--)
        sweep_one(d, horizon, r, 1);
    if (d->total >= d->max && r->n) {
        d->evicted++;
        ring_pop(d, r);
    }
    if (r->n == r->cap) {   /* grow, unrolling the ring */
        int64_t *nt = iot_xmalloc(sizeof *nt * r->cap * 2);
        for (uint32_t i = 0; i < r->n; i++)
            nt[i] = r->t[(r->head + i) & (r->cap - 1)];
        if (r->t != r->inl)
            free(r->t);
        r->t = nt, r->head = 0, r->cap *= 2;
    }
    r->t[(r->head + r->n) & (r->cap - 1)] = t;
    r->n++;
    d->total++;
    if (t > r->max)
        r->max = t;
    return 0;
}

int iot_dedupe_record(struct iot_dedupe *d, const struct iot_val *vals, int64_t t)
{
    iot_buf_reset(&d->id);
    if (d->by_key) {
        for (int k = 0; k < d->nkeys; k++) {
            const struct iot_val *v = &vals[d->key0 + k];
            iot_key_part(v, &d->id);
            iot_buf_addc(&d->id, '\x1f');
        }
        return seen_by_key(d, d->id.p, d->id.len, t);
    }
    for (int i = 0; i < d->nidx; i++) {
        const struct iot_val *v = &vals[d->idx[i]];
        if (d->idx[i] == d->time_index) {
            iot_buf_add(&d->id, &t, sizeof t);   /* the instant, whatever its form */
        } else if (v->type == IOT_J_ABSENT) {
            iot_buf_addc(&d->id, '\x1e');
        } else {
            iot_key_part(v, &d->id);
        }
        iot_buf_addc(&d->id, '\x1f');
    }
    return iot_dedupe_seen(d, d->id.p, d->id.len, t);
}

static void free_ring(void *val)
{
    struct kring *r = val;
    if (r->t != r->inl)
        free(r->t);
}

size_t iot_dedupe_count(const struct iot_dedupe *d) { return d->by_key ? d->total : d->count; }
int64_t iot_dedupe_evicted(const struct iot_dedupe *d) { return d->evicted; }
int64_t iot_dedupe_too_old(const struct iot_dedupe *d) { return d->too_old; }

void iot_dedupe_stats(const struct iot_dedupe *d)
{
    if (d->evicted)
        iot_stat_add("dedupe_evicted", d->evicted);
    if (d->too_old)
        iot_stat_add("dedupe_too_old", d->too_old);
}

void iot_dedupe_free(struct iot_dedupe *d)
{
    if (!d)
        return;
    free(d->slot);
    free(d->fifo);
    free(d->idx);
    iot_buf_free(&d->id);
    iot_keytab_free(d->keys, free_ring);
    free(d);
}
