/* mapstage: computed fields, filter and selection for iot-ingest (see mapstage.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/expr.h"
#include "core/time.h"
#include "mapstage.h"

struct eval {
    char *name;
    int field;            /* index of NAME in f: later expressions read the computed value */
    struct iot_expr *x;
    const char *ustat;    /* "undefined_NAME" (lives as long as the process) */
    size_t off, len;      /* this record's computed JSON text in m->vbuf */
    int defined;
};

struct iot_map {
    struct iot_fields *f;
    struct eval *ev;
    int nev;
    struct iot_expr *where;
    struct iot_fields *sf;          /* --select names */
    char **sel;
    int nsel;
    struct iot_val *vals, *xvals, *svals;
    int nvals;
    struct iot_buf vbuf, xline;
    int64_t now;
    int fixed;
    uint32_t tick;
};

/* "column N: why" from the compiler, N counted in the whole option argument. */
static void refuse(const char *opt, const char *whole, const char *msg, size_t off)
{
    unsigned long col;
    int used = 0;
    if (sscanf(msg, "column %lu: %n", &col, &used) == 1 && used)
        iot_usage("%s: '%s': column %lu: %s", opt, whole, col + off, msg + used);
    iot_usage("%s: '%s': %s", opt, whole, msg);
}

static void compile_one(struct iot_map *m, struct iot_expr **x, const char *text, const char *opt,
                        const char *whole)
{
    char err[200];
    size_t off = (size_t)(text - whole);
    *x = iot_expr_compile(text, m->f, err, sizeof err);
    if (!*x) refuse(opt, whole, err, off);
    const char *te = iot_expr_type_error(*x);
    if (te) refuse(opt, whole, te, off);
    iot_expr_set_now(*x, m->now);
}

static int plain_name(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '.' || s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20) return 0;
    return 1;
}

struct iot_map *iot_map_new(struct iot_fields *f, struct iot_recedit *edit, char **evals, int neval,
                            const char *where, char **select, int nselect, int64_t now, int fixed)
{
    struct iot_map *m = iot_xcalloc(1, sizeof *m);
    m->f = f;
    m->now = now;
    m->fixed = fixed;
    m->ev = iot_xcalloc((size_t)neval + 1, sizeof *m->ev);
    for (int i = 0; i < neval; i++) {
        const char *a = evals[i], *eq = strchr(a, '=');
        if (!eq || eq[1] == '=') iot_usage("--eval: '%s': expected NAME = EXPR", a);
        const char *s = a, *e = eq;
        while (*s == ' ' || *s == '\t') s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if (!plain_name(s, (size_t)(e - s)))
            iot_usage("--eval: '%s': NAME must be a plain member name (no '.', quote or control character)", a);
        struct eval *v = &m->ev[m->nev];
        v->name = iot_xcalloc(1, (size_t)(e - s) + 1);
        memcpy(v->name, s, (size_t)(e - s));
        for (int j = 0; j < m->nev; j++)
            if (strcmp(m->ev[j].name, v->name) == 0) iot_usage("--eval: '%s' is computed twice", v->name);
        const char *why;
        if (iot_recedit_replace(edit, v->name, &why) != 0) iot_usage("--eval: '%s': %s", a, why);
        /* the expression reads the values before its own NAME is set (NAME = NAME + 1 works) */
        compile_one(m, &v->x, eq + 1, "--eval", a);
        v->field = iot_fields_add(f, v->name);
        struct iot_buf st = { 0 };
        iot_buf_addf(&st, "undefined_%s", v->name);
        v->ustat = st.p;          /* kept for --stats until exit */
        m->nev++;
    }
    if (where) compile_one(m, &m->where, where, "--where", where);
    if (nselect) {
        m->sf = iot_fields_new();
        m->sel = select;
        m->nsel = nselect;
        for (int i = 0; i < nselect; i++) {
            if (!plain_name(select[i], strlen(select[i])))
                iot_usage("--select: '%s' is not a plain member name (no '.')", select[i]);
            if (iot_fields_add(m->sf, select[i]) != i) iot_usage("--select: '%s' is named twice", select[i]);
        }
        m->svals = iot_xcalloc((size_t)nselect, sizeof *m->svals);
    }
    return m;
}

int iot_map_active(const struct iot_map *m) { return m && (m->nev || m->where); }


static void set_now(struct iot_map *m, int64_t now)
{
    m->now = now;
    for (int i = 0; i < m->nev; i++) iot_expr_set_now(m->ev[i].x, now);
    if (m->where) iot_expr_set_now(m->where, now);
}

int iot_map_record(struct iot_map *m, const struct iot_val *vals, struct iot_buf *extra,
                   const char **name, const char **why)
{
    int n = iot_fields_count(m->f);
    if (n > m->nvals) {
        m->vals = iot_xrealloc(m->vals, (size_t)n * sizeof *m->vals);
        m->xvals = iot_xrealloc(m->xvals, (size_t)n * sizeof *m->xvals);
        m->nvals = n;
    }
    if (!m->fixed && (m->tick++ & 1023) == 0) set_now(m, iot_time_now());   /* now(): once per batch */
    memcpy(m->vals, vals, (size_t)n * sizeof *vals);
    if (extra->len) {
        /* the members appended to the line (asset fields, ingest time) are the record's too */
        iot_buf_reset(&m->xline);
        iot_buf_addc(&m->xline, '{');
        iot_buf_add(&m->xline, extra->p, extra->len);
        iot_buf_addc(&m->xline, '}');
        const char *err;
        if (iot_rec_scan(m->f, m->xline.p, m->xline.len, m->xvals, &err) == 0)
            for (int i = 0; i < n; i++)
                if (m->xvals[i].type != IOT_J_ABSENT) m->vals[i] = m->xvals[i];
    }
    iot_buf_reset(&m->vbuf);
    for (int i = 0; i < m->nev; i++) {
        struct eval *v = &m->ev[i];
        v->off = m->vbuf.len;
        const char *err = NULL;
        int rc = iot_expr_json(v->x, m->vals, &m->vbuf, &err);
        if (rc < 0) { *name = v->name; *why = err; return -1; }
        v->defined = rc == 1;
        v->len = m->vbuf.len - v->off;
        if (!v->defined) {
            iot_stat_add(v->ustat, 1);
            m->vals[v->field].type = IOT_J_ABSENT;
        }
        /* later expressions see this value; the buffer may move, so pointers are set below */
        for (int j = 0; j <= i; j++)
            if (m->ev[j].defined) iot_val_of_json(m->vbuf.p + m->ev[j].off, m->ev[j].len, &m->vals[m->ev[j].field]);
    }
    if (m->where && !iot_expr_match(m->where, m->vals)) return 1;
    for (int i = 0; i < m->nev; i++) {
        struct eval *v = &m->ev[i];
        if (!v->defined) continue;
        if (extra->len) iot_buf_addc(extra, ',');
        iot_buf_json_str(extra, v->name, strlen(v->name));
        iot_buf_addc(extra, ':');
        iot_buf_add(extra, m->vbuf.p + v->off, v->len);
    }
    return 0;
}

int iot_map_select(struct iot_map *m, const char *line, size_t len, struct iot_buf *out)
{
    if (!m || !m->nsel) return -1;
    const char *err;
    iot_buf_reset(out);
    if (iot_rec_scan(m->sf, line, len, m->svals, &err) != 0) return -1;
    iot_buf_addc(out, '{');
    int k = 0;
    for (int i = 0; i < m->nsel; i++) {
        const struct iot_val *v = &m->svals[i];
        if (v->type == IOT_J_ABSENT) { iot_stat_add("select_absent", 1); continue; }
        if (k++) iot_buf_addc(out, ',');
        iot_buf_json_str(out, m->sel[i], strlen(m->sel[i]));
        iot_buf_addc(out, ':');
        iot_buf_add(out, v->p, v->n);
    }
    iot_buf_addc(out, '}');
    return 0;
}

void iot_map_free(struct iot_map *m)
{
    if (!m) return;
    for (int i = 0; i < m->nev; i++) { free(m->ev[i].name); iot_expr_free(m->ev[i].x); }
    free(m->ev);
    iot_expr_free(m->where);
    iot_fields_free(m->sf);
    free(m->vals);
    free(m->xvals);
    free(m->svals);
    iot_buf_free(&m->vbuf);
    iot_buf_free(&m->xline);
    free(m);
}
