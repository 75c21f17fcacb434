/* oldest: indexed min-heap on (t, tie). See oldest.h. */
#include "oldest.h"
#include "core/buf.h"
#include "core/keytab.h"
#include <string.h>
#include <stdlib.h>

static int before(const struct iot_oldest *o, const struct iot_oldest_ent *a, const struct iot_oldest_ent *b)
{
    if (a->t != b->t) return a->t < b->t;
    size_t an, bn;
    const char *ak = iot_keytab_key((const char *)a - o->off, &an);
    const char *bk = iot_keytab_key((const char *)b - o->off, &bn);
    int c = memcmp(ak, bk, an < bn ? an : bn);
    return c ? c < 0 : an < bn;
}

static void put(struct iot_oldest *o, size_t i, struct iot_oldest_ent *e)
{
    o->h[i] = e;
    e->idx = i;
}

static void up(struct iot_oldest *o, size_t i)
{
    struct iot_oldest_ent *e = o->h[i];
    while (i > 0 && before(o, e, o->h[(i - 1) / 2])) {
        put(o, i, o->h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    put(o, i, e);
}

static void down(struct iot_oldest *o, size_t i)
{
    struct iot_oldest_ent *e = o->h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= o->n) break;
        if (c + 1 < o->n && before(o, o->h[c + 1], o->h[c])) c++;
        if (!before(o, o->h[c], e)) break;
        put(o, i, o->h[c]);
        i = c;
    }
    put(o, i, e);
}

void iot_oldest_add(struct iot_oldest *o, struct iot_oldest_ent *e, int64_t t)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->h = iot_xrealloc(o->h, o->cap * sizeof *o->h);
    }
    e->t = t;
    put(o, o->n++, e);
    up(o, e->idx);
}

void iot_oldest_set(struct iot_oldest *o, struct iot_oldest_ent *e, int64_t t)
{
    int64_t old = e->t;
    e->t = t;
    if (t < old) up(o, e->idx);
    else if (t > old) down(o, e->idx);
}

struct iot_oldest_ent *iot_oldest_min(const struct iot_oldest *o) { return o->n ? o->h[0] : NULL; }

void iot_oldest_remove(struct iot_oldest *o, struct iot_oldest_ent *e)
{
    size_t i = e->idx;
    struct iot_oldest_ent *last = o->h[--o->n];
    if (last == e) return;
    put(o, i, last);
    up(o, i);
    down(o, last->idx);
}

void *iot_oldest_value(const struct iot_oldest *o)
{
    return o->n ? (char *)o->h[0] - o->off : NULL;
}

void iot_oldest_forget(struct iot_oldest *o, struct iot_keytab *t, void *val)
{
    iot_oldest_remove(o, (struct iot_oldest_ent *)((char *)val + o->off));
    size_t kl;
    const char *kb = iot_keytab_key(val, &kl);
    char *copy = iot_xmalloc(kl + 1);
    memcpy(copy, kb, kl);
    iot_keytab_del(t, copy, kl);
    free(copy);
}

void iot_oldest_free(struct iot_oldest *o)
{
    free(o->h);
    o->h = NULL;
    o->n = o->cap = 0;
}
