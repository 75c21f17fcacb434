/* ds: M4 buckets with doubling width. */
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/time.h"
#include "ds.h"

void iot_ds_init(struct iot_ds *d, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->cap = cap < 2 ? 2 : cap;
    d->b = iot_xcalloc(d->cap, sizeof *d->b);
    d->w = 1;
}

void iot_ds_free(struct iot_ds *d)
{
    free(d->b);
    d->b = NULL;
}

static void pt_merge(struct iot_ds_cell *a, const struct iot_ds_cell *c)
{
    if (!a->n && !a->nnull) { *a = *c; return; }
    if (c->n) {
        if (!a->n) { a->first = c->first; a->last = c->last; a->min = c->min; a->max = c->max; }
        else {
            if (c->first.t < a->first.t) a->first = c->first;
            if (c->last.t >= a->last.t) a->last = c->last;
            if (c->min.v < a->min.v) a->min = c->min;
            if (c->max.v > a->max.v) a->max = c->max;
        }
        if (c->nflag && (!a->nflag || c->flag.t < a->flag.t)) a->flag = c->flag;
    }
    a->n += c->n;
    a->nflag += c->nflag;
    a->nnull += c->nnull;
}

static bool used(const struct iot_ds_cell *c) { return c->n || c->nnull; }

/* Doubles the bucket width, merging bucket pairs in place (targets never pass their source). */
static void coarsen(struct iot_ds *d)
{
    int64_t nb0 = iot_floordiv(d->b0, 2);
    for (size_t i = 0; i < d->cap; i++) {
        if (!used(&d->b[i])) continue;
        size_t j = (size_t)(iot_floordiv(d->b0 + (int64_t)i, 2) - nb0);
        if (j == i) continue;
        struct iot_ds_cell c = d->b[i];
        memset(&d->b[i], 0, sizeof c);
        pt_merge(&d->b[j], &c);
    }
    d->w *= 2;
    d->b0 = nb0;
    d->lo = iot_floordiv(d->lo, 2);
    d->hi = iot_floordiv(d->hi, 2);
}

/* Moves the used range so that b0 = nb0 (the range fits after the move). */
static void rebase(struct iot_ds *d, int64_t nb0)
{
    size_t from = (size_t)(d->lo - d->b0), to = (size_t)(d->lo - nb0), len = (size_t)(d->hi - d->lo + 1);
    memmove(d->b + to, d->b + from, len * sizeof *d->b);
    if (to > from) memset(d->b + from, 0, (to - from) * sizeof *d->b);
    else memset(d->b + to + len, 0, (from - to) * sizeof *d->b);
    d->b0 = nb0;
}

static struct iot_ds_cell *bucket(struct iot_ds *d, int64_t t)
{
    int64_t cap = (int64_t)d->cap;
    if (!d->nany++) {   /* the very first sample or null */
        d->b0 = d->lo = d->hi = iot_floordiv(t, d->w);
        return &d->b[0];
    }
    for (;;) {
        int64_t i = iot_floordiv(t, d->w);
        if (i >= d->b0 && i < d->b0 + cap) {
            if (i < d->lo) d->lo = i;
            if (i > d->hi) d->hi = i;
            return &d->b[i - d->b0];
        }
        int64_t lo = i < d->lo ? i : d->lo, hi = i > d->hi ? i : d->hi;
        if ((uint64_t)hi - (uint64_t)lo < (uint64_t)cap) {
            /* leave the most room on the side the data is moving to */
            rebase(d, i < d->b0 ? hi - cap + 1 : lo);
            continue;
        }
        coarsen(d);
    }
}

void iot_ds_add(struct iot_ds *d, int64_t t, double v, bool flagged)
{
    struct iot_ds_cell one = { .first = { t, v }, .last = { t, v }, .min = { t, v }, .max = { t, v },
                               .flag = { t, v }, .n = 1, .nflag = flagged };
    pt_merge(bucket(d, t), &one);
    if (!d->n) { d->min = d->max = d->first = d->last = one.first; }
    else {
        if (v < d->min.v) d->min = one.first;
        if (v > d->max.v) d->max = one.first;
        if (t < d->first.t) d->first = one.first;
        if (t >= d->last.t) d->last = one.first;
    }
    d->n++;
    d->nflag += flagged;
}

void iot_ds_null(struct iot_ds *d, int64_t t)
{
    struct iot_ds_cell one = { .nnull = 1 };
    pt_merge(bucket(d, t), &one);
}

static void col_add(struct iot_ds_cell *col, int ncol, int64_t t0, int64_t t1, struct iot_ds_pt p, int kind)
{
    if (p.t < t0 || p.t > t1) return;
    int c = (int)((double)ncol * iot_ds_span(t0, p.t) / (iot_ds_span(t0, t1) + 1));
    if (c >= ncol) c = ncol - 1;
    struct iot_ds_cell one = { .first = p, .last = p, .min = p, .max = p, .flag = p, .n = kind == 0,
                               .nflag = kind == 1, .nnull = kind == 2 };
    if (kind == 1) {   /* a flag alone adds no sample */
        struct iot_ds_cell *a = &col[c];
        if (!a->nflag || p.t < a->flag.t) a->flag = p;
        a->nflag++;
        return;
    }
    pt_merge(&col[c], &one);
}

void iot_ds_columns(const struct iot_ds *d, int64_t t0, int64_t t1, struct iot_ds_cell *col, int ncol)
{
    memset(col, 0, (size_t)ncol * sizeof *col);
    for (size_t i = 0; i < d->cap; i++) {
        const struct iot_ds_cell *b = &d->b[i];
        if (b->n) {
            struct iot_ds_pt p[4];
            int np = iot_ds_cell_points(b, p);
            for (int k = 0; k < np; k++) col_add(col, ncol, t0, t1, p[k], 0);
            if (b->nflag) col_add(col, ncol, t0, t1, b->flag, 1);
        }
        if (b->nnull) {   /* a break after the bucket's last sample */
            struct iot_ds_pt p = { b->n ? b->last.t : (d->b0 + (int64_t)i) * d->w, 0 };
            if (p.t < t0) p.t = t0;
            col_add(col, ncol, t0, t1, p, 2);
        }
    }
}

int iot_ds_cell_points(const struct iot_ds_cell *c, struct iot_ds_pt out[4])
{
    if (!c->n) return 0;
    struct iot_ds_pt a = c->min, b = c->max;
    if (b.t < a.t) { struct iot_ds_pt x = a; a = b; b = x; }
    struct iot_ds_pt cand[4] = { c->first, a, b, c->last };
    int n = 0;
    for (int i = 0; i < 4; i++) {
        if (n && cand[i].t == out[n - 1].t && cand[i].v == out[n - 1].v) continue;
        out[n++] = cand[i];
    }
    return n;
}
