/* dedupe: linear-probing hash set (backward-shift deletion) plus a FIFO of insertions. */
#include <stdlib.h>
#include <string.h>
#include "dedupe.h"
#include "keytab.h"
#include "buf.h"

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
    if (!d->have_newest || t > d->newest)
        d->newest = t, d->have_newest = 1;
    int64_t horizon = d->newest - d->window;
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

size_t iot_dedupe_count(const struct iot_dedupe *d) { return d->count; }
int64_t iot_dedupe_evicted(const struct iot_dedupe *d) { return d->evicted; }
int64_t iot_dedupe_too_old(const struct iot_dedupe *d) { return d->too_old; }

void iot_dedupe_free(struct iot_dedupe *d)
{
    if (!d)
        return;
    free(d->slot);
    free(d->fifo);
    free(d);
}
