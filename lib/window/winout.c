/* winout: iot-window's output records. See winout.h. */
#include "winout.h"
#include "core/expr.h"
#include "core/time.h"
#include <stdlib.h>
#include <string.h>

struct iot_winout {
    struct iot_out *o;
    struct iot_aggrec *r;
    bool partial;
    struct iot_buf b;
    struct iot_expr *having;
    struct iot_fields *hf;
    struct iot_val *hv;
    int *oidx;                       /* rolling: the aggregate names in r's fields */
    const struct iot_val **drop;
    struct iot_buf *member;          /* rolling: ',"name":' per aggregate, escaped once */
};

struct iot_winout *iot_winout_new(struct iot_out *o, struct iot_aggrec *r, bool partial,
                                  const char *having, bool rolling, char *err, size_t errcap)
{
    struct iot_winout *w = iot_xcalloc(1, sizeof *w);
    w->o = o;
    w->r = r;
    w->partial = partial;
    if (having) {
        w->hf = iot_fields_new();
        w->having = iot_expr_compile(having, w->hf, err, errcap);
        if (!w->having) { iot_winout_free(w); return NULL; }
        w->hv = iot_xcalloc((size_t)iot_fields_count(w->hf) + 1, sizeof *w->hv);
    }
    if (rolling) {
        int n = r->set.nitems;
        w->oidx = iot_xcalloc((size_t)n + 1, sizeof *w->oidx);
        w->drop = iot_xcalloc((size_t)n + 1, sizeof *w->drop);
        w->member = iot_xcalloc((size_t)n + 1, sizeof *w->member);
        for (int i = 0; i < n; i++) {
            const char *name = r->set.items[i].name;
            w->oidx[i] = iot_aggrec_field(r, name);
            iot_buf_addc(&w->member[i], ',');
            iot_buf_json_str(&w->member[i], name, strlen(name));
            iot_buf_addc(&w->member[i], ':');
        }
    }
    return w;
}

void iot_winout_free(struct iot_winout *w)
{
    if (!w) return;
    iot_expr_free(w->having);
    iot_fields_free(w->hf);
    for (int i = 0; w->member && i < w->r->set.nitems; i++) iot_buf_free(&w->member[i]);
    free(w->hv); free(w->oidx); free(w->drop); free(w->member);
    iot_buf_free(&w->b);
    free(w);
}

static void put_name(struct iot_buf *b, const char *name)
{
    iot_buf_json_str(b, name, strlen(name));
    iot_buf_addc(b, ':');
}

static void put_time(struct iot_buf *b, int64_t ns)
{
    char t[48];
    size_t n = iot_time_fmt(ns, t);
    iot_buf_addc(b, '"');
    iot_buf_add(b, t, n);
    iot_buf_addc(b, '"');
}


static void put_value(struct iot_buf *b, const struct iot_aggset *s, struct iot_agg_state *st, int i)
{
    double v;
    if (iot_agg_value(s, st, i, &v)) iot_buf_adds(b, "null");
    else if (iot_agg_is_count(s, i)) {
        char t[24];
        iot_buf_add(b, t, iot_fmt_u64(t, (uint64_t)v));
    } else iot_buf_json_num(b, v);
}

static void put_aggs(struct iot_winout *w, struct iot_agg_state *st)
{
    const struct iot_aggset *s = &w->r->set;
    struct iot_buf *b = &w->b;
    if (w->partial) {
        put_name(b, "_aggregates");
        iot_buf_json_str(b, s->spec, strlen(s->spec));
        iot_buf_addc(b, ',');
        put_name(b, "_partial");
        json_t *j = iot_agg_to_json(s, st);
        char *txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
        iot_buf_adds(b, txt);
        free(txt);
        json_decref(j);
        return;
    }
    for (int i = 0; i < s->nitems; i++) {
        if (i) iot_buf_addc(b, ',');
        put_name(b, s->items[i].name);
        put_value(b, s, st, i);
    }
}

static void finish(struct iot_winout *w, bool filter)
{
    iot_buf_addc(&w->b, '}');
    if (filter && w->having) {
        const char *err;
        if (iot_rec_scan(w->hf, w->b.p, w->b.len, w->hv, &err) || !iot_expr_match(w->having, w->hv))
            return;
    }
    iot_out_write(w->o, w->b.p, w->b.len);
    iot_out_eol(w->o);
}

void iot_winout_row(void *ctx, const struct iot_row *r)
{
    struct iot_winout *w = ctx;
    struct iot_buf *b = &w->b;
    iot_buf_reset(b);
    iot_buf_addc(b, '{');
    iot_aggrec_put_keys(w->r, b, r->key, r->klen);
    if (r->kind != IOT_ROW_WINDOW) {
        iot_buf_adds(b, r->kind == IOT_ROW_ABSENT ? "\"event\":\"absent\",\"lastSeen\":" : "\"event\":\"present\",\"lastSeen\":");
        put_time(b, r->start);
        iot_buf_adds(b, ",\"timestamp\":");
        put_time(b, r->end);
        iot_stat_add(r->kind == IOT_ROW_ABSENT ? "absent" : "present", 1);
        finish(w, false);
        return;
    }
    iot_buf_adds(b, "\"windowStart\":");
    put_time(b, r->start);
    iot_buf_adds(b, ",\"windowEnd\":");
    put_time(b, r->end);
    iot_buf_addc(b, ',');
    put_aggs(w, r->st);
    finish(w, !w->partial);
}

void iot_winout_series(void *ctx, const struct iot_series_row *r)
{
    struct iot_winout *w = ctx;
    const struct iot_aggset *s = &w->r->set;
    struct iot_buf *b = &w->b;
    iot_buf_reset(b);
    iot_buf_addc(b, '{');
    iot_aggrec_put_keys(w->r, b, r->key, r->klen);
    iot_buf_adds(b, "\"timestamp\":[");
    for (size_t j = 0; j < r->n; j++) {
        if (j) iot_buf_addc(b, ',');
        put_time(b, r->first + (int64_t)j * r->step);
    }
    iot_buf_addc(b, ']');
    for (int i = 0; i < s->nitems; i++) {
        iot_buf_addc(b, ',');
        put_name(b, s->items[i].name);
        iot_buf_addc(b, '[');
        for (size_t j = 0; j < r->n; j++) {
            if (j) iot_buf_addc(b, ',');
            if (r->miss[i][j]) iot_buf_adds(b, "null");
            else if (iot_agg_is_count(s, i)) {
                char t[24];
                iot_buf_add(b, t, iot_fmt_u64(t, (uint64_t)r->val[i][j]));
            } else iot_buf_json_num(b, r->val[i][j]);
        }
        iot_buf_addc(b, ']');
    }
    finish(w, false);
}

void iot_winout_annotate(struct iot_winout *w, const char *line, size_t len, struct iot_agg_state *st)
{
    const struct iot_aggset *s = &w->r->set;
    int nd = 0;
    for (int i = 0; i < s->nitems; i++)
        if (w->r->vals[w->oidx[i]].type != IOT_J_ABSENT) w->drop[nd++] = &w->r->vals[w->oidx[i]];
    int n = iot_rec_open_edit(w->o, line, len, w->drop, nd);
    for (int i = 0; i < s->nitems; i++) {
        double v;
        iot_out_write(w->o, w->member[i].p + (n == 0), w->member[i].len - (n == 0));
        n++;
        if (iot_agg_value(s, st, i, &v)) iot_out_puts(w->o, "null");
        else if (iot_agg_is_count(s, i)) iot_out_json_int(w->o, (int64_t)v);
        else iot_out_json_num(w->o, v);     /* shortest round trip, via lib/dtoa */
    }
    iot_rec_close(w->o);
}
