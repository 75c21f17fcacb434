/* aggrec: records into aggregate inputs. See aggrec.h. */
#include "aggrec.h"
#include "core/cli.h"
#include "core/expr.h"
#include "core/key.h"
#include "core/keytab.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reserved[] = { "windowStart", "windowEnd", "timestamp", "event", "lastSeen",
                                        "_partial", "_aggregates" };

int iot_aggrec_open(struct iot_aggrec *r, const struct iot_aggrec_cfg *cfg, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    if (iot_aggset_parse(cfg->spec ? cfg->spec : "count()", &r->set, err, errcap)) return -1;
    r->f = iot_fields_new();
    r->time_unit = cfg->time_unit;
    r->skip_bad = cfg->skip_bad;
    r->key_names = iot_key_names(cfg->key, &r->nkey);
    r->key_idx = iot_xcalloc((size_t)r->nkey + 1, sizeof *r->key_idx);
    for (int i = 0; i < r->nkey; i++) r->key_idx[i] = iot_fields_add(r->f, r->key_names[i]);
    r->time_idx = iot_fields_add(r->f, cfg->time_field ? cfg->time_field : "timestamp");
    int nf = r->set.nfields;
    r->agg_idx = iot_xcalloc((size_t)nf + 1, sizeof *r->agg_idx);
    r->cond = iot_xcalloc((size_t)nf + 1, sizeof *r->cond);
    r->xpr = iot_xcalloc((size_t)nf + 1, sizeof *r->xpr);
    r->ustat = iot_xcalloc((size_t)nf + 1, sizeof *r->ustat);
    r->in = iot_xcalloc((size_t)nf + 1, sizeof *r->in);
    for (int i = 0; i < nf; i++) {
        char e[200];
        if (iot_aggset_expr(&r->set, i)) {
            r->agg_idx[i] = -1;
            r->xpr[i] = iot_expr_compile(r->set.fields[i], r->f, e, sizeof e);
            const char *te = r->xpr[i] ? iot_expr_type_error(r->xpr[i]) : NULL;
            if (!r->xpr[i] || te) {
                snprintf(err, errcap, "(%s): %s", r->set.fields[i], te ? te : e);
                return -1;
            }
            struct iot_buf st = { 0 };
            iot_buf_addf(&st, "undefined_%s", r->set.fields[i]);
            r->ustat[i] = st.p;    /* kept for --stats until exit */
            continue;
        }
        if (!iot_aggset_cond(&r->set, i)) {
            r->agg_idx[i] = iot_fields_add(r->f, r->set.fields[i]);
            continue;
        }
        r->agg_idx[i] = -1;
        r->cond[i] = iot_expr_compile(r->set.fields[i], r->f, e, sizeof e);
        if (!r->cond[i]) {
            snprintf(err, errcap, "countif(%s): %s", r->set.fields[i], e);
            return -1;
        }
    }
    for (int i = 0; i < r->set.nitems; i++) {
        const char *n = r->set.items[i].name;
        for (size_t j = 0; j < sizeof reserved / sizeof *reserved; j++)
            if (strcmp(n, reserved[j]) == 0) {
                snprintf(err, errcap, "'%s' is an output field of its own; choose another name with 'as'", n);
                return -1;
            }
        for (int j = 0; j < r->nkey; j++)
            if (strcmp(n, r->key_names[j]) == 0) {
                snprintf(err, errcap, "'%s' is a key field; choose another name with 'as'", n);
                return -1;
            }
    }
    r->vals = iot_xcalloc((size_t)iot_fields_count(r->f) + 1, sizeof *r->vals);
    iot_buf_add(&r->kb, "", 0);         /* a valid pointer for --key none */
    return 0;
}

int iot_aggrec_field(struct iot_aggrec *r, const char *path)
{
    int i = iot_fields_add(r->f, path);
    r->vals = iot_xrealloc(r->vals, ((size_t)iot_fields_count(r->f) + 1) * sizeof *r->vals);
    return i;
}

/* Key bytes: parts joined by 0x1f; a non-string part is its JSON text behind 0x1e. A JSON string
 * without escapes cannot hold either byte, so one such key is the line's own bytes. */
static void make_key(struct iot_aggrec *r)
{
    iot_key_view(&r->kb, r->vals, r->key_idx, r->nkey, &r->key, &r->klen);
}

int iot_aggrec_scan_key(struct iot_aggrec *r, const char *line, size_t len, const char **err)
{
    if (iot_rec_scan(r->f, line, len, r->vals, err)) return -1;
    make_key(r);
    return 0;
}


int iot_aggrec_read(struct iot_aggrec *r, const char *line, size_t len, const struct iot_src *src)
{
    const char *why;
    if (iot_rec_read(r->f, line, len, r->vals, src) < 0)
        return -1;
    const struct iot_val *tv = &r->vals[r->time_idx];
    if (tv->type == IOT_J_ABSENT || tv->type == IOT_J_NULL) {
        iot_reject(src, line, len, "missing time", "%s: missing", iot_fields_path(r->f, r->time_idx));
        return -1;
    }
    if (iot_val_time(tv, r->time_unit, &r->t, &why)) {
        iot_reject(src, line, len, "bad time", "%s: %s", iot_fields_path(r->f, r->time_idx), why);
        return -1;
    }
    const struct iot_aggset *s = &r->set;
    for (int i = 0; i < s->nfields; i++) {
        struct iot_agg_in *x = &r->in[i];
        x->kind = 0;
        if (r->cond[i]) {
            if (iot_expr_match(r->cond[i], r->vals)) x->kind = 2;
            continue;
        }
        struct iot_val xv;
        const struct iot_val *v;
        if (r->xpr[i]) {
            const char *xe;
            int rc;
            if (s->need[i] & IOT_NEED_NUM) {       /* the fast path: a number or nothing */
                rc = iot_expr_number(r->xpr[i], r->vals, &x->v);
                if (rc == 0) { x->kind = 1; continue; }
                xe = iot_expr_error(r->xpr[i]);
            } else {
                iot_buf_reset(&r->xtext);
                rc = iot_expr_json(r->xpr[i], r->vals, &r->xtext, &xe);
                if (rc > 0) { iot_val_of_json(r->xtext.p, r->xtext.len, &xv); v = &xv; goto have; }
                xe = rc < 0 ? xe : NULL;
            }
            if (xe) {
                iot_reject(src, line, len, "eval", "%s: %s", s->fields[i], xe);
                return -1;
            }
            iot_stat_add(r->ustat[i], 1);
            continue;
        }
        v = &r->vals[r->agg_idx[i]];
    have:
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) continue;
        if (v->type == IOT_J_NUM && iot_val_num(v, &x->v) == 0) {
            x->kind = 1;
        } else if (s->need[i] & IOT_NEED_NUM) {
            if (!r->skip_bad) {
                iot_reject(src, line, len, "bad value", "%s: %s", s->fields[i], iot_val_num_error(v));
                return -1;
            }
            iot_stat_add("bad_value_skipped", 1);
            continue;
        } else {
            x->kind = 2;
        }
        if (s->need[i] & IOT_NEED_DIST) {
            iot_buf_reset(&r->tmp);
            iot_key_part(v, &r->tmp);
            x->h = iot_hash64(r->tmp.p, r->tmp.len);
        }
    }
    make_key(r);
    return 0;
}

void iot_aggrec_put_keys(const struct iot_aggrec *r, struct iot_buf *b, const char *key, size_t klen)
{
    const char *p = key, *e = key + klen;
    for (int i = 0; i < r->nkey; i++) {
        const char *q = memchr(p, '\x1f', (size_t)(e - p));
        if (!q) q = e;
        iot_buf_json_str(b, r->key_names[i], strlen(r->key_names[i]));
        iot_buf_addc(b, ':');
        iot_key_json(b, p, (size_t)(q - p), 0);
        iot_buf_addc(b, ',');
        p = q < e ? q + 1 : e;
    }
}

void iot_aggrec_close(struct iot_aggrec *r)
{
    for (int i = 0; i < r->set.nfields; i++) iot_expr_free(r->cond ? r->cond[i] : NULL);
    for (int i = 0; i < r->set.nfields; i++) iot_expr_free(r->xpr ? r->xpr[i] : NULL);
    free(r->xpr);
    free(r->ustat);
    iot_buf_free(&r->xtext);
    iot_aggset_free(&r->set);
    iot_fields_free(r->f);
    iot_strv_free(r->key_names);
    free(r->vals); free(r->key_idx); free(r->agg_idx); free(r->cond); free(r->in);
    iot_buf_free(&r->kb); iot_buf_free(&r->tmp);
    memset(r, 0, sizeof *r);
}
