/* reduce: deadband (PI exception test) and swinging door (PI compression test) per key/field.
 * Formulas: AVEVA PI Server exception and compression (docs.aveva.com/bundle/pi-server-s-da-admin, "Exception and compression"); swinging door: E. H. Bristol, US patent 4,669,097. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "reduce.h"
#include "core/keytab.h"
#include "core/buf.h"
#include "core/rec.h"

struct fst {
    double av;          /* anchor: last passed value (ExcDev reference / swinging-door A) */
    int64_t at;
    double sv;          /* the pending record's value of this field (held / snapshot S) */
    int64_t st;
    double smin, smax;  /* swinging-door slopes from A, per ns */
    int has_anchor, pend;
};

struct kst {
    struct iot_buf line;  /* the pending record (held by a deadband / snapshot of a door) */
    int64_t last_t;
    int has_t, has_pending;
    struct fst f[];
};

struct iot_reduce {
    struct iot_reduce_field *f;
    int nf;
    int64_t max_gap;
    int64_t overflow;
    struct iot_keytab *keys;
};

struct iot_reduce *iot_reduce_new(const struct iot_reduce_field *f, int nf, int64_t max_gap_ns,
                                  size_t max_keys)
{
    struct iot_reduce *r = iot_xcalloc(1, sizeof *r);
    r->f = iot_xmalloc(sizeof *f * (size_t)(nf ? nf : 1));
    memcpy(r->f, f, sizeof *f * (size_t)nf);
    r->nf = nf;
    r->max_gap = max_gap_ns;
    r->keys = iot_keytab_new(sizeof(struct kst) + sizeof(struct fst) * (size_t)nf, max_keys);
    return r;
}

static void open_doors(struct fst *s, double e, double v, int64_t t)
{
    double dt = (double)(t - s->at);
    s->smax = (v + e - s->av) / dt;
    s->smin = (v - e - s->av) / dt;
}

/* The pending record is passed: every field it carries re-anchors on it. */
static void pass_pending(struct iot_reduce *r, struct kst *k, iot_reduce_emit_fn emit, void *ctx)
{
    emit(ctx, k->line.p, k->line.len);
    for (int i = 0; i < r->nf; i++) {
        struct fst *s = &k->f[i];
        if (!s->pend)
            continue;
        s->av = s->sv, s->at = s->st, s->has_anchor = 1, s->pend = 0;
    }
    k->has_pending = 0;
}

/* What the new point N asks for: the pending point passed (held value before a deadband
 * excursion; the door snapshot S when A->N misses a door) and/or N itself passed. */
static void decide(const struct iot_reduce *r, const struct kst *k, int64_t t,
                   const struct iot_reduce_val *vals, int *emit_prev, int *emit_cur)
{
    int judged = 0;
    *emit_prev = *emit_cur = 0;
    for (int i = 0; i < r->nf; i++) {
        const struct fst *s = &k->f[i];
        const struct iot_reduce_val *x = &vals[i];
        if (x->state != IOT_RV_NUM) {
            /* No number to judge: a held point of this field cannot wait for a later one. */
            if (s->pend)
                *emit_prev = 1;
            if (x->state == IOT_RV_OTHER)
                *emit_cur = 1;
            continue;
        }
        judged = 1;
        if (!s->has_anchor) {
            *emit_cur = 1;
            continue;
        }
        double e = r->f[i].dev;
        int64_t gap = t - s->at;
        if (r->f[i].kind == IOT_RED_DEADBAND) {
            if (fabs(x->v - s->av) > e || (r->max_gap && gap >= r->max_gap)) {
                *emit_cur = 1;
                if (s->pend)
                    *emit_prev = 1;
            }
        } else if (s->pend) {
            double ref = (x->v - s->av) / (double)gap;
            if ((r->max_gap && gap > r->max_gap) || !(s->smin <= ref && ref <= s->smax))
                *emit_prev = 1;
        }
    }
    if (!judged)
        *emit_cur = 1;
}

int iot_reduce_push(struct iot_reduce *r, const char *key, size_t klen, int64_t t,
                    const struct iot_reduce_val *vals, const char *line, size_t len,
                    iot_reduce_emit_fn emit, void *ctx)
{
    int created;
    struct kst *k = iot_keytab_get(r->keys, key, klen, &created);
    if (!k) {
        r->overflow++;
        emit(ctx, line, len);
        return 0;
    }
    if (k->has_t && t <= k->last_t) {   /* out of order: bypasses the reducer */
        emit(ctx, line, len);
        return 0;
    }
    k->has_t = 1, k->last_t = t;

    int emit_prev, emit_cur;
    decide(r, k, t, vals, &emit_prev, &emit_cur);
    if (emit_prev && k->has_pending) {
        /* Re-anchored on the passed point, the new one is judged again from there; what
         * passed before (a deadband excursion, a forced gap) still passes. */
        int again;
        pass_pending(r, k, emit, ctx);
        decide(r, k, t, vals, &emit_prev, &again);
        emit_cur |= again;
    }

    int discarded = 0;
    if (emit_cur) {
        emit(ctx, line, len);
        if (k->has_pending)
            discarded = 1;          /* a held point that no field needed */
        k->has_pending = 0;
        for (int i = 0; i < r->nf; i++) {
            struct fst *s = &k->f[i];
            s->pend = 0;
            if (vals[i].state == IOT_RV_NUM)
                s->av = vals[i].v, s->at = t, s->has_anchor = 1;
        }
        return discarded;
    }
    if (k->has_pending)
        discarded = 1;              /* replaced by the new snapshot */
    iot_buf_reset(&k->line);
    iot_buf_add(&k->line, line, len);
    k->has_pending = 1;
    for (int i = 0; i < r->nf; i++) {
        struct fst *s = &k->f[i];
        if (vals[i].state != IOT_RV_NUM)
            continue;               /* cannot happen with a pending point: emit_prev above */
        double v = vals[i].v, e = r->f[i].dev;
        if (r->f[i].kind == IOT_RED_SWING) {
            if (s->pend) {          /* S discarded: the doors narrow with N */
                double dt = (double)(t - s->at);
                double hi = (v + e - s->av) / dt, lo = (v - e - s->av) / dt;
                if (hi < s->smax) s->smax = hi;
                if (lo > s->smin) s->smin = lo;
            } else {
                open_doors(s, e, v, t);
            }
        }
        s->sv = v, s->st = t, s->pend = 1;
    }
    return discarded;
}

int64_t iot_reduce_finish(struct iot_reduce *r, iot_reduce_emit_fn emit, void *ctx)
{
    int64_t discarded = 0;
    size_t pos = 0;
    struct kst *k;
    while ((k = iot_keytab_next(r->keys, &pos))) {
        if (!k->has_pending)
            continue;
        int snap = 0;
        for (int i = 0; i < r->nf; i++)
            if (k->f[i].pend && r->f[i].kind == IOT_RED_SWING)
                snap = 1;
        if (snap) {
            pass_pending(r, k, emit, ctx);
        } else {
            k->has_pending = 0;
            for (int i = 0; i < r->nf; i++)
                k->f[i].pend = 0;
            discarded++;
        }
    }
    return discarded;
}

int64_t iot_reduce_overflow(const struct iot_reduce *r) { return r->overflow; }

static void free_kst(void *v)
{
    iot_buf_free(&((struct kst *)v)->line);
}

void iot_reduce_free(struct iot_reduce *r)
{
    if (!r)
        return;
    iot_keytab_free(r->keys, free_kst);
    free(r->f);
    free(r);
}

void iot_reduce_vals(struct iot_reduce_val *rv, const struct iot_val *vals, const int *idx, int n)
{
    for (int i = 0; i < n; i++) {
        const struct iot_val *v = &vals[idx[i]];
        rv[i].state = v->type == IOT_J_ABSENT ? IOT_RV_ABSENT
                    : v->type == IOT_J_NUM && iot_val_num(v, &rv[i].v) == 0 ? IOT_RV_NUM
                    : IOT_RV_OTHER;
    }
}

int iot_reduce_parse(const char *arg, int kind, struct iot_reduce_field **f, char ***names, int *n,
                     const char **why)
{
    struct iot_buf item = { 0 };
    int rc = 0;
    for (const char *p = arg; rc == 0 && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        iot_buf_reset(&item);
        iot_buf_add(&item, p, len);
        p += len + (comma ? 1 : 0);
        char *eq = strrchr(item.p, '='), *end;
        if (!eq || eq == item.p) {
            *why = "not FIELD=DEVIATION";
            rc = -1;
            break;
        }
        *eq = 0;
        errno = 0;
        double dev = strtod(eq + 1, &end);
        if (!eq[1] || *end || errno || !(dev >= 0) || !isfinite(dev)) {
            *why = "the deviation must be a number, 0 or more";
            rc = -1;
            break;
        }
        *f = iot_xrealloc(*f, sizeof **f * (size_t)(*n + 1));
        *names = iot_xrealloc(*names, sizeof **names * (size_t)(*n + 1));
        (*f)[*n] = (struct iot_reduce_field){ kind, dev };
        (*names)[(*n)++] = iot_xstrdup(item.p);
    }
    iot_buf_free(&item);
    return rc;
}
