/* winmerge: combining partial window rows. See winmerge.h. */
#include "winmerge.h"
#include "core/keytab.h"
#include "core/time.h"
#include <stdlib.h>
#include <string.h>

/* A group's keytab key is the row key followed by start and end (8 bytes each). */
struct group { int64_t start, end; struct iot_agg_state *st; };

struct iot_winmerge {
    struct iot_aggrec *r;
    struct iot_keytab *groups;
    struct iot_agg_state *tmp;
    struct iot_buf kb;
    int si, ei, ai, pi;
};

struct iot_winmerge *iot_winmerge_new(struct iot_aggrec *r, size_t max_groups)
{
    struct iot_winmerge *m = iot_xcalloc(1, sizeof *m);
    m->r = r;
    m->si = iot_aggrec_field(r, "windowStart");
    m->ei = iot_aggrec_field(r, "windowEnd");
    m->ai = iot_aggrec_field(r, "_aggregates");
    m->pi = iot_aggrec_field(r, "_partial");
    m->groups = iot_keytab_new(sizeof(struct group), max_groups);
    m->tmp = iot_xmalloc(iot_agg_size(&r->set));
    iot_agg_init(&r->set, m->tmp);
    return m;
}

int iot_winmerge_add(struct iot_winmerge *m, const char *line, size_t len, const struct iot_src *src)
{
    struct iot_aggrec *r = m->r;
    const struct iot_aggset *set = &r->set;
    const char *err, *why;
    if (iot_aggrec_scan_key(r, line, len, &err)) {
        iot_reject(src, line, len, "bad json", "%s", err);
        return 0;
    }
    int64_t s, e;
    if (iot_val_time(&r->vals[m->si], IOT_TU_AUTO, &s, &why) || iot_val_time(&r->vals[m->ei], IOT_TU_AUTO, &e, &why)) {
        iot_reject(src, line, len, "bad partial", "windowStart/windowEnd missing or not a time");
        return 0;
    }
    if (!iot_val_streq(&r->vals[m->ai], set->spec, strlen(set->spec))) {
        iot_reject(src, line, len, "bad partial", "_aggregates differs from -a '%s'", set->spec);
        return 0;
    }
    const struct iot_val *pv = &r->vals[m->pi];
    json_t *j = pv->type == IOT_J_OBJ ? json_loadb(pv->p, pv->n, 0, NULL) : NULL;
    int bad = !j || iot_agg_from_json(set, m->tmp, j);
    json_decref(j);
    if (bad) {
        iot_reject(src, line, len, "bad partial", "_partial is not a partial aggregate state");
        return 0;
    }
    iot_buf_reset(&m->kb);
    iot_buf_add(&m->kb, r->key, r->klen);
    iot_buf_add(&m->kb, &s, 8);
    iot_buf_add(&m->kb, &e, 8);
    int created;
    struct group *g = iot_keytab_get(m->groups, m->kb.p, m->kb.len, &created);
    if (!g) { iot_agg_free(set, m->tmp); return -1; }
    if (created) {
        g->start = s;
        g->end = e;
        g->st = iot_xmalloc(iot_agg_size(set));
        iot_agg_init(set, g->st);
    }
    iot_agg_merge(set, g->st, m->tmp);
    iot_agg_free(set, m->tmp);
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    size_t xn, yn;
    const char *xk = iot_keytab_key(x, &xn), *yk = iot_keytab_key(y, &yn);
    xn -= 16; yn -= 16;
    int c = memcmp(xk, yk, xn < yn ? xn : yn);
    if (c) return c;
    if (xn != yn) return xn < yn ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static void group_free(void *v) { free(((struct group *)v)->st); }

void iot_winmerge_finish(struct iot_winmerge *m, iot_win_emit_fn emit, void *ctx)
{
    const struct iot_aggset *set = &m->r->set;
    size_t n = 0, pos = 0;
    struct group **all = iot_xmalloc((iot_keytab_count(m->groups) + 1) * sizeof *all), *g;
    while ((g = iot_keytab_next(m->groups, &pos))) all[n++] = g;
    qsort(all, n, sizeof *all, cmp_group);
    for (size_t i = 0; i < n; i++) {
        g = all[i];
        struct iot_row row = { IOT_ROW_WINDOW, NULL, 0, g->start, g->end, g->st };
        row.key = iot_keytab_key(g, &row.klen);
        row.klen -= 16;
        emit(ctx, &row);
        iot_agg_free(set, g->st);
    }
    free(all);
    iot_keytab_free(m->groups, group_free);
    m->groups = iot_keytab_new(sizeof(struct group), 0);
}

void iot_winmerge_free(struct iot_winmerge *m)
{
    if (!m) return;
    const struct iot_aggset *set = &m->r->set;
    size_t pos = 0;
    struct group *g;
    while ((g = iot_keytab_next(m->groups, &pos))) iot_agg_free(set, g->st);
    iot_keytab_free(m->groups, group_free);
    iot_agg_free(set, m->tmp);
    free(m->tmp);
    iot_buf_free(&m->kb);
    free(m);
}
