#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "keytab.h"

struct ent {
    struct ent *next;       /* hash chain */
    uint64_t hash;
    size_t order;           /* index in t->order */
    size_t klen;
    char *key;              /* stored after the value */
    _Alignas(16) char val[];
};

struct iot_keytab {
    struct ent **slots;
    size_t nslots, count, max_keys, val_size;
    struct ent **order;     /* insertion order; NULL where deleted */
    size_t norder, order_cap, holes;
};

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 32; x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32; x *= 0xd6e8feb86659fd93ULL;
    return x ^ (x >> 32);
}

uint64_t iot_hash64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)s[i] << (8 * i);
    return mix(h ^ w ^ ((uint64_t)n << 56));
}

struct iot_keytab *iot_keytab_new(size_t val_size, size_t max_keys)
{
    struct iot_keytab *t = iot_xcalloc(1, sizeof *t);
    t->nslots = 64;
    t->slots = iot_xcalloc(t->nslots, sizeof *t->slots);
    t->val_size = (val_size + 15) & ~(size_t)15;
    t->max_keys = max_keys;
    return t;
}

static void rehash(struct iot_keytab *t)
{
    size_t n = t->nslots * 2;
    struct ent **s = iot_xcalloc(n, sizeof *s);
    for (size_t i = 0; i < t->nslots; i++)
        for (struct ent *e = t->slots[i], *next; e; e = next) {
            next = e->next;
            e->next = s[e->hash & (n - 1)];
            s[e->hash & (n - 1)] = e;
        }
    free(t->slots);
    t->slots = s;
    t->nslots = n;
}

static struct ent *lookup(const struct iot_keytab *t, const void *key, size_t klen, uint64_t h)
{
    for (struct ent *e = t->slots[h & (t->nslots - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) return e;
    return NULL;
}

static void compact(struct iot_keytab *t)
{
    size_t j = 0;
    for (size_t i = 0; i < t->norder; i++)
        if (t->order[i]) { t->order[j] = t->order[i]; t->order[j]->order = j; j++; }
    t->norder = j;
    t->holes = 0;
}

void *iot_keytab_get(struct iot_keytab *t, const void *key, size_t klen, int *created)
{
    uint64_t h = iot_hash64(key, klen);
    struct ent *e = lookup(t, key, klen, h);
    if (created) *created = 0;
    if (e) return e->val;
    if (t->max_keys && t->count >= t->max_keys) return NULL;
    if (t->count >= t->nslots / 2) rehash(t);   /* load ≤ 0.5: chains stay short */
    e = iot_xcalloc(1, sizeof *e + t->val_size + klen + 1);
    e->hash = h;
    e->klen = klen;
    e->key = e->val + t->val_size;
    memcpy(e->key, key, klen);
    e->next = t->slots[h & (t->nslots - 1)];
    t->slots[h & (t->nslots - 1)] = e;
    if (t->holes > 64 && t->holes > t->norder / 2) compact(t);
    if (t->norder == t->order_cap) {
        t->order_cap = t->order_cap ? t->order_cap * 2 : 64;
        t->order = iot_xrealloc(t->order, t->order_cap * sizeof *t->order);
    }
    e->order = t->norder;
    t->order[t->norder++] = e;
    t->count++;
    if (created) *created = 1;
    return e->val;
}

void *iot_keytab_find(const struct iot_keytab *t, const void *key, size_t klen)
{
    struct ent *e = lookup(t, key, klen, iot_hash64(key, klen));
    return e ? e->val : NULL;
}

int iot_keytab_del(struct iot_keytab *t, const void *key, size_t klen)
{
    uint64_t h = iot_hash64(key, klen);
    for (struct ent **pp = &t->slots[h & (t->nslots - 1)]; *pp; pp = &(*pp)->next) {
        struct ent *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            *pp = e->next;
            t->order[e->order] = NULL;
            t->holes++;
            t->count--;
            free(e);
            return 0;
        }
    }
    return -1;
}

size_t iot_keytab_count(const struct iot_keytab *t) { return t->count; }

static struct ent *ent_of(const void *val)
{
    return (struct ent *)((char *)(uintptr_t)val - offsetof(struct ent, val));
}

const char *iot_keytab_key(const void *val, size_t *klen)
{
    struct ent *e = ent_of(val);
    if (klen) *klen = e->klen;
    return e->key;
}

void *iot_keytab_next(const struct iot_keytab *t, size_t *pos)
{
    while (*pos < t->norder) {
        struct ent *e = t->order[(*pos)++];
        if (e) return e->val;
    }
    return NULL;
}

static int cmp_key(const void *a, const void *b)
{
    const struct ent *x = ent_of(*(void *const *)a), *y = ent_of(*(void *const *)b);
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

void **iot_keytab_sorted(const struct iot_keytab *t, size_t *n)
{
    void **v = iot_xmalloc((t->count + 1) * sizeof *v);
    size_t k = 0, pos = 0;
    void *val;
    while ((val = iot_keytab_next(t, &pos))) v[k++] = val;
    qsort(v, k, sizeof *v, cmp_key);
    *n = k;
    return v;
}

void iot_keytab_free(struct iot_keytab *t, void (*free_val)(void *val))
{
    if (!t) return;
    for (size_t i = 0; i < t->norder; i++)
        if (t->order[i]) {
            if (free_val) free_val(t->order[i]->val);
            free(t->order[i]);
        }
    free(t->order);
    free(t->slots);
    free(t);
}
