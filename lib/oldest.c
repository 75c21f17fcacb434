/* oldest: indexed min-heap on (t, tie). See oldest.h. */
#include "oldest.h"
#include "buf.h"
#include <stdlib.h>

static int before(const struct iot_oldest *o, const struct iot_oldest_ent *a, const struct iot_oldest_ent *b)
{
    if (a->t != b->t) return a->t < b->t;
    return o->tie && o->tie(a, b) < 0;
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

void iot_oldest_free(struct iot_oldest *o)
{
    free(o->h);
    o->h = NULL;
    o->n = o->cap = 0;
}
