/* window: event-time window engine. See window.h (Azure Stream Analytics window functions).
 * Tumbling and hopping windows are updated on arrival (aggregates do not depend on order) and
 * closed by end buckets as the watermark passes them. Sliding, session and count windows need
 * events in time order: those are held in a reorder heap and released once the watermark has
 * passed them (ASA's "release in event-time order once the watermark passes e"). Rows closed in
 * one step are sorted by (end, key, start) before they are emitted; every row still open ends
 * at or after the watermark, so the whole output is in (end, key) order — except for the rows of
 * a key evicted by --evict oldest, which are written at once. */
#include "window_impl.h"
#include "core/buf.h"
#include "core/keytab.h"
#include "core/time.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

bool iot_win_ordered(const struct iot_win *w)
{
    return w->c.kind == IOT_WIN_SLIDING || w->c.kind == IOT_WIN_SESSION || w->c.kind == IOT_WIN_COUNT;
}

int64_t iot_win_first_end(int64_t t, int64_t hop, int64_t offset, bool start_edges)
{
    int64_t d = t - offset;
    int64_t k = start_edges ? iot_floordiv(d, hop) + 1 : -iot_floordiv(-d, hop);
    return offset + k * hop;
}

void iot_win_age(struct iot_win *w, struct kent *k, int64_t t)
{
    iot_oldest_add(&w->ages, &k->age, t);
}

struct iot_win *iot_win_new(const struct iot_win_cfg *cfg, const struct iot_aggset *set,
                            iot_win_emit_fn emit, void *ctx)
{
    struct iot_win *w = iot_xcalloc(1, sizeof *w);
    w->c = *cfg;
    if (w->c.kind == IOT_WIN_TUMBLING) w->c.hop = w->c.size;
    /* Every time the engine computes from an event time t lies within t ± margin (window ends
     * are at most size + hop away, session checkpoints two max durations, absence and the
     * watermark their durations); events outside [INT64_MIN + margin, INT64_MAX - margin] are
     * refused as bad time instead of wrapping around (an overflowing end never closes). */
    int64_t m = 0, parts[] = { w->c.kind == IOT_WIN_COUNT ? 0 : w->c.size, w->c.hop, w->c.lateness,
                               w->c.absent, w->c.offset < 0 ? -(w->c.offset + 1) : w->c.offset };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        for (int twice = 0; twice < 2; twice++)
            if (__builtin_add_overflow(m, parts[i] > 0 ? parts[i] : 0, &m)) m = INT64_MAX;
    w->thi = INT64_MAX - m;
    w->tlo = m == INT64_MAX ? INT64_MAX : INT64_MIN + m;
    w->set = set;
    w->asz = iot_agg_size(set);
    w->rsz = sizeof(struct rev) + (size_t)set->nfields * sizeof(struct iot_agg_in);
    w->emit = emit;
    w->ctx = ctx;
    w->keys = iot_keytab_new(sizeof(struct kent), cfg->max_keys);
    w->maxt = INT64_MIN;
    w->next_sweep = INT64_MAX;
    w->next_absent = INT64_MIN;
    w->ages.off = offsetof(struct kent, age);
    return w;
}

static int64_t wm_of(const struct iot_win *w)
{
    if (!w->has_max) return INT64_MIN;
    if (w->maxt == INT64_MAX) return INT64_MAX;
    return w->maxt - w->c.lateness;
}
int64_t iot_win_watermark(const struct iot_win *w) { return wm_of(w); }
size_t iot_win_keys(const struct iot_win *w) { return iot_keytab_count(w->keys); }
size_t iot_win_evicted(const struct iot_win *w) { return w->evicted; }

static struct iot_agg_state *new_state(struct iot_win *w)
{
    struct iot_agg_state *st = iot_xmalloc(w->asz);
    iot_agg_init(w->set, st);
    return st;
}

static void push_row(struct iot_win *w, enum iot_row_kind kind, struct kent *k, int64_t start,
                     int64_t end, struct iot_agg_state *st, struct win *win)
{
    if (w->np == w->cp) {
        w->cp = w->cp ? w->cp * 2 : 64;
        w->pend = iot_xrealloc(w->pend, w->cp * sizeof *w->pend);
    }
    w->pend[w->np++] = (struct prow){ kind, k, start, end, st, win };
}

static int cmp_row(const void *a, const void *b)
{
    const struct prow *x = a, *y = b;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    size_t xn, yn;
    const char *xk = iot_keytab_key(x->k, &xn), *yk = iot_keytab_key(y->k, &yn);
    int c = memcmp(xk, yk, xn < yn ? xn : yn);
    if (c) return c;
    if (xn != yn) return xn < yn ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

static void flush_rows(struct iot_win *w)
{
    if (w->np == 0) return;
    if (w->np > 1) qsort(w->pend, w->np, sizeof *w->pend, cmp_row);
    for (size_t i = 0; i < w->np; i++) {
        struct prow *p = &w->pend[i];
        struct iot_row r = { p->kind, NULL, 0, p->start, p->end, p->st };
        r.key = iot_keytab_key(p->k, &r.klen);
        w->emit(w->ctx, &r);
        if (p->w) { iot_agg_free(w->set, p->w->st); free(p->w); }
        else if (p->st) { iot_agg_free(w->set, p->st); free(p->st); }
    }
    w->np = 0;
}

/* ---- tumbling / hopping ---- */
static struct bucket *bucket_for(struct iot_win *w, int64_t end)
{
    size_t i = w->nb;
    while (i > 0 && w->bk[i - 1].end > end) i--;
    if (i > 0 && w->bk[i - 1].end == end) return &w->bk[i - 1];
    if (w->nb == w->cb) {
        w->cb = w->cb ? w->cb * 2 : 16;
        w->bk = iot_xrealloc(w->bk, w->cb * sizeof *w->bk);
    }
    memmove(&w->bk[i + 1], &w->bk[i], (w->nb - i) * sizeof *w->bk);
    w->nb++;
    w->bk[i] = (struct bucket){ end, NULL, 0, 0 };
    return &w->bk[i];
}

struct win *iot_win_open_window(struct iot_win *w, struct kent *k, int64_t end)
{
    struct win *x = iot_xmalloc(sizeof *x + w->asz);
    x->k = k;
    x->end = end;
    x->start = end - w->c.size;
    x->st = (struct iot_agg_state *)(x + 1);
    iot_agg_init(w->set, x->st);
    /* newest first: insert before the first window ending earlier */
    struct win **pp = &k->wins;
    while (*pp && (*pp)->end > end) pp = &(*pp)->next;
    x->next = *pp;
    *pp = x;
    struct bucket *b = bucket_for(w, end);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = iot_xrealloc(b->v, b->cap * sizeof *b->v);
    }
    x->bi = b->n;
    b->v[b->n++] = x;
    return x;
}

static void add_hopping(struct iot_win *w, struct kent *k, int64_t t, const struct iot_agg_in *in)
{
    bool se = w->c.start_edges;
    int64_t e = iot_win_first_end(t, w->c.hop, w->c.offset, se);
    for (; se ? e - w->c.size <= t : e - w->c.size < t; e += w->c.hop) {
        struct win *x = k->wins;
        while (x && x->end > e) x = x->next;
        if (!x || x->end != e) x = iot_win_open_window(w, k, e);
        iot_agg_add(w->set, x->st, in, t);
    }
}

static void close_buckets(struct iot_win *w, int64_t wm)
{
    size_t i = 0;
    while (i < w->nb && (w->c.start_edges ? wm >= w->bk[i].end : wm > w->bk[i].end)) {
        struct bucket *b = &w->bk[i];
        for (size_t j = 0; j < b->n; j++) {
            struct win *x = b->v[j], **pp = &x->k->wins;
            while (*pp != x) pp = &(*pp)->next;
            *pp = x->next;
            push_row(w, IOT_ROW_WINDOW, x->k, x->start, x->end, x->st, x);
        }
        free(b->v);
        i++;
    }
    if (i) {
        memmove(w->bk, w->bk + i, (w->nb - i) * sizeof *w->bk);
        w->nb -= i;
    }
}

/* ---- reorder heap ---- */
static bool rev_lt(const struct rev *a, const struct rev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}
int iot_win_rev_cmp(const void *a, const void *b)
{
    const struct rev *x = *(const struct rev *const *)a, *y = *(const struct rev *const *)b;
    return rev_lt(x, y) ? -1 : rev_lt(y, x) ? 1 : 0;
}
void iot_win_heap_push(struct iot_win *w, struct rev *r)
{
    if (w->nh == w->ch) {
        w->ch = w->ch ? w->ch * 2 : 256;
        w->heap = iot_xrealloc(w->heap, w->ch * sizeof *w->heap);
    }
    size_t i = w->nh++;
    while (i > 0 && rev_lt(r, w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = r;
}
/* Sifts r down from slot i (the slot's old content is gone). */
static void heap_down(struct iot_win *w, size_t i, struct rev *r)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->nh) break;
        if (c + 1 < w->nh && rev_lt(w->heap[c + 1], w->heap[c])) c++;
        if (!rev_lt(w->heap[c], r)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    w->heap[i] = r;
}
static struct rev *heap_pop(struct iot_win *w)
{
    struct rev *top = w->heap[0], *last = w->heap[--w->nh];
    if (w->nh) heap_down(w, 0, last);
    return top;
}

void iot_win_mark(struct iot_win *w, struct kent *k)
{
    if (!k->active) {
        k->active = true;
        if (w->nact == w->cact) {
            w->cact = w->cact ? w->cact * 2 : 64;
            w->act = iot_xrealloc(w->act, w->cact * sizeof *w->act);
        }
        w->act[w->nact++] = k;
    }
    if (!k->dirty) {
        k->dirty = true;
        if (w->ndirty == w->cdirty) {
            w->cdirty = w->cdirty ? w->cdirty * 2 : 64;
            w->dirty = iot_xrealloc(w->dirty, w->cdirty * sizeof *w->dirty);
        }
        w->dirty[w->ndirty++] = k;
    }
}

/* ---- session ---- */
static int64_t sess_cc(const struct iot_win *w, int64_t start)
{
    int64_t m = w->c.hop;
    if (m <= 0) return INT64_MAX;
    /* first checkpoint c (multiple of m) with c - start > m */
    return (iot_floordiv(start + m, m) + 1) * m;
}
static int64_t sess_end(const struct iot_win *w, const struct kent *k)
{
    int64_t cc = sess_cc(w, k->s_start), te = k->s_last + w->c.size;
    return cc < te ? cc : te;
}
static void sess_close(struct iot_win *w, struct kent *k, int64_t end)
{
    int64_t te = k->s_last + w->c.size;
    push_row(w, IOT_ROW_WINDOW, k, k->s_start, end, k->st, NULL);
    k->st = NULL;
    k->s_open = false;
    k->p_on = end < te;          /* cut at a checkpoint: events within the timeout continue */
    k->p_start = end;
    k->p_dead = te;
}
static void sess_event(struct iot_win *w, struct kent *k, int64_t t, const struct iot_agg_in *in)
{
    if (k->s_open) {
        int64_t end = sess_end(w, k);
        if (t > end) sess_close(w, k, end);
    }
    if (!k->s_open) {
        k->s_start = k->p_on && t <= k->p_dead ? k->p_start : t;
        k->p_on = false;
        k->s_open = true;
        k->s_last = t;
        k->st = new_state(w);
    }
    if (t > k->s_last) k->s_last = t;
    iot_agg_add(w->set, k->st, in, t);
    int64_t cc = sess_cc(w, k->s_start);
    if (cc <= k->s_last) sess_close(w, k, cc);
}

/* ---- sliding ---- */
void iot_win_ring_push(struct kent *k, struct rev *r)
{
    if (k->rn == k->rcap) {
        uint32_t nc = k->rcap ? k->rcap * 2 : 8;
        struct rev **n = iot_xmalloc(nc * sizeof *n);
        for (uint32_t i = 0; i < k->rn; i++) n[i] = k->ring[(k->rh + i) % k->rcap];
        free(k->ring);
        k->ring = n; k->rcap = nc; k->rh = 0;
    }
    k->ring[(k->rh + k->rn++) % k->rcap] = r;
}

static int64_t slide_next(const struct iot_win *w, const struct kent *k)
{
    int64_t best = INT64_MAX;
    for (uint32_t i = 0; i < k->rn; i++) {
        int64_t t = RING(k, i)->t;
        if (!k->has_done || t > k->done) { if (t < best) best = t; break; }
    }
    for (uint32_t i = 0; i < k->rn; i++) {
        int64_t x = RING(k, i)->t + w->c.size;
        if (!k->has_done || x > k->done) { if (x < best) best = x; break; }
    }
    return best;
}

static int64_t slide_process(struct iot_win *w, struct kent *k, int64_t limit)
{
    for (;;) {
        int64_t c = slide_next(w, k);
        if (c == INT64_MAX || c >= limit) return c;
        struct iot_agg_state *st = NULL;
        for (uint32_t i = 0; i < k->rn; i++) {
            struct rev *r = RING(k, i);
            if (r->t > c) break;
            if (r->t <= c - w->c.size) continue;
            if (!st) st = new_state(w);
            iot_agg_add(w->set, st, r->in, r->t);
        }
        if (st) push_row(w, IOT_ROW_WINDOW, k, c - w->c.size, c, st, NULL);
        k->done = c;
        k->has_done = true;
        while (k->rn && RING(k, 0)->t + w->c.size <= c) {
            free(RING(k, 0));
            k->rh = (k->rh + 1) % k->rcap;
            k->rn--;
        }
    }
}

/* Closes what ends before limit for one key; returns the next instant it may close something. */
static int64_t key_process(struct iot_win *w, struct kent *k, int64_t limit)
{
    int64_t next = INT64_MAX;
    switch (w->c.kind) {
    case IOT_WIN_SESSION:
        if (k->s_open) {
            int64_t end = sess_end(w, k);
            if (end < limit) sess_close(w, k, end);
            else next = end;
        }
        if (k->p_on && k->p_dead < limit) k->p_on = false;
        break;
    case IOT_WIN_SLIDING:
        next = slide_process(w, k, limit);
        break;
    default:
        break;
    }
    if (limit == INT64_MAX && w->c.kind == IOT_WIN_COUNT && k->c_n > 0) {
        push_row(w, IOT_ROW_WINDOW, k, k->c_first, k->c_last, k->st, NULL);
        k->st = NULL;
        k->c_n = 0;
    }
    k->active = k->s_open || k->p_on || k->rn > 0 || k->c_n > 0;
    return next;
}

static void release_event(struct iot_win *w, struct rev *r)
{
    struct kent *k = r->k;
    switch (w->c.kind) {
    case IOT_WIN_SESSION:
        sess_event(w, k, r->t, r->in);
        free(r);
        break;
    case IOT_WIN_COUNT:
        if (k->c_n == 0) { k->st = new_state(w); k->c_first = r->t; }
        k->c_last = r->t;
        iot_agg_add(w->set, k->st, r->in, r->t);
        if (++k->c_n == w->c.size) {
            push_row(w, IOT_ROW_WINDOW, k, k->c_first, k->c_last, k->st, NULL);
            k->st = NULL;
            k->c_n = 0;
        }
        free(r);
        break;
    default:
        iot_win_ring_push(k, r);
        break;
    }
    iot_win_mark(w, k);
}

static void absent_sweep(struct iot_win *w, int64_t wm)
{
    if (w->c.absent <= 0 || wm == INT64_MAX || wm <= w->next_absent) return;
    int64_t next = INT64_MAX;
    size_t pos = 0;
    struct kent *k;
    while ((k = iot_keytab_next(w->keys, &pos))) {
        if (!k->has_seen || k->absent) continue;
        int64_t due = k->seen + w->c.absent;
        if (due < wm) {
            k->absent = true;
            push_row(w, IOT_ROW_ABSENT, k, k->seen, due, NULL, NULL);
        } else if (due < next)
            next = due;
    }
    w->next_absent = next;
}

/* Everything that the watermark allows: release, close, sweep, emit. */
static void advance(struct iot_win *w)
{
    int64_t wm = wm_of(w);
    if (iot_win_ordered(w)) {
        while (w->nh && w->heap[0]->t < wm) release_event(w, heap_pop(w));
        for (size_t i = 0; i < w->ndirty; i++) {
            struct kent *k = w->dirty[i];
            k->dirty = false;
            int64_t n = key_process(w, k, wm);
            if (n < w->next_sweep) w->next_sweep = n;
        }
        w->ndirty = 0;
        if (wm > w->next_sweep || wm == INT64_MAX) {
            int64_t next = INT64_MAX;
            size_t j = 0;
            for (size_t i = 0; i < w->nact; i++) {
                struct kent *k = w->act[i];
                int64_t n = key_process(w, k, wm);
                if (n < next) next = n;
                if (k->active) w->act[j++] = k;
            }
            w->nact = j;
            w->next_sweep = next;
        }
    } else {
        close_buckets(w, wm);
    }
    absent_sweep(w, wm);
    flush_rows(w);
}

static void drop_from(struct kent **v, size_t *n, struct kent *k)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == k) { memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v); (*n)--; return; }
}

/* --evict oldest: close and emit everything of the key seen longest ago, then forget it. */
static void evict_oldest(struct iot_win *w)
{
    struct kent *k = iot_oldest_value(&w->ages);
    flush_rows(w);
    if (iot_win_ordered(w)) {
        size_t j = 0, n = 0;
        struct rev **mine = iot_xmalloc((w->nh + 1) * sizeof *mine);
        for (size_t i = 0; i < w->nh; i++) {
            if (w->heap[i]->k == k) mine[n++] = w->heap[i];
            else w->heap[j++] = w->heap[i];
        }
        w->nh = j;
        for (size_t i = w->nh / 2; i-- > 0;) heap_down(w, i, w->heap[i]);
        qsort(mine, n, sizeof *mine, iot_win_rev_cmp);
        for (size_t i = 0; i < n; i++) release_event(w, mine[i]);
        free(mine);
        key_process(w, k, INT64_MAX);
        drop_from(w->act, &w->nact, k);
        drop_from(w->dirty, &w->ndirty, k);
    } else {
        for (struct win *x = k->wins; x; x = x->next) {
            struct bucket *b = bucket_for(w, x->end);
            b->v[x->bi] = b->v[--b->n];
            b->v[x->bi]->bi = x->bi;
            push_row(w, IOT_ROW_WINDOW, k, x->start, x->end, x->st, x);
        }
        k->wins = NULL;
    }
    flush_rows(w);
    free(k->ring);
    iot_oldest_forget(&w->ages, w->keys, k);
    w->evicted++;
}

int iot_win_add(struct iot_win *w, const char *key, size_t klen, int64_t t,
                const struct iot_agg_in *in)
{
    int rc = IOT_WIN_OK;
    if (t < w->tlo || t > w->thi) return IOT_WIN_BADTIME;
    int64_t wm = wm_of(w);
    if (t < wm) {
        if (w->c.late == IOT_LATE_DROP) return IOT_WIN_DROPPED;
        if (w->c.late == IOT_LATE_DEADLETTER) return IOT_WIN_LATE;
        t = wm;
        rc = IOT_WIN_ADJUSTED;
    }
    int created;
    struct kent *k = iot_keytab_get(w->keys, key, klen, &created);
    if (!k && w->c.evict && w->ages.n) {
        evict_oldest(w);
        k = iot_keytab_get(w->keys, key, klen, &created);
    }
    if (!k) return IOT_WIN_FULL;
    if (w->c.evict) {
        if (created) iot_oldest_add(&w->ages, &k->age, t);
        else if (t > k->age.t) iot_oldest_set(&w->ages, &k->age, t);
    }
    if (w->c.absent > 0) {
        if (k->absent) {
            push_row(w, IOT_ROW_PRESENT, k, k->seen, t, NULL, NULL);
            k->absent = false;
        }
        if (!k->has_seen || t > k->seen) { k->seen = t; k->has_seen = true; }
        if (k->seen + w->c.absent < w->next_absent) w->next_absent = k->seen + w->c.absent;
    }
    bool moved = !w->has_max || t > w->maxt;
    if (moved) { w->maxt = t; w->has_max = true; }
    if (iot_win_ordered(w)) {
        struct rev *r = iot_xmalloc(w->rsz);
        r->t = t;
        r->seq = w->seq++;
        r->k = k;
        memcpy(r->in, in, (size_t)w->set->nfields * sizeof *in);
        iot_win_heap_push(w, r);
    } else {
        add_hopping(w, k, t, in);
    }
    if (moved || w->np) advance(w);
    return rc;
}

void iot_win_idle(struct iot_win *w, int64_t quiet)
{
    if (!w->has_max || quiet <= 0) return;
    w->maxt = w->maxt > INT64_MAX - quiet ? INT64_MAX - 1 : w->maxt + quiet;
    advance(w);
}

void iot_win_finish(struct iot_win *w)
{
    if (!w->has_max && w->nb == 0 && w->nh == 0) return;
    int64_t keep = w->maxt;
    int64_t absent = w->c.absent;
    w->c.absent = 0;               /* the end of input is not silence */
    w->maxt = INT64_MAX;
    w->has_max = true;
    advance(w);
    w->maxt = keep;
    w->c.absent = absent;
}

void iot_win_free(struct iot_win *w)
{
    if (!w) return;
    size_t pos = 0;
    struct kent *k;
    while ((k = iot_keytab_next(w->keys, &pos))) {
        for (struct win *x = k->wins; x; x = x->next) iot_agg_free(w->set, x->st);
        if (k->st) { iot_agg_free(w->set, k->st); free(k->st); k->st = NULL; }
        for (uint32_t i = 0; i < k->rn; i++) free(RING(k, i));
        k->rn = 0;
        while (k->wins) { struct win *x = k->wins; k->wins = x->next; free(x); }
        free(k->ring);
        k->ring = NULL;
    }
    iot_keytab_free(w->keys, NULL);
    for (size_t i = 0; i < w->nb; i++) free(w->bk[i].v);
    for (size_t i = 0; i < w->nh; i++) free(w->heap[i]);
    free(w->bk); free(w->heap); free(w->act); free(w->dirty); free(w->pend);
    iot_oldest_free(&w->ages);
    free(w);
}

