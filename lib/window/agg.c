/* agg: mergeable aggregate states. See agg.h for the numerical contract. */
#include "agg.h"
#include "core/buf.h"
#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- double-double division (Dekker split/TwoProduct; see Shewchuk 1997, "Adaptive precision
 * floating-point arithmetic", and the Hida/Li/Bailey QD library paper). Sums are lib/xsum. ---- */
static inline void fast_two_sum(double a, double b, double *s, double *e)
{
    double x = a + b;
    *e = b - (x - a);
    *s = x;
}
static inline void split(double a, double *hi, double *lo)
{
    double c = 134217729.0 * a;     /* 2^27 + 1 */
    *hi = c - (c - a);
    *lo = a - *hi;
}
static inline void two_prod(double a, double b, double *p, double *e)
{
    double ah, al, bh, bl;
    *p = a * b;
    split(a, &ah, &al);
    split(b, &bh, &bl);
    *e = ((ah * bh - *p) + ah * bl + al * bh) + al * bl;
}
static void dd_div_d(double ah, double al, double d, double *rh, double *rl)
{
    double q1 = ah / d, p, e;
    two_prod(q1, d, &p, &e);
    double r = ((ah - p) - e) + al;
    fast_two_sum(q1, r / d, rh, rl);
}

/* ---- spec parsing ---- */
static const struct { const char *w; enum iot_agg_fn fn; unsigned need; } fns[] = {
    { "count", IOT_AGG_COUNT, 0 },
    { "sum", IOT_AGG_SUM, IOT_NEED_MOM | IOT_NEED_NUM },
    { "avg", IOT_AGG_AVG, IOT_NEED_MOM | IOT_NEED_NUM },
    { "mean", IOT_AGG_AVG, IOT_NEED_MOM | IOT_NEED_NUM },
    { "min", IOT_AGG_MIN, IOT_NEED_MINMAX | IOT_NEED_NUM },
    { "max", IOT_AGG_MAX, IOT_NEED_MINMAX | IOT_NEED_NUM },
    { "stdev", IOT_AGG_STDEV, IOT_NEED_MOM | IOT_NEED_SQ | IOT_NEED_NUM },
    { "stdevp", IOT_AGG_STDEVP, IOT_NEED_MOM | IOT_NEED_SQ | IOT_NEED_NUM },
    { "var", IOT_AGG_VAR, IOT_NEED_MOM | IOT_NEED_SQ | IOT_NEED_NUM },
    { "varp", IOT_AGG_VARP, IOT_NEED_MOM | IOT_NEED_SQ | IOT_NEED_NUM },
    { "first", IOT_AGG_FIRST, IOT_NEED_FL | IOT_NEED_NUM },
    { "last", IOT_AGG_LAST, IOT_NEED_FL | IOT_NEED_NUM },
    { "range", IOT_AGG_RANGE, IOT_NEED_MINMAX | IOT_NEED_NUM },
    { "median", IOT_AGG_PCT, IOT_NEED_VALS | IOT_NEED_NUM },
    { "dcount", IOT_AGG_DCOUNT, IOT_NEED_DIST },
    { "distinct", IOT_AGG_DCOUNT, IOT_NEED_DIST },
    { "rate", IOT_AGG_RATE, IOT_NEED_FL | IOT_NEED_NUM },
};

/* kind: 0 (a field path), IOT_NEED_COND or IOT_NEED_EXPR */
static int add_field(struct iot_aggset *s, const char *f, size_t n, unsigned kind)
{
    for (int i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i]) == n && memcmp(s->fields[i], f, n) == 0 &&
            kind == (s->need[i] & (IOT_NEED_COND | IOT_NEED_EXPR)))
            return i;
    s->fields = iot_xrealloc(s->fields, (s->nfields + 1) * sizeof *s->fields);
    s->need = iot_xrealloc(s->need, (s->nfields + 1) * sizeof *s->need);
    char *c = iot_xmalloc(n + 1);
    memcpy(c, f, n);
    c[n] = 0;
    s->fields[s->nfields] = c;
    s->need[s->nfields] = kind;
    return s->nfields++;
}

/* End of a condition argument: the ')' that balances the opening one (quotes respected). */
static const char *cond_end(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1]) p++;
            if (!*p) return NULL;
        } else if (*p == '(') depth++;
        else if (*p == ')' && depth-- == 0) return p;
    }
    return NULL;
}

/* '`': a member whose name holds dots, `customMetrics.rpm` (core/rec.h) */
static bool is_name(int c) { return isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@' || c == '$' || c == '`'; }

int iot_aggset_parse(const char *spec, struct iot_aggset *s, char *err, size_t errcap)
{
    memset(s, 0, sizeof *s);
    struct iot_buf norm = { 0 };
    const char *p = spec;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        const char *w = p;
        while (isalnum((unsigned char)*p) || *p == '.') p++;
        size_t wn = (size_t)(p - w);
        while (isspace((unsigned char)*p)) p++;
        if (wn == 0 || *p != '(') {
            snprintf(err, errcap, "column %d: expected an aggregate like avg(field)", (int)(w - spec) + 1);
            goto fail;
        }
        p++;
        while (isspace((unsigned char)*p)) p++;
        const char *f = p;
        bool cond = wn == 7 && memcmp(w, "countif", 7) == 0, expr = false;
        if (cond) {
            p = cond_end(f);
            if (!p) {
                snprintf(err, errcap, "column %d: countif( has no closing ')'", (int)(f - spec) + 1);
                goto fail;
            }
        } else {
            while (is_name((unsigned char)*p)) p++;
            const char *q = p;
            while (isspace((unsigned char)*q)) q++;
            if (*q && *q != ')') {          /* more than a field path: a value expression */
                expr = true;
                p = cond_end(f);
                if (!p) {
                    snprintf(err, errcap, "column %d: %.*s( has no closing ')'", (int)(f - spec) + 1, (int)wn, w);
                    goto fail;
                }
            }
        }
        size_t fnlen = (size_t)(p - f);
        while (fnlen && isspace((unsigned char)f[fnlen - 1])) fnlen--;
        while (isspace((unsigned char)*p)) p++;
        if (*p != ')') {
            snprintf(err, errcap, "column %d: expected ')'", (int)(p - spec) + 1);
            goto fail;
        }
        p++;
        struct iot_agg_item it = { .fn = IOT_AGG_COUNT, .field = -1, .p = 0.5 };
        unsigned need = 0;
        bool found = false;
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
            if (strlen(fns[i].w) == wn && memcmp(fns[i].w, w, wn) == 0) {
                it.fn = fns[i].fn; need = fns[i].need; found = true;
                break;
            }
        if (cond) { it.fn = IOT_AGG_COUNTIF; found = true; }
        if (!found && wn >= 2 && (w[0] == 'p' || w[0] == 'P')) {
            /* pNN, pNN.N (PERCENTILE_CONT), pdNN (PERCENTILE_DISC) */
            const char *d = w + 1;
            it.fn = IOT_AGG_PCT;
            if (*d == 'd') { it.fn = IOT_AGG_PCTD; d++; }
            char tmp[32];
            size_t tn = (size_t)(w + wn - d);
            if (tn > 0 && tn < sizeof tmp && isdigit((unsigned char)*d)) {
                memcpy(tmp, d, tn);
                tmp[tn] = 0;
                char *end;
                double v = strtod(tmp, &end);
                if (*end == 0 && v >= 0 && v <= 100) {
                    it.p = v / 100;
                    need = IOT_NEED_VALS | IOT_NEED_NUM;
                    found = true;
                }
            }
        }
        if (!found) {
            snprintf(err, errcap, "unknown aggregate '%.*s'", (int)wn, w);
            goto fail;
        }
        if (it.fn == IOT_AGG_COUNT && fnlen == 0)
            it.fn = IOT_AGG_ROWS;
        else if (fnlen == 0) {
            snprintf(err, errcap, "%.*s() needs a field", (int)wn, w);
            goto fail;
        }
        struct iot_buf name = { 0 };
        if (it.fn == IOT_AGG_ROWS)
            iot_buf_adds(&name, "count");
        else if (cond) {
            it.field = add_field(s, f, fnlen, IOT_NEED_COND);
            iot_buf_adds(&name, "countif");
        } else {
            it.field = add_field(s, f, fnlen, expr ? IOT_NEED_EXPR : 0);
            s->need[it.field] |= need;
            for (size_t i = 0; i < wn; i++)
                iot_buf_addc(&name, w[i] == '.' ? '_' : w[i]);
            iot_buf_addc(&name, '_');
            for (size_t i = 0; i < fnlen && !expr; i++)
                if (f[i] != '`') iot_buf_addc(&name, f[i] == '.' ? '_' : f[i]);
            for (size_t i = 0; i < fnlen && expr; i++)      /* letters and digits, runs of the rest as one '_' */
                if (isalnum((unsigned char)f[i])) iot_buf_addc(&name, f[i]);
                else if (name.p[name.len - 1] != '_') iot_buf_addc(&name, '_');
            while (expr && name.p[name.len - 1] == '_') name.p[--name.len] = 0;
        }
        if (norm.len) iot_buf_addc(&norm, ',');
        iot_buf_add(&norm, w, wn);
        iot_buf_addc(&norm, '(');
        if (fnlen) iot_buf_add(&norm, f, fnlen);
        iot_buf_addc(&norm, ')');
        while (isspace((unsigned char)*p)) p++;
        if ((p[0] == 'a' || p[0] == 'A') && (p[1] == 's' || p[1] == 'S') && isspace((unsigned char)p[2])) {
            p += 2;
            while (isspace((unsigned char)*p)) p++;
            const char *a = p;
            while (is_name((unsigned char)*p)) p++;
            if (p == a) {
                iot_buf_free(&name);
                snprintf(err, errcap, "column %d: expected a name after 'as'", (int)(p - spec) + 1);
                goto fail;
            }
            iot_buf_reset(&name);
            iot_buf_add(&name, a, (size_t)(p - a));
            iot_buf_adds(&norm, " as ");
            iot_buf_add(&norm, a, (size_t)(p - a));
            while (isspace((unsigned char)*p)) p++;
        }
        for (int i = 0; i < s->nitems; i++)
            if (strcmp(s->items[i].name, name.p) == 0) {
                snprintf(err, errcap, "two aggregates named '%s' (use 'as NAME')", name.p);
                iot_buf_free(&name);
                goto fail;
            }
        it.name = name.p;
        s->items = iot_xrealloc(s->items, (s->nitems + 1) * sizeof *s->items);
        s->items[s->nitems++] = it;
        if (*p == 0)
            break;
        if (*p != ',') {
            snprintf(err, errcap, "column %d: expected ',' or the end", (int)(p - spec) + 1);
            goto fail;
        }
        p++;
    }
    s->spec = norm.p;
    return 0;
fail:
    iot_buf_free(&norm);
    iot_aggset_free(s);
    return -1;
}

void iot_aggset_free(struct iot_aggset *s)
{
    for (int i = 0; i < s->nitems; i++) free(s->items[i].name);
    for (int i = 0; i < s->nfields; i++) free(s->fields[i]);
    free(s->items); free(s->fields); free(s->need); free(s->spec);
    memset(s, 0, sizeof *s);
}

bool iot_aggset_numeric(const struct iot_aggset *s, int i) { return (s->need[i] & IOT_NEED_NUM) != 0; }
bool iot_aggset_cond(const struct iot_aggset *s, int i) { return (s->need[i] & IOT_NEED_COND) != 0; }
bool iot_aggset_expr(const struct iot_aggset *s, int i) { return (s->need[i] & IOT_NEED_EXPR) != 0; }

size_t iot_agg_size(const struct iot_aggset *s)
{
    return sizeof(struct iot_agg_state) + (size_t)s->nfields * sizeof(struct iot_fstate);
}

void iot_agg_init(const struct iot_aggset *s, struct iot_agg_state *st)
{
    memset(st, 0, iot_agg_size(s));
}

static void dset_put(struct iot_fstate *f, uint64_t h)
{
    if (h == 0) h = 1;
    if ((f->dn + 1) * 2 > f->dcap) {
        uint32_t ncap = f->dcap ? f->dcap * 2 : 8;
        uint64_t *old = f->dset;
        uint32_t ocap = f->dcap;
        f->dset = iot_xcalloc(ncap, sizeof *f->dset);
        f->dcap = ncap;
        f->dn = 0;
        for (uint32_t i = 0; i < ocap; i++)
            if (old[i]) dset_put(f, old[i]);
        free(old);
    }
    uint32_t m = f->dcap - 1, i = (uint32_t)(h ^ (h >> 29)) & m;
    while (f->dset[i]) {
        if (f->dset[i] == h) return;
        i = (i + 1) & m;
    }
    f->dset[i] = h;
    f->dn++;
}

static void vals_push(struct iot_fstate *f, double v)
{
    if (f->nv == f->cv) {
        f->cv = f->cv ? f->cv * 2 : 8;
        f->vals = iot_xrealloc(f->vals, f->cv * sizeof *f->vals);
    }
    f->vals[f->nv++] = v;
    f->sorted = false;
}

void iot_agg_add(const struct iot_aggset *s, struct iot_agg_state *st,
                 const struct iot_agg_in *in, int64_t t)
{
    st->rows++;
    for (int i = 0; i < s->nfields; i++) {
        const struct iot_agg_in *x = &in[i];
        if (x->kind == 0) continue;
        struct iot_fstate *f = &st->f[i];
        unsigned need = s->need[i];
        f->nn++;
        if (need & IOT_NEED_DIST) dset_put(f, x->h);
        if (x->kind != 1) continue;
        double v = x->v;
        f->n++;
        if (need & IOT_NEED_MOM) {
            iot_xsum_add(&f->s, v);
            if (need & IOT_NEED_SQ) iot_xsum_add_sq(&f->q, v, false);
        }
        if (need & IOT_NEED_MINMAX) {
            if (f->n == 1 || v < f->min) f->min = v;
            if (f->n == 1 || v > f->max) f->max = v;
        }
        if (need & IOT_NEED_FL) {
            if (f->n == 1 || t < f->tf) { f->tf = t; f->vf = v; }
            if (f->n == 1 || t >= f->tl) { f->tl = t; f->vl = v; }
        }
        if (need & IOT_NEED_VALS) vals_push(f, v);
    }
}

void iot_agg_remove(const struct iot_aggset *s, struct iot_agg_state *st, const struct iot_agg_in *in)
{
    st->rows--;
    for (int i = 0; i < s->nfields; i++) {
        const struct iot_agg_in *x = &in[i];
        if (x->kind == 0) continue;
        struct iot_fstate *f = &st->f[i];
        f->nn--;
        if (x->kind != 1) continue;
        f->n--;
        if (s->need[i] & IOT_NEED_MOM) {
            iot_xsum_add(&f->s, -x->v);
            if (s->need[i] & IOT_NEED_SQ) iot_xsum_add_sq(&f->q, x->v, true);
        }
    }
}

void iot_agg_merge(const struct iot_aggset *s, struct iot_agg_state *d, const struct iot_agg_state *src)
{
    d->rows += src->rows;
    for (int i = 0; i < s->nfields; i++) {
        struct iot_fstate *a = &d->f[i];
        const struct iot_fstate *b = &src->f[i];
        unsigned need = s->need[i];
        a->nn += b->nn;
        if (need & IOT_NEED_DIST)
            for (uint32_t k = 0; k < b->dcap; k++)
                if (b->dset[k]) dset_put(a, b->dset[k]);
        if (b->n == 0) continue;
        if (need & IOT_NEED_MOM) iot_xsum_merge(&a->s, &b->s);
        if (need & IOT_NEED_SQ) iot_xsum_merge(&a->q, &b->q);
        if (need & IOT_NEED_MINMAX) {
            if (a->n == 0 || b->min < a->min) a->min = b->min;
            if (a->n == 0 || b->max > a->max) a->max = b->max;
        }
        if (need & IOT_NEED_FL) {
            if (a->n == 0 || b->tf < a->tf) { a->tf = b->tf; a->vf = b->vf; }
            if (a->n == 0 || b->tl >= a->tl) { a->tl = b->tl; a->vl = b->vl; }
        }
        if (need & IOT_NEED_VALS)
            for (uint32_t k = 0; k < b->nv; k++) vals_push(a, b->vals[k]);
        a->n += b->n;
    }
}

void iot_agg_free(const struct iot_aggset *s, struct iot_agg_state *st)
{
    for (int i = 0; i < s->nfields; i++) {
        free(st->f[i].vals);
        free(st->f[i].dset);
        iot_xsum_free(&st->f[i].s);
        iot_xsum_free(&st->f[i].q);
        st->f[i].vals = NULL; st->f[i].dset = NULL;
        st->f[i].nv = st->f[i].cv = st->f[i].dn = st->f[i].dcap = 0;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double iot_pct_cont(const double *v, size_t n, double p)
{
    double r = p * (double)(n - 1);
    size_t lo = (size_t)floor(r), hi = (size_t)ceil(r);
    if (hi >= n) hi = n - 1;
    if (lo >= n) lo = n - 1;
    return v[lo] + (r - (double)lo) * (v[hi] - v[lo]);
}

double iot_pct_disc(const double *v, size_t n, double p)
{
    double c = ceil(p * (double)n - 1e-9);
    size_t i = c < 1 ? 0 : (size_t)c - 1;
    if (i >= n) i = n - 1;
    return v[i];
}

/* The variance numerator D = n*Q - S^2 = n * Σ(x-mean)^2, exact (0 for equal values), as a
 * double-double; var = D / (n * (n - 1)) and varp = D / n^2 divide it in double-double. */
static double var_of(const struct iot_fstate *f, int64_t d)
{
    double h, l, n = (double)f->n;
    iot_xsum_var_dd(&f->s, &f->q, f->n, &h, &l);
    if (h <= 0) return h < 0 ? 0 : h;     /* 0 exactly; D < 0 cannot happen */
    dd_div_d(h, l, n, &h, &l);
    dd_div_d(h, l, (double)d, &h, &l);
    return h + l;
}

int iot_agg_value(const struct iot_aggset *s, struct iot_agg_state *st, int i, double *out)
{
    const struct iot_agg_item *it = &s->items[i];
    if (it->fn == IOT_AGG_ROWS) { *out = (double)st->rows; return 0; }
    struct iot_fstate *f = &st->f[it->field];
    double h, l;
    switch (it->fn) {
    case IOT_AGG_COUNT: case IOT_AGG_COUNTIF: *out = (double)f->nn; return 0;
    case IOT_AGG_DCOUNT: *out = (double)f->dn; return 0;
    default: break;
    }
    if (f->n == 0) return -1;
    double n = (double)f->n;
    switch (it->fn) {
    case IOT_AGG_SUM: *out = iot_xsum_double(&f->s); return 0;
    case IOT_AGG_AVG: iot_xsum_dd(&f->s, &h, &l); dd_div_d(h, l, n, &h, &l); *out = h + l; return 0;
    case IOT_AGG_MIN: *out = f->min; return 0;
    case IOT_AGG_MAX: *out = f->max; return 0;
    case IOT_AGG_RANGE: *out = f->max - f->min; return 0;
    case IOT_AGG_VARP: *out = var_of(f, f->n); return 0;
    case IOT_AGG_STDEVP: *out = sqrt(var_of(f, f->n)); return 0;
    case IOT_AGG_VAR: if (f->n < 2) return -1; *out = var_of(f, f->n - 1); return 0;
    case IOT_AGG_STDEV: if (f->n < 2) return -1; *out = sqrt(var_of(f, f->n - 1)); return 0;
    case IOT_AGG_FIRST: *out = f->vf; return 0;
    case IOT_AGG_LAST: *out = f->vl; return 0;
    case IOT_AGG_RATE:
        if (f->tl == f->tf) return -1;
        *out = (f->vl - f->vf) / ((double)(f->tl - f->tf) / 1e9);
        return 0;
    case IOT_AGG_PCT: case IOT_AGG_PCTD:
        if (!f->sorted) { qsort(f->vals, f->nv, sizeof *f->vals, cmp_double); f->sorted = true; }
        *out = it->fn == IOT_AGG_PCT ? iot_pct_cont(f->vals, f->nv, it->p) : iot_pct_disc(f->vals, f->nv, it->p);
        return 0;
    default: return -1;
    }
}

bool iot_agg_is_count(const struct iot_aggset *s, int i)
{
    enum iot_agg_fn fn = s->items[i].fn;
    return fn == IOT_AGG_ROWS || fn == IOT_AGG_COUNT || fn == IOT_AGG_DCOUNT || fn == IOT_AGG_COUNTIF;
}

/* ---- exact JSON form ---- */
/* An exact sum: a list of doubles whose exact sum it is (usually one or two), or, when doubles
 * cannot carry it (bits below 2^-1074 in a sum of squares), {"lo": chunk, "c": [chunks]}. */
static json_t *xsum_json(const struct iot_xsum *x)
{
    double t[64];
    int n = iot_xsum_terms(x, t, 64);
    if (n >= 0) {
        json_t *a = json_array();
        for (int k = 0; k < n; k++) json_array_append_new(a, json_real(t[k]));
        return a;
    }
    int64_t c[200];
    int32_t lo;
    n = iot_xsum_chunks(x, &lo, c);
    json_t *a = json_array();
    for (int k = 0; k < n; k++) json_array_append_new(a, json_integer(c[k]));
    return json_pack("{s:i,s:o}", "lo", (int)lo, "c", a);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

json_t *iot_agg_to_json(const struct iot_aggset *s, const struct iot_agg_state *st)
{
    json_t *o = json_object(), *fa = json_array();
    json_object_set_new(o, "rows", json_integer(st->rows));
    for (int i = 0; i < s->nfields; i++) {
        const struct iot_fstate *f = &st->f[i];
        unsigned need = s->need[i];
        json_t *j = json_object();
        json_object_set_new(j, "n", json_integer(f->n));
        json_object_set_new(j, "nn", json_integer(f->nn));
        if (f->n && (need & IOT_NEED_MOM)) json_object_set_new(j, "s", xsum_json(&f->s));
        if (f->n && (need & IOT_NEED_SQ)) json_object_set_new(j, "q", xsum_json(&f->q));
        if (f->n && (need & IOT_NEED_MINMAX)) {
            json_object_set_new(j, "min", json_real(f->min));
            json_object_set_new(j, "max", json_real(f->max));
        }
        if (f->n && (need & IOT_NEED_FL)) {
            json_object_set_new(j, "first", json_pack("[If]", (json_int_t)f->tf, f->vf));
            json_object_set_new(j, "last", json_pack("[If]", (json_int_t)f->tl, f->vl));
        }
        if (need & IOT_NEED_VALS) {
            json_t *a = json_array();
            for (uint32_t k = 0; k < f->nv; k++) json_array_append_new(a, json_real(f->vals[k]));
            json_object_set_new(j, "v", a);
        }
        if (need & IOT_NEED_DIST) {
            uint64_t *h = iot_xmalloc((f->dn + 1) * sizeof *h);
            uint32_t m = 0;
            for (uint32_t k = 0; k < f->dcap; k++) if (f->dset[k]) h[m++] = f->dset[k];
            qsort(h, m, sizeof *h, cmp_u64);
            json_t *a = json_array();
            for (uint32_t k = 0; k < m; k++) {
                char hex[17];
                snprintf(hex, sizeof hex, "%016" PRIx64, h[k]);
                json_array_append_new(a, json_string(hex));
            }
            free(h);
            json_object_set_new(j, "d", a);
        }
        json_array_append_new(fa, j);
    }
    json_object_set_new(o, "f", fa);
    return o;
}

static int get_num(const json_t *j, double *out)
{
    if (!json_is_number(j)) return -1;
    *out = json_number_value(j);
    return 0;
}
/* Reads xsum_json's forms (a list of doubles, as older double-double pairs also were). */
static int get_xsum(const json_t *j, struct iot_xsum *x)
{
    if (json_is_array(j)) {
        for (size_t k = 0; k < json_array_size(j); k++) {
            double v;
            if (get_num(json_array_get(j, k), &v) || !isfinite(v)) return -1;
            iot_xsum_add(x, v);
        }
        return 0;
    }
    const json_t *lo = json_object_get(j, "lo"), *c = json_object_get(j, "c");
    if (!json_is_integer(lo) || !json_is_array(c) || json_array_size(c) > 200) return -1;
    int64_t v[200];
    size_t n = json_array_size(c);
    for (size_t k = 0; k < n; k++) {
        if (!json_is_integer(json_array_get(c, k))) return -1;
        v[k] = json_integer_value(json_array_get(c, k));
    }
    json_int_t l = json_integer_value(lo);
    if (l < 0 || l > 1000) return -1;
    return iot_xsum_set_chunks(x, (int32_t)l, v, (int)n);
}
static int get_tv(const json_t *j, int64_t *t, double *v)
{
    if (!json_is_array(j) || json_array_size(j) != 2 || !json_is_integer(json_array_get(j, 0))) return -1;
    *t = json_integer_value(json_array_get(j, 0));
    return get_num(json_array_get(j, 1), v);
}

int iot_agg_from_json(const struct iot_aggset *s, struct iot_agg_state *st, const json_t *o)
{
    iot_agg_init(s, st);
    const json_t *rows = json_object_get(o, "rows"), *fa = json_object_get(o, "f");
    if (!json_is_integer(rows) || !json_is_array(fa) || (int)json_array_size(fa) != s->nfields)
        return -1;
    st->rows = json_integer_value(rows);
    for (int i = 0; i < s->nfields; i++) {
        struct iot_fstate *f = &st->f[i];
        const json_t *j = json_array_get(fa, i);
        unsigned need = s->need[i];
        const json_t *n = json_object_get(j, "n"), *nn = json_object_get(j, "nn");
        if (!json_is_integer(n) || !json_is_integer(nn)) goto bad;
        f->n = json_integer_value(n);
        f->nn = json_integer_value(nn);
        if (f->n < 0 || f->nn < f->n) goto bad;
        if (f->n && (need & IOT_NEED_MOM) && get_xsum(json_object_get(j, "s"), &f->s))
            goto bad;
        if (f->n && (need & IOT_NEED_SQ) && get_xsum(json_object_get(j, "q"), &f->q))
            goto bad;
        if (f->n && (need & IOT_NEED_MINMAX) &&
            (get_num(json_object_get(j, "min"), &f->min) || get_num(json_object_get(j, "max"), &f->max)))
            goto bad;
        if (f->n && (need & IOT_NEED_FL) &&
            (get_tv(json_object_get(j, "first"), &f->tf, &f->vf) ||
             get_tv(json_object_get(j, "last"), &f->tl, &f->vl)))
            goto bad;
        if (need & IOT_NEED_VALS) {
            const json_t *a = json_object_get(j, "v");
            if (!json_is_array(a) || (int64_t)json_array_size(a) != f->n) goto bad;
            for (size_t k = 0; k < json_array_size(a); k++) {
                double v;
                if (get_num(json_array_get(a, k), &v)) goto bad;
                vals_push(f, v);
            }
        }
        if (need & IOT_NEED_DIST) {
            const json_t *a = json_object_get(j, "d");
            if (!json_is_array(a)) goto bad;
            for (size_t k = 0; k < json_array_size(a); k++) {
                const char *hx = json_string_value(json_array_get(a, k));
                char *end;
                if (!hx || strlen(hx) != 16) goto bad;
                uint64_t h = strtoull(hx, &end, 16);
                if (*end) goto bad;
                dset_put(f, h);
            }
        }
    }
    return 0;
bad:
    iot_agg_free(s, st);
    iot_agg_init(s, st);
    return -1;
}
