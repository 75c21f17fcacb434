/* winstate: checkpoints of the window engine (window.h): everything open as a JSON body, and
 * its state file (lib/core/state.h). */
#include "window_impl.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/keytab.h"
#include "core/state.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checkpoints ---- */
static const char *kind_name(enum iot_win_kind k)
{
    static const char *n[] = { "tumbling", "hopping", "sliding", "session", "count" };
    return n[k];
}

static json_t *in_json(const struct iot_win *w, const struct iot_agg_in *in)
{
    json_t *a = json_array();
    for (int i = 0; i < w->set->nfields; i++) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016" PRIx64, in[i].h);
        json_array_append_new(a, json_pack("[ifs]", in[i].kind, in[i].v, hex));
    }
    return a;
}
static int in_load(const struct iot_win *w, const json_t *a, struct iot_agg_in *in)
{
    if (!json_is_array(a) || (int)json_array_size(a) != w->set->nfields) return -1;
    for (int i = 0; i < w->set->nfields; i++) {
        int kind; double v; const char *hex;
        if (json_unpack(json_array_get(a, i), "[ifs]", &kind, &v, &hex) || kind < 0 || kind > 2)
            return -1;
        in[i].kind = (uint8_t)kind;
        in[i].v = v;
        in[i].h = strtoull(hex, NULL, 16);
    }
    return 0;
}
static json_t *agg_or_null(const struct iot_win *w, const struct iot_agg_state *st)
{
    return st ? iot_agg_to_json(w->set, st) : json_null();
}

json_t *iot_win_save(const struct iot_win *w)
{
    json_t *b = json_object(), *keys = json_array(), *heap = json_array();
    json_object_set_new(b, "kind", json_string(kind_name(w->c.kind)));
    json_object_set_new(b, "size", json_integer(w->c.size));
    json_object_set_new(b, "hop", json_integer(w->c.hop));
    json_object_set_new(b, "offset", json_integer(w->c.offset));
    json_object_set_new(b, "edges", json_string(w->c.start_edges ? "start" : "end"));
    json_object_set_new(b, "aggregates", json_string(w->set->spec));
    json_object_set_new(b, "maxt", w->has_max ? json_integer(w->maxt) : json_null());
    json_object_set_new(b, "seq", json_integer((json_int_t)w->seq));
    size_t pos = 0;
    struct kent *k;
    while ((k = iot_keytab_next(w->keys, &pos))) {
        size_t kl;
        const char *kb = iot_keytab_key(k, &kl);
        json_t *o = json_object();
        json_object_set_new(o, "k", json_stringn(kb, kl));
        if (k->has_seen) json_object_set_new(o, "seen", json_integer(k->seen));
        if (k->absent) json_object_set_new(o, "absent", json_true());
        if (w->c.evict) json_object_set_new(o, "last", json_integer(k->age.t));
        if (k->wins) {
            json_t *a = json_array();
            for (const struct win *x = k->wins; x; x = x->next)
                json_array_append_new(a, json_pack("[IIo]", (json_int_t)x->start, (json_int_t)x->end,
                                                   iot_agg_to_json(w->set, x->st)));
            json_object_set_new(o, "windows", a);
        }
        if (k->s_open || k->p_on)
            json_object_set_new(o, "session", json_pack("{sbsIsIsbsIsIso}", "open", k->s_open,
                "start", (json_int_t)k->s_start, "last", (json_int_t)k->s_last, "cont", k->p_on,
                "cont_start", (json_int_t)k->p_start, "cont_until", (json_int_t)k->p_dead,
                "agg", agg_or_null(w, k->s_open ? k->st : NULL)));
        if (k->c_n > 0)
            json_object_set_new(o, "count", json_pack("{sIsIsIso}", "n", (json_int_t)k->c_n,
                "first", (json_int_t)k->c_first, "last", (json_int_t)k->c_last, "agg", agg_or_null(w, k->st)));
        if (k->rn > 0 || k->has_done) {
            json_t *a = json_array();
            for (uint32_t i = 0; i < k->rn; i++) {
                struct rev *r = RING(k, i);
                json_array_append_new(a, json_pack("[IIo]", (json_int_t)r->t, (json_int_t)r->seq, in_json(w, r->in)));
            }
            json_object_set_new(o, "events", a);
            if (k->has_done) json_object_set_new(o, "done", json_integer(k->done));
        }
        json_array_append_new(keys, o);
    }
    /* the heap in (t, seq) order, so that the file does not depend on heap layout */
    struct rev **h = iot_xmalloc((w->nh + 1) * sizeof *h);
    if (w->nh) memcpy(h, w->heap, w->nh * sizeof *h);
    qsort(h, w->nh, sizeof *h, iot_win_rev_cmp);
    for (size_t i = 0; i < w->nh; i++) {
        size_t kl;
        const char *kb = iot_keytab_key(h[i]->k, &kl);
        json_array_append_new(heap, json_pack("[IIs%o]", (json_int_t)h[i]->t, (json_int_t)h[i]->seq,
                                              kb, kl, in_json(w, h[i]->in)));
    }
    free(h);
    json_object_set_new(b, "keys", keys);
    json_object_set_new(b, "buffered", heap);
    return b;
}

static int load_agg(struct iot_win *w, const json_t *j, struct iot_agg_state **out)
{
    *out = NULL;
    if (json_is_null(j)) return 0;
    struct iot_agg_state *st = iot_xmalloc(w->asz);
    if (iot_agg_from_json(w->set, st, j)) { free(st); return -1; }
    *out = st;
    return 0;
}

int iot_win_load(struct iot_win *w, const json_t *b, char *err, size_t errcap)
{
    const char *kind = json_string_value(json_object_get(b, "kind"));
    const char *edges = json_string_value(json_object_get(b, "edges"));
    const char *aggs = json_string_value(json_object_get(b, "aggregates"));
    if (!kind || !edges || !aggs || strcmp(kind, kind_name(w->c.kind)) ||
        json_integer_value(json_object_get(b, "size")) != w->c.size ||
        json_integer_value(json_object_get(b, "hop")) != w->c.hop ||
        json_integer_value(json_object_get(b, "offset")) != w->c.offset ||
        strcmp(edges, w->c.start_edges ? "start" : "end") || strcmp(aggs, w->set->spec)) {
        snprintf(err, errcap, "it was written with other window options or aggregates (%s, -a '%s')",
                 kind ? kind : "?", aggs ? aggs : "?");
        return -1;
    }
    const json_t *mt = json_object_get(b, "maxt"), *keys = json_object_get(b, "keys"),
                 *heap = json_object_get(b, "buffered");
    if (!json_is_array(keys) || !json_is_array(heap) || !json_is_integer(json_object_get(b, "seq")))
        goto bad;
    w->has_max = json_is_integer(mt);
    w->maxt = w->has_max ? json_integer_value(mt) : INT64_MIN;
    w->seq = (uint64_t)json_integer_value(json_object_get(b, "seq"));
    size_t i;
    json_t *o;
    json_array_foreach(keys, i, o) {
        const json_t *kj = json_object_get(o, "k");
        if (!json_is_string(kj)) goto bad;
        int created;
        struct kent *k = iot_keytab_get(w->keys, json_string_value(kj), json_string_length(kj), &created);
        if (!k || !created) goto bad;
        json_t *x;
        if ((x = json_object_get(o, "seen"))) {
            if (!json_is_integer(x)) goto bad;
            k->seen = json_integer_value(x);
            k->has_seen = true;
        }
        k->absent = json_is_true(json_object_get(o, "absent"));
        if (w->c.evict) {
            const json_t *l = json_object_get(o, "last");
            iot_win_age(w, k, json_is_integer(l) ? json_integer_value(l) : INT64_MIN);
        }
        if ((x = json_object_get(o, "windows"))) {
            size_t n = json_array_size(x);
            for (size_t m = n; m-- > 0;) {       /* oldest first, so open_win keeps order */
                json_int_t s, e;
                json_t *aj;
                if (json_unpack(json_array_get(x, m), "[IIo]", &s, &e, &aj)) goto bad;
                struct win *win = iot_win_open_window(w, k, e);
                win->start = s;
                if (iot_agg_from_json(w->set, win->st, aj)) goto bad;
            }
        }
        if ((x = json_object_get(o, "session"))) {
            int open, cont;
            json_int_t s, l, ps, pd;
            json_t *aj;
            if (json_unpack(x, "{sbsIsIsbsIsIso}", "open", &open, "start", &s, "last", &l, "cont", &cont,
                            "cont_start", &ps, "cont_until", &pd, "agg", &aj))
                goto bad;
            k->s_open = open; k->s_start = s; k->s_last = l; k->p_on = cont; k->p_start = ps; k->p_dead = pd;
            if (load_agg(w, aj, &k->st) || (open && !k->st)) goto bad;
        }
        if ((x = json_object_get(o, "count"))) {
            json_int_t n, f, l;
            json_t *aj;
            if (json_unpack(x, "{sIsIsIso}", "n", &n, "first", &f, "last", &l, "agg", &aj)) goto bad;
            k->c_n = n; k->c_first = f; k->c_last = l;
            if (load_agg(w, aj, &k->st) || !k->st) goto bad;
        }
        if ((x = json_object_get(o, "events"))) {
            size_t m;
            json_t *ej;
            json_array_foreach(x, m, ej) {
                json_int_t t, sq;
                json_t *ij;
                if (json_unpack(ej, "[IIo]", &t, &sq, &ij)) goto bad;
                struct rev *r = iot_xmalloc(w->rsz);
                r->t = t; r->seq = (uint64_t)sq; r->k = k;
                if (in_load(w, ij, r->in)) { free(r); goto bad; }
                iot_win_ring_push(k, r);
            }
            const json_t *d = json_object_get(o, "done");
            if (d) { k->done = json_integer_value(d); k->has_done = true; }
        }
        if (iot_win_ordered(w) && (k->s_open || k->p_on || k->rn || k->c_n)) {
            iot_win_mark(w, k);
            k->dirty = false;
        }
    }
    w->ndirty = 0;
    json_array_foreach(heap, i, o) {
        json_int_t t, sq;
        const char *kb;
        size_t kl;
        json_t *ij;
        if (json_unpack(o, "[IIs%o]", &t, &sq, &kb, &kl, &ij)) goto bad;
        struct kent *k = iot_keytab_find(w->keys, kb, kl);
        if (!k) goto bad;
        struct rev *r = iot_xmalloc(w->rsz);
        r->t = t; r->seq = (uint64_t)sq; r->k = k;
        if (in_load(w, ij, r->in)) { free(r); goto bad; }
        iot_win_heap_push(w, r);
    }
    w->next_sweep = INT64_MIN;      /* recomputed on the next step */
    w->next_absent = INT64_MIN;
    return 0;
bad:
    snprintf(err, errcap, "its content is damaged");
    return -1;
}

/* 2: sealed with a CRC-32C, committed with the output (core/state.h) */
#define WIN_STATE_VERSION 2

void iot_win_restore(struct iot_win *w, const char *path, const struct iot_commit *c)
{
    json_t *body = iot_state_begin(path, "iot-window", WIN_STATE_VERSION, c);
    char err[256];
    if (body && iot_win_load(w, body, err, sizeof err))
        iot_die(IOT_EX_DATAERR, "%s: refusing the state file: %s", path, err);
    json_decref(body);
}

void iot_win_checkpoint(const struct iot_win *w, const char *path, const struct iot_commit *c)
{
    iot_state_commit(path, "iot-window", WIN_STATE_VERSION, iot_win_save(w), c);
}
