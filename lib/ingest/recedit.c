/* recedit: byte-preserving edits of a record line (see recedit.h for the order of edits). */
#include <stdlib.h>
#include <string.h>
#include "recedit.h"
#include "core/time.h"

enum { MAX_DROP = 32, MAX_SET = 16, MAX_REN = 32 };

struct ren {
    int old, victim;        /* field indexes; victim: the member named like the target, or -1 */
    char *old_path, *target;/* target: the renamed member's path (same object) */
    char *qname;            /* the new name, JSON-quoted */
    size_t qlen;
    int kill;               /* renamed onto an appended name: dropped instead */
};

struct iot_recedit {
    struct iot_fields *f;
    int time;
    int drop[MAX_DROP + MAX_SET + MAX_REN];
    int ndrop, nuser_drop;
    char *set_name[MAX_SET];
    int nset;
    struct ren ren[MAX_REN];
    int nren, ready;
    struct iot_buf consts;  /* the set members, joined with ',' */
    int64_t tsec, tsec_ns;  /* time text cache: the second in tbuf (s, ns), the prefix length */
    size_t tplen;
    int tvalid;
    char tbuf[48];
};

struct edit { size_t a, b; const char *rep; size_t rn; };

struct iot_recedit *iot_recedit_new(struct iot_fields *f, int time_index)
{
    struct iot_recedit *e = iot_xcalloc(1, sizeof *e);
    e->f = f;
    e->time = time_index;
    e->tsec = e->tsec_ns = INT64_MIN;
    return e;
}

void iot_recedit_free(struct iot_recedit *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nset; i++)
        free(e->set_name[i]);
    for (int i = 0; i < e->nren; i++) {
        free(e->ren[i].old_path);
        free(e->ren[i].target);
        free(e->ren[i].qname);
    }
    iot_buf_free(&e->consts);
    free(e);
}

static int refuse(const char **why, const char *msg)
{
    *why = msg;
    return -1;
}

int iot_recedit_rename(struct iot_recedit *e, const char *old, const char *new_, const char **why)
{
    if (!*old || !*new_)
        return refuse(why, "empty field name");
    if (strchr(new_, '.'))
        return refuse(why, "the new name is a member name, not a path (a rename stays in its object)");
    if (e->nren == MAX_REN)
        return refuse(why, "at most 32 renames");
    const char *dot = strrchr(old, '.');
    size_t plen = dot ? (size_t)(dot - old) + 1 : 0;
    char *target = iot_xmalloc(plen + strlen(new_) + 1);
    memcpy(target, old, plen);
    strcpy(target + plen, new_);
    for (int i = 0; i < e->nren; i++) {
        int clash = strcmp(e->ren[i].old_path, old) == 0 ? 1 : strcmp(e->ren[i].target, target) == 0 ? 2 : 0;
        if (clash) {
            free(target);
            return refuse(why, clash == 1 ? "a field is renamed twice" : "two fields are renamed to one name");
        }
    }
    struct iot_buf q = { 0 };
    iot_buf_json_str(&q, new_, strlen(new_));
    e->ren[e->nren++] = (struct ren){ iot_fields_add(e->f, old), iot_fields_add(e->f, target),
                                      iot_xstrdup(old), target, q.p, q.len, 0 };
    e->ready = 0;
    return 0;
}

int iot_recedit_rename_arg(struct iot_recedit *e, const char *arg, const char **why)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return refuse(why, "not OLD=NEW");
    char *old = iot_xmalloc((size_t)(eq - arg) + 1);
    memcpy(old, arg, (size_t)(eq - arg));
    old[eq - arg] = 0;
    int rc = iot_recedit_rename(e, old, eq + 1, why);
    free(old);
    return rc;
}

int iot_recedit_drop(struct iot_recedit *e, const char *path, const char **why)
{
    if (!*path)
        return refuse(why, "empty field name");
    if (e->nuser_drop == MAX_DROP)
        return refuse(why, "at most 32 dropped fields");
    e->nuser_drop++;
    e->drop[e->ndrop++] = iot_fields_add(e->f, path);
    e->ready = 0;
    return 0;
}

int iot_recedit_replace(struct iot_recedit *e, const char *name, const char **why)
{
    if (!*name)
        return refuse(why, "empty field name");
    if (strchr(name, '.'))
        return refuse(why, "a member name, not a path (added members go at the top level)");
    if (e->nset == MAX_SET)
        return refuse(why, "at most 16 added fields");
    e->set_name[e->nset++] = iot_xstrdup(name);
    e->drop[e->ndrop++] = iot_fields_add(e->f, name);
    e->ready = 0;
    return 0;
}

int iot_recedit_set(struct iot_recedit *e, const char *name, const char *json, size_t n,
                    const char **why)
{
    if (iot_recedit_replace(e, name, why) != 0)
        return -1;
    if (e->consts.len)
        iot_buf_addc(&e->consts, ',');
    iot_buf_json_str(&e->consts, name, strlen(name));
    iot_buf_addc(&e->consts, ':');
    iot_buf_add(&e->consts, json, n);
    return 0;
}

int iot_recedit_set_arg(struct iot_recedit *e, const char *arg, const char **why)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return refuse(why, "not FIELD=VALUE");
    const char *val = eq + 1;
    /* A JSON scalar is kept as written: scan it as the value of a one-member object. */
    struct iot_buf probe = { 0 }, val_json = { 0 }, name = { 0 };
    iot_buf_adds(&probe, "{\"v\":");
    iot_buf_adds(&probe, val);
    iot_buf_addc(&probe, '}');
    struct iot_fields *f = iot_fields_new();
    iot_fields_add(f, "v");
    struct iot_val v;
    const char *err;
    if (*val && iot_rec_scan(f, probe.p, probe.len, &v, &err) == 0 && v.type != IOT_J_OBJ &&
        v.type != IOT_J_ARR)
        iot_buf_add(&val_json, v.p, v.n);
    else
        iot_buf_json_str(&val_json, val, strlen(val));
    iot_buf_add(&name, arg, (size_t)(eq - arg));
    int rc = iot_recedit_set(e, name.p, val_json.p, val_json.len, why);
    iot_fields_free(f);
    iot_buf_free(&probe);
    iot_buf_free(&val_json);
    iot_buf_free(&name);
    return rc;
}

/* Resolves the interplay of renames, drops and appended names once all are known. */
static void compile(struct iot_recedit *e)
{
    int nd = e->nuser_drop + e->nset;   /* drops added by a previous compile go */
    for (int i = 0; i < e->nren; i++) {
        struct ren *r = &e->ren[i];
        r->kill = 0;
        r->victim = iot_fields_add(e->f, r->target);
        for (int j = 0; j < e->nren; j++)
            if (strcmp(e->ren[j].old_path, r->target) == 0)
                r->victim = -1;   /* moved away by another rename */
        for (int j = 0; j < e->nset && !strchr(r->old_path, '.'); j++)
            if (strcmp(e->set_name[j], r->target) == 0)
                r->kill = 1;
        if (r->kill)
            e->drop[nd++] = r->old;
    }
    e->ndrop = nd;
    e->ready = 1;
}

static inline int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && is_ws(s[i]))
        i++;
    return i;
}

static size_t key_end(const char *s, size_t i)   /* i at the opening quote of a member name */
{
    for (i++; s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i + 1;
}

static int cmp_off(const void *a, const void *b)
{
    const struct iot_val *x = *(const struct iot_val *const *)a, *y = *(const struct iot_val *const *)b;
    return (x->member_off > y->member_off) - (x->member_off < y->member_off);
}

static int cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return (x->a > y->a) - (x->a < y->a);
}

/* Sorts the dropped members and removes those inside another (or named twice). */
static int normalise(const char *s, const struct iot_val **d, int n)
{
    qsort(d, (size_t)n, sizeof *d, cmp_off);
    int w = 0;
    size_t end = 0;
    for (int i = 0; i < n; i++) {
        if (w && d[i]->member_off < end)
            continue;
        d[w++] = d[i];
        end = (size_t)(d[i]->p + d[i]->n - s);
    }
    return w;
}

static int inside(const struct iot_val *const *d, int n, const char *s, size_t x)
{
    for (int i = 0; i < n; i++)
        if (x >= d[i]->member_off && x < (size_t)(d[i]->p + d[i]->n - s))
            return 1;
    return 0;
}

/* Ranges removing the sorted members d: a run of adjacent members goes with the comma after
 * it, or, when the run ends its object, with the comma before it. */
static int drop_edits(const char *s, size_t n, const struct iot_val *const *d, int nd, struct edit *e)
{
    int ne = 0;
    for (int i = 0; i < nd;) {
        int j = i;
        size_t end = (size_t)(d[j]->p + d[j]->n - s);
        for (;;) {
            size_t k = skip_ws(s, end, n);
            if (k >= n || s[k] != ',' || j + 1 >= nd || d[j + 1]->member_off != skip_ws(s, k + 1, n))
                break;
            j++;
            end = (size_t)(d[j]->p + d[j]->n - s);
        }
        size_t k = skip_ws(s, end, n), a = d[i]->member_off, b;
        if (k < n && s[k] == ',') {
            b = skip_ws(s, k + 1, n);
        } else {
            b = end;
            size_t q = a;
            while (q > 0 && is_ws(s[q - 1]))
                q--;
            if (q > 0 && s[q - 1] == ',') {   /* with the spaces before that comma too */
                for (a = q - 1; a > 0 && is_ws(s[a - 1]); a--)
                    ;
            }
        }
        e[ne++] = (struct edit){ a, b, NULL, 0 };
        i = j + 1;
    }
    return ne;
}

const char *iot_recedit_time_text(struct iot_recedit *e, int64_t t, size_t *n)
{
    int64_t s, ms;
    if (e->tvalid && t >= e->tsec_ns && t - e->tsec_ns < IOT_NS_PER_S) {   /* the cached second */
        s = e->tsec;
        ms = (t - e->tsec_ns) / IOT_NS_PER_MS;
    } else {
        s = iot_floordiv(t, IOT_NS_PER_S);
        ms = (t - s * IOT_NS_PER_S) / IOT_NS_PER_MS;
    }
    if (s != e->tsec) {
        e->tsec_ns = s * IOT_NS_PER_S;
        e->tvalid = 1;
        e->tbuf[0] = '"';
        e->tplen = iot_time_fmt(s * IOT_NS_PER_S, e->tbuf + 1) + 1 - 4;   /* up to and with '.' */
        e->tsec = s;
    }
    char *p = e->tbuf + e->tplen;
    p[0] = (char)('0' + ms / 100), p[1] = (char)('0' + ms / 10 % 10), p[2] = (char)('0' + ms % 10);
    p[3] = 'Z', p[4] = '"';
    *n = e->tplen + 5;
    return e->tbuf;
}

/* Makes room for n more bytes after out->len (buf.h has no reserve call). */
static char *reserve(struct iot_buf *out, size_t n)
{
    if (out->len + n + 1 > out->cap) {
        size_t len = out->len;
        char *zero = iot_xcalloc(1, n);
        iot_buf_add(out, zero, n);
        free(zero);
        out->len = len;
    }
    return out->p + out->len;
}

static void append(struct iot_recedit *e, struct iot_buf *out, const char *extra, size_t nextra)
{
    if (!e->consts.len && !nextra)
        return;
    size_t k = out->len;
    while (k > 0 && (out->p[k - 1] == ' ' || out->p[k - 1] == '\t'))
        k--;
    if (k > 0 && out->p[k - 1] != '{')
        iot_buf_addc(out, ',');
    iot_buf_add(out, e->consts.p, e->consts.len);
    if (e->consts.len && nextra)
        iot_buf_addc(out, ',');
    iot_buf_add(out, extra, nextra);
}

void iot_recedit_apply(struct iot_recedit *e, const char *s, size_t n, const struct iot_val *vals,
                       int64_t t, const char *extra, size_t nextra, struct iot_buf *out)
{
    if (!e->ready)
        compile(e);
    size_t close = n;
    while (close > 0 && s[close - 1] != '}')
        close--;
    close = close ? close - 1 : n;
    const struct iot_val *tv = e->time >= 0 && vals[e->time].type != IOT_J_ABSENT ? &vals[e->time] : NULL;
    int busy = 0;
    for (int i = 0; i < e->ndrop && !busy; i++)
        busy = vals[e->drop[i]].type != IOT_J_ABSENT;
    for (int i = 0; i < e->nren && !busy; i++)
        busy = vals[e->ren[i].old].type != IOT_J_ABSENT;
    out->len = 0;
    if (!busy) {   /* the common case: the time replaced, members appended */
        size_t tn = 0, a = close, b = close;
        const char *tt = NULL;
        if (tv) {
            tt = iot_recedit_time_text(e, t, &tn);
            a = (size_t)(tv->p - s), b = a + tv->n;
        }
        char *w = reserve(out, n + tn + 1);
        memcpy(w, s, a);
        if (tn)
            memcpy(w + a, tt, tn);
        memcpy(w + a + tn, s + b, close - b);
        out->len = a + tn + (close - b);
        append(e, out, extra, nextra);
        iot_buf_add(out, s + close, n - close);
        return;
    }
    const struct iot_val *d[MAX_DROP + MAX_SET + 2 * MAX_REN];
    int nd = 0;
    for (int i = 0; i < e->ndrop; i++)
        if (vals[e->drop[i]].type != IOT_J_ABSENT)
            d[nd++] = &vals[e->drop[i]];
    nd = normalise(s, d, nd);
    int live[MAX_REN], nlive = 0, more = 0;
    for (int i = 0; i < e->nren; i++) {
        const struct ren *r = &e->ren[i];
        const struct iot_val *v = &vals[r->old];
        if (r->kill || v->type == IOT_J_ABSENT || inside(d, nd, s, v->member_off))
            continue;
        live[nlive++] = i;
        if (r->victim >= 0 && vals[r->victim].type != IOT_J_ABSENT)
            d[nd + more++] = &vals[r->victim];
    }
    if (more)
        nd = normalise(s, d, nd + more);
    struct edit ed[MAX_DROP + MAX_SET + 3 * MAX_REN + 1];
    int ne = drop_edits(s, close, d, nd, ed);
    for (int i = 0; i < nlive; i++) {
        const struct ren *r = &e->ren[live[i]];
        size_t off = vals[r->old].member_off;
        ed[ne++] = (struct edit){ off, key_end(s, off), r->qname, r->qlen };
    }
    if (tv && !inside(d, nd, s, (size_t)(tv->p - s))) {
        size_t tn;
        const char *tt = iot_recedit_time_text(e, t, &tn);
        ed[ne++] = (struct edit){ (size_t)(tv->p - s), (size_t)(tv->p - s) + tv->n, tt, tn };
    }
    qsort(ed, (size_t)ne, sizeof *ed, cmp_edit);
    size_t at = 0;
    for (int i = 0; i < ne; i++) {
        iot_buf_add(out, s + at, ed[i].a - at);
        iot_buf_add(out, ed[i].rep, ed[i].rn);
        at = ed[i].b;
    }
    iot_buf_add(out, s + at, close - at);
    append(e, out, extra, nextra);
    iot_buf_add(out, s + close, n - close);
}
