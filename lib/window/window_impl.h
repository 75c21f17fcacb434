/* window_impl: the window engine's insides, shared by window.c (the engine) and winstate.c
 * (its checkpoints). Not a public contract: nothing else includes it. */
#ifndef IOT_WINDOW_IMPL_H
#define IOT_WINDOW_IMPL_H
#include "oldest.h"
#include "window.h"

struct rev { int64_t t; uint64_t seq; struct kent *k; struct iot_agg_in in[]; };

struct win { struct win *next; struct kent *k; int64_t start, end; struct iot_agg_state *st;
             size_t bi; /* index in its end bucket */ };

struct kent {
    struct win *wins;                 /* tumbling/hopping: open windows, newest first */
    int64_t seen; bool has_seen, absent;
    bool active, dirty;
    struct iot_agg_state *st;         /* session / count: the open group */
    bool s_open, p_on;                /* session open; continuation after a max-duration cut */
    int64_t s_start, s_last, p_start, p_dead;
    int64_t c_n, c_first, c_last;     /* count */
    struct rev **ring; uint32_t rh, rn, rcap;   /* sliding: released events, time order */
    int64_t done; bool has_done;      /* sliding: last candidate instant evaluated */
    struct iot_oldest_ent age;        /* evict: last event time */
};

struct bucket { int64_t end; struct win **v; size_t n, cap; };
struct prow { enum iot_row_kind kind; struct kent *k; int64_t start, end;
              struct iot_agg_state *st; struct win *w; };

struct iot_win {
    struct iot_win_cfg c;
    const struct iot_aggset *set;
    size_t asz, rsz;
    iot_win_emit_fn emit; void *ctx;
    struct iot_keytab *keys;
    int64_t maxt; bool has_max;
    int64_t tlo, thi;                 /* event times whose window arithmetic cannot overflow */
    uint64_t seq;
    struct bucket *bk; size_t nb, cb;
    struct rev **heap; size_t nh, ch;
    struct kent **act; size_t nact, cact;
    struct kent **dirty; size_t ndirty, cdirty;
    int64_t next_sweep, next_absent;
    struct prow *pend; size_t np, cp;
    struct iot_oldest ages;           /* evict: keys by last event time */
    size_t evicted;
};

#define RING(k, i) ((k)->ring[((k)->rh + (i)) % (k)->rcap])

/* Sliding, session and count windows take events in time order, through the reorder heap. */
bool iot_win_ordered(const struct iot_win *w);
/* A new tumbling/hopping window of k ending at end, linked into k's list and its end bucket. */
struct win *iot_win_open_window(struct iot_win *w, struct kent *k, int64_t end);
/* Order of buffered events: (t, arrival sequence); a qsort comparator over struct rev *. */
int iot_win_rev_cmp(const void *a, const void *b);
void iot_win_heap_push(struct iot_win *w, struct rev *r);
/* k has something open (active list) and something new to look at (dirty list). */
void iot_win_mark(struct iot_win *w, struct kent *k);
/* Adds k to the eviction order with last event time t (evict only). */
void iot_win_age(struct iot_win *w, struct kent *k, int64_t t);
/* Appends a released event to k's sliding ring (time order). */
void iot_win_ring_push(struct kent *k, struct rev *r);
#endif
