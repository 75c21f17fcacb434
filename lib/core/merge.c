/* merge: binary min-heap on (time, input index). */
#include <stdlib.h>
#include "merge.h"
#include "buf.h"

struct head { int64_t t; int i; };

struct iot_merge {
    struct head *h;
    int n, k, last, primed;
    int64_t last_t;
    iot_merge_pull_fn pull;
    void *ctx;
};

struct iot_merge *iot_merge_new(int k, iot_merge_pull_fn pull, void *ctx)
{
    struct iot_merge *m = iot_xcalloc(1, sizeof *m);
    m->h = iot_xcalloc((size_t)(k ? k : 1), sizeof *m->h);
    m->k = k;
    m->pull = pull;
    m->ctx = ctx;
    m->last = -1;
    return m;
}

static int less(const struct head *a, const struct head *b)
{
    return a->t < b->t || (a->t == b->t && a->i < b->i);
}

static void push(struct iot_merge *m, int64_t t, int i)
{
    int c = m->n++;
    m->h[c] = (struct head){ t, i };
    while (c > 0) {
        int p = (c - 1) / 2;
        if (!less(&m->h[c], &m->h[p]))
            break;
        struct head x = m->h[p];
        m->h[p] = m->h[c], m->h[c] = x;
        c = p;
    }
}

static struct head pop(struct iot_merge *m)
{
    struct head top = m->h[0];
    m->h[0] = m->h[--m->n];
    int c = 0;
    for (;;) {
        int l = 2 * c + 1, r = l + 1, s = c;
        if (l < m->n && less(&m->h[l], &m->h[s])) s = l;
        if (r < m->n && less(&m->h[r], &m->h[s])) s = r;
        if (s == c)
            break;
        struct head x = m->h[s];
        m->h[s] = m->h[c], m->h[c] = x;
        c = s;
    }
    return top;
}

int iot_merge_next(struct iot_merge *m)
{
    int64_t t;
    if (!m->primed) {
        m->primed = 1;
        for (int i = 0; i < m->k; i++)
            if (m->pull(m->ctx, i, &t))
                push(m, t, i);
    } else if (m->last >= 0 && m->pull(m->ctx, m->last, &t)) {
        push(m, t, m->last);
    }
    if (!m->n)
        return m->last = -1;
    struct head h = pop(m);
    m->last = h.i;
    m->last_t = h.t;
    return h.i;
}

int64_t iot_merge_time(const struct iot_merge *m) { return m->last_t; }

void iot_merge_free(struct iot_merge *m)
{
    if (!m)
        return;
    free(m->h);
    free(m);
}
