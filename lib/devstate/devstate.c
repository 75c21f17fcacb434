/* devstate: per-device reported state, online/offline, desired properties. See devstate.h.
 * Twin semantics follow IoT Hub device twins (desired vs reported properties, a version per
 * desired document): https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins */
#include "devstate.h"
#include "core/cli.h"
#include "core/key.h"
#include "core/keytab.h"
#include "core/out.h"
#include "core/rec.h"
#include "core/time.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iot_devstate {
    struct iot_devstate_cfg cfg;
    struct iot_out *out;
    struct iot_keytab *tab;
    struct iot_fields *f;
    struct iot_val *vals;
    char **key_names;
    int nkey, *key_idx, time_idx, mt_idx;
    struct iot_buf kb, ob, tmp;
    struct iot_dev **dirty;
    size_t ndirty, capdirty;
    int64_t wm, next_sweep;
    bool have_wm;
    const char *own[8];         /* member names that are not properties: key, time, messageType */
    size_t own_len[8];
    int nown;
};

struct iot_devstate *iot_devstate_new(const struct iot_devstate_cfg *cfg, struct iot_out *out)
{
    struct iot_devstate *s = iot_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->out = out;
    s->tab = iot_keytab_new(sizeof(struct iot_dev), cfg->max_keys);
    s->f = iot_fields_new();
    s->key_names = iot_key_names(cfg->key, &s->nkey);
    s->key_idx = iot_xcalloc((size_t)s->nkey + 1, sizeof *s->key_idx);
    for (int i = 0; i < s->nkey; i++) s->key_idx[i] = iot_fields_add(s->f, s->key_names[i]);
    s->time_idx = iot_fields_add(s->f, cfg->time_field ? cfg->time_field : "timestamp");
    s->mt_idx = iot_fields_add(s->f, "messageType");
    s->vals = iot_xcalloc((size_t)iot_fields_count(s->f) + 1, sizeof *s->vals);
    for (int i = 0; i < s->nkey && s->nown < 6; i++) s->own[s->nown++] = s->key_names[i];
    s->own[s->nown++] = iot_fields_path(s->f, s->time_idx);
    s->own[s->nown++] = "messageType";
    for (int i = 0; i < s->nown; i++) s->own_len[i] = strlen(s->own[i]);
    return s;
}

/* --- top-level members of a line that iot_rec_scan has validated --- */

static inline bool ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static const char *skip_ws(const char *p, const char *e) { while (p < e && ws(*p)) p++; return p; }
/* p at an opening quote; returns just past the closing one (a quote preceded by an even run
 * of backslashes). memchr does the scanning. */
static const char *skip_str(const char *p, const char *e)
{
    const char *start = ++p;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        if (!q) return e;
        const char *b = q;
        while (b > start && b[-1] == '\\') b--;
        if (((q - b) & 1) == 0) return q + 1;
        p = q + 1;
    }
}
static const char *skip_val(const char *p, const char *e)
{
    if (*p == '"') return skip_str(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            char c = *p;
            if (c == '"') { p = skip_str(p, e); continue; }
            if (c == '{' || c == '[') depth++;
            else if ((c == '}' || c == ']') && --depth == 0) return p + 1;
            p++;
        }
        return e;
    }
    while (p < e && *p != ',' && *p != '}' && !ws(*p)) p++;
    return p;
}
static uint8_t jtype(char c)
{
    switch (c) {
    case '"': return IOT_J_STR;
    case '{': return IOT_J_OBJ;
    case '[': return IOT_J_ARR;
    case 't': return IOT_J_TRUE;
    case 'f': return IOT_J_FALSE;
    case 'n': return IOT_J_NULL;
    default: return IOT_J_NUM;
    }
}

/* Calls fn for each member of the object in line: unescaped name, raw value text. */
struct member { const char *name; size_t nlen; const char *v; size_t vlen; uint8_t type; };
static int next_member(struct iot_devstate *s, const char **pp, const char *e, struct member *m)
{
    const char *p = skip_ws(*pp, e);
    if (p >= e || *p == '}') return 0;
    if (*p == '{' || *p == ',') p = skip_ws(p + 1, e);
    if (p >= e || *p != '"') return 0;
    const char *ne = skip_str(p, e);
    if (memchr(p + 1, '\\', (size_t)(ne - p - 1))) {
        iot_buf_reset(&s->tmp);
        iot_json_unquote(p, (size_t)(ne - p), &s->tmp);
        m->name = s->tmp.p;
        m->nlen = s->tmp.len;
    } else {
        m->name = p + 1;
        m->nlen = (size_t)(ne - p - 2);
    }
    p = skip_ws(ne, e);
    p = skip_ws(p + 1, e);           /* ':' */
    m->v = p;
    p = skip_val(p, e);
    m->vlen = (size_t)(p - m->v);
    m->type = jtype(*m->v);
    *pp = p;
    return 1;
}

/* --- records written: changes and commands --- */

static void put_keys(struct iot_devstate *s, const struct iot_dev *d, struct iot_buf *b)
{
    for (int i = 0; i < s->nkey; i++) {
        if (i) iot_buf_addc(b, ',');
        iot_buf_json_str(b, s->key_names[i], strlen(s->key_names[i]));
        iot_buf_addc(b, ':');
        if (iot_key_json(b, d->key, d->klen, i)) iot_buf_adds(b, "null");
    }
}
static void put_time(struct iot_buf *b, int64_t t)
{
    char tb[48];
    size_t n = iot_time_fmt(t, tb);
    iot_buf_json_str(b, tb, n);
}
static void emit(struct iot_devstate *s)
{
    iot_out_write(s->out, s->ob.p, s->ob.len);
    iot_out_eol(s->out);
}
static void change(struct iot_devstate *s, const struct iot_dev *d, const char *what, int64_t t,
                   const struct iot_devprop *p, const char *from, size_t flen)
{
    if (!s->cfg.changes || !s->out) return;
    struct iot_buf *b = &s->ob;
    iot_buf_reset(b);
    iot_buf_addc(b, '{');
    put_keys(s, d, b);
    iot_buf_adds(b, ",\"messageType\":\"stateChange\",\"change\":");
    iot_buf_json_str(b, what, strlen(what));
    if (p) {
        iot_buf_adds(b, ",\"field\":");
        iot_buf_json_str(b, p->name, p->nlen);
        iot_buf_adds(b, ",\"from\":");
        if (from) iot_buf_add(b, from, flen);
        else iot_buf_adds(b, "null");
        iot_buf_adds(b, ",\"to\":");
        iot_buf_add(b, p->val, p->vlen);
    }
    iot_buf_adds(b, ",\"timestamp\":");
    put_time(b, t);
    iot_buf_addc(b, '}');
    emit(s);
    iot_stat_add("changes", 1);
}

static void mark(struct iot_devstate *s, struct iot_dev *d)
{
    d->dirty = true;
    if (d->listed) return;
    if (s->ndirty == s->capdirty) {
        s->capdirty = s->capdirty ? 2 * s->capdirty : 1024;
        s->dirty = iot_xrealloc(s->dirty, s->capdirty * sizeof *s->dirty);
    }
    s->dirty[s->ndirty++] = d;
    d->listed = true;
}

static struct iot_devprop *prop(struct iot_devprop **arr, int *n, int *cap, int *hint, const char *name, size_t nlen)
{
    int h = hint ? *hint : 0;
    if (h < *n && (*arr)[h].nlen == nlen && memcmp((*arr)[h].name, name, nlen) == 0) {
        if (hint) *hint = h + 1;
        return &(*arr)[h];
    }
    for (int i = 0; i < *n; i++)
        if ((*arr)[i].nlen == nlen && memcmp((*arr)[i].name, name, nlen) == 0) {
            if (hint) *hint = i + 1;
            return &(*arr)[i];
        }
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *arr = iot_xrealloc(*arr, (size_t)*cap * sizeof **arr);
        for (int i = 0; i < *n; i++) {          /* inline storage moved with the array */
            if ((*arr)[i].ninl) (*arr)[i].name = (*arr)[i].nbuf;
            if ((*arr)[i].vinl) (*arr)[i].val = (*arr)[i].vbuf;
        }
    }
    struct iot_devprop *p = &(*arr)[(*n)++];
    memset(p, 0, sizeof *p);
    p->ninl = nlen < sizeof p->nbuf;
    p->name = p->ninl ? p->nbuf : iot_xmalloc(nlen + 1);
    memcpy(p->name, name, nlen);
    p->name[nlen] = 0;
    p->nlen = (uint32_t)nlen;
    if (hint) *hint = *n;
    return p;
}

static void set_val(struct iot_devprop *p, const char *v, size_t n, uint8_t type, int64_t t)
{
    if (n < sizeof p->vbuf) {
        if (!p->vinl) free(p->val);
        p->vinl = 1;
        p->vcap = 0;
        p->val = p->vbuf;
    } else {
        if (p->vinl) { p->vinl = 0; p->val = NULL; }
        if (n + 1 > p->vcap) {
            p->vcap = (uint32_t)(n + 16);
            p->val = iot_xrealloc(p->val, p->vcap);
        }
    }
    memcpy(p->val, v, n);
    p->val[n] = 0;
    p->vlen = (uint32_t)n;
    p->type = type;
    p->t = t;
    p->dirty = 1;
}

static bool same_value(const char *a, size_t an, uint8_t at, const char *b, size_t bn, uint8_t bt)
{
    if (at == IOT_J_NUM && bt == IOT_J_NUM) return strtod(a, NULL) == strtod(b, NULL);
    return at == bt && an == bn && memcmp(a, b, an) == 0;
}

/* Twin reconciliation: a setProperties command with every desired property the device does not
 * report (yet), once per desired version, again after --retry of event time. */
static void reconcile(struct iot_devstate *s, struct iot_dev *d, int64_t t)
{
    if (!d->nd || !s->out) return;
    struct iot_buf *b = &s->ob;
    iot_buf_reset(b);
    int miss = 0;
    for (int i = 0; i < d->nd; i++) {
        const struct iot_devprop *w = &d->d[i], *r = NULL;
        for (int j = 0; j < d->np && !r; j++)
            if (d->p[j].nlen == w->nlen && memcmp(d->p[j].name, w->name, w->nlen) == 0) r = &d->p[j];
        if (r && same_value(r->val, r->vlen, r->type, w->val, w->vlen, w->type)) continue;
        iot_buf_addc(b, miss++ ? ',' : '{');
        iot_buf_json_str(b, w->name, w->nlen);
        iot_buf_addc(b, ':');
        iot_buf_add(b, w->val, w->vlen);
    }
    if (!miss) {
        if (d->cmd_version == d->dversion && d->cmd_attempts) {
            iot_stat_add("twins_reconciled", 1);
            d->cmd_attempts = 0;
        }
        return;
    }
    bool fresh = d->cmd_version != d->dversion;
    if (!fresh && !(s->cfg.retry && d->cmd_attempts && t - d->cmd_time >= s->cfg.retry)) return;
    if (fresh) d->cmd_attempts = 0;
    d->cmd_attempts++;
    d->cmd_version = d->dversion;
    d->cmd_time = t;
    iot_buf_addc(b, '}');
    struct iot_buf *c = &s->kb;       /* the key buffer is free again once the device is found */
    iot_buf_reset(c);
    iot_buf_addc(c, '{');
    put_keys(s, d, c);
    iot_buf_addf(c, ",\"messageType\":\"command\",\"command\":\"setProperties\",\"commandId\":\"twin-%lld-%lld\",\"properties\":",
                 (long long)d->dversion, (long long)d->cmd_attempts);
    iot_buf_add(c, b->p, b->len);
    iot_buf_addf(c, ",\"version\":%lld,\"timestamp\":", (long long)d->dversion);
    put_time(c, t);
    iot_buf_addc(c, '}');
    iot_out_write(s->out, c->p, c->len);
    iot_out_eol(s->out);
    iot_stat_add(fresh ? "commands" : "commands_retried", 1);
}

static bool is_own(struct iot_devstate *s, const struct member *m)
{
    for (int i = 0; i < s->nown; i++)
        if (s->own_len[i] == m->nlen && memcmp(s->own[i], m->name, m->nlen) == 0) return true;
    return false;
}

static int add(struct iot_devstate *s, const char *line, size_t len, const struct iot_src *src, bool desired)
{
    const char *why;
    if (iot_rec_read(s->f, line, len, s->vals, src) < 0)
        return -1;
    desired = desired || iot_val_streq(&s->vals[s->mt_idx], "desired", 7);
    const struct iot_val *tv = &s->vals[s->time_idx];
    int64_t t = s->wm;
    if (tv->type == IOT_J_ABSENT || tv->type == IOT_J_NULL) {
        if (!desired) {
            iot_reject(src, line, len, "missing time", "%s: missing", iot_fields_path(s->f, s->time_idx));
            return -1;
        }
    } else if (iot_val_time(tv, s->cfg.time_unit, &t, &why)) {
        iot_reject(src, line, len, "bad time", "%s: %s", iot_fields_path(s->f, s->time_idx), why);
        return -1;
    }
    const char *key;
    size_t klen;
    if (iot_key_view(&s->kb, s->vals, s->key_idx, s->nkey, &key, &klen) == 0) {
        iot_reject(src, line, len, "missing key", "%s: missing", s->cfg.key ? s->cfg.key : "deviceId");
        return -1;
    }
    int created;
    struct iot_dev *d = iot_keytab_get(s->tab, key, klen, &created);
    if (!d) iot_die(IOT_EX_DATAERR, "%s:%lld: more than %zu devices (--max-keys)", src->file, (long long)src->line, s->cfg.max_keys);
    if (created) {
        d->key = iot_keytab_key(d, &d->klen);
        struct iot_buf *b = &s->tmp;
        iot_buf_reset(b);
        if (s->nkey > 1) iot_buf_addc(b, '[');
        for (int i = 0; i < s->nkey; i++) {
            if (i) iot_buf_addc(b, ',');
            iot_key_json(b, d->key, d->klen, i);
        }
        if (s->nkey > 1) iot_buf_addc(b, ']');
        d->key_json = iot_xstrdup(b->p);
    }
    if (!s->have_wm || t > s->wm) {
        s->wm = t;
        if (!s->have_wm) s->next_sweep = t;
        s->have_wm = true;
        /* before this record: a device silent until now went offline on the way here */
        if (s->cfg.offline_after && s->wm >= s->next_sweep) iot_devstate_sweep(s);
    }
    const char *p = line, *e = line + len;
    struct member m;
    if (desired) {
        d->dversion++;
        while (next_member(s, &p, e, &m)) {
            if (is_own(s, &m)) continue;
            struct iot_devprop *w = prop(&d->d, &d->nd, &d->capd, NULL, m.name, m.nlen);
            set_val(w, m.v, m.vlen, m.type, t);
        }
        d->ddirty = true;
        mark(s, d);
        iot_stat_add("desired", 1);
        reconcile(s, d, t);
        return 0;
    }
    if (d->count == 0 || t < d->first) d->first = t;
    if (d->count == 0 || t >= d->last) {
        d->last = t;
        if (!d->online) {
            d->online = true;
            d->status_since = t;
            change(s, d, "online", t, NULL, NULL, 0);
        }
    }
    d->count++;
    mark(s, d);
    while (next_member(s, &p, e, &m)) {
        if (is_own(s, &m)) continue;
        struct iot_devprop *r = prop(&d->p, &d->np, &d->capp, &d->hint, m.name, m.nlen);
        if (r->vlen && t < r->t) { iot_stat_add("older_values_kept", 1); continue; }
        if (s->cfg.changes) {
            bool changed;
            if (m.type == IOT_J_NUM && (r->hasref || !r->vlen)) {
                double v = strtod(m.v, NULL);
                changed = !r->hasref || fabs(v - r->ref) > s->cfg.deadband;
                if (changed) { r->ref = v; r->hasref = 1; }
            } else {
                changed = !same_value(r->val, r->vlen, r->type, m.v, m.vlen, m.type) || !r->vlen;
                r->hasref = 0;
            }
            if (changed) {
                char *old = r->vlen ? iot_xstrdup(r->val) : NULL;
                size_t olen = r->vlen;
                set_val(r, m.v, m.vlen, m.type, t);
                change(s, d, "field", t, r, old, olen);
                free(old);
                continue;
            }
        }
        set_val(r, m.v, m.vlen, m.type, t);
    }
    reconcile(s, d, t);
    return 0;
}

int iot_devstate_add(struct iot_devstate *s, const char *line, size_t len, const struct iot_src *src)
{
    return add(s, line, len, src, false);
}

int iot_devstate_add_desired(struct iot_devstate *s, const char *line, size_t len, const struct iot_src *src)
{
    return add(s, line, len, src, true);
}

void iot_devstate_advance(struct iot_devstate *s, int64_t dt)
{
    if (!s->have_wm || dt <= 0) return;
    s->wm = dt > INT64_MAX - s->wm ? INT64_MAX : s->wm + dt;
    iot_devstate_sweep(s);
}

void iot_devstate_sweep(struct iot_devstate *s)
{
    if (!s->cfg.offline_after || !s->have_wm) return;
    size_t pos = 0;
    struct iot_dev *d;
    while ((d = iot_keytab_next(s->tab, &pos)))
        if (d->online && d->count && s->wm - d->last > s->cfg.offline_after) {
            d->online = false;
            d->status_since = d->last + s->cfg.offline_after;
            mark(s, d);
            change(s, d, "offline", d->status_since, NULL, NULL, 0);
            iot_stat_add("went_offline", 1);
        }
    int64_t step = s->cfg.offline_after / 16;
    s->next_sweep = s->wm + (step > 0 ? step : 1);
}

struct iot_dev *iot_devstate_next_dirty(struct iot_devstate *s, size_t *pos)
{
    return *pos < s->ndirty ? s->dirty[(*pos)++] : NULL;
}

void iot_devstate_clean(struct iot_devstate *s)
{
    for (size_t i = 0; i < s->ndirty; i++) {
        struct iot_dev *d = s->dirty[i];
        for (int j = 0; j < d->np; j++) d->p[j].dirty = 0;
        for (int j = 0; j < d->nd; j++) d->d[j].dirty = 0;
        d->dirty = d->ddirty = d->listed = false;
    }
    s->ndirty = 0;
}

size_t iot_devstate_dirty_count(const struct iot_devstate *s) { return s->ndirty; }
size_t iot_devstate_count(const struct iot_devstate *s) { return iot_keytab_count(s->tab); }
struct iot_dev **iot_devstate_sorted(struct iot_devstate *s, size_t *n)
{
    return (struct iot_dev **)iot_keytab_sorted(s->tab, n);
}

struct iot_dev *iot_devstate_restore(struct iot_devstate *s, const char *key, size_t klen, const char *key_json)
{
    int created;
    struct iot_dev *d = iot_keytab_get(s->tab, key, klen, &created);
    if (d && created) {
        d->key = iot_keytab_key(d, &d->klen);
        d->key_json = iot_xstrdup(key_json);
    }
    return d;
}

void iot_devstate_restore_prop(struct iot_dev *d, bool desired, const char *name, size_t nlen,
                               const char *val, size_t vlen, int64_t t)
{
    struct iot_devprop *p = desired ? prop(&d->d, &d->nd, &d->capd, NULL, name, nlen)
                                    : prop(&d->p, &d->np, &d->capp, NULL, name, nlen);
    set_val(p, val, vlen, jtype(vlen ? *val : 'n'), t);
    p->dirty = 0;
    if (p->type == IOT_J_NUM) { p->ref = strtod(p->val, NULL); p->hasref = 1; }
}

void iot_devstate_restored(struct iot_devstate *s)
{
    size_t pos = 0;
    struct iot_dev *d;
    while ((d = iot_keytab_next(s->tab, &pos)))
        if (d->count && (!s->have_wm || d->last > s->wm)) {
            s->wm = d->last;
            s->have_wm = true;
        }
    s->next_sweep = s->wm;
}

static int by_name(const void *a, const void *b)
{
    const struct iot_devprop *x = *(const struct iot_devprop *const *)a, *y = *(const struct iot_devprop *const *)b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

/* Members in name byte order, as the database returns them, so a snapshot and --list agree. */
static void put_props(struct iot_buf *b, const struct iot_devprop *arr, int n, bool times)
{
    const struct iot_devprop *one[16], **v = n <= 16 ? one : iot_xmalloc((size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) v[i] = &arr[i];
    qsort(v, (size_t)n, sizeof *v, by_name);
    iot_buf_addc(b, '{');
    for (int k = 0; k < n; k++) {
        const struct iot_devprop *p = v[k];
        if (k) iot_buf_addc(b, ',');
        iot_buf_json_str(b, p->name, p->nlen);
        iot_buf_addc(b, ':');
        if (times) put_time(b, p->t);
        else iot_buf_add(b, p->val, p->vlen);
    }
    iot_buf_addc(b, '}');
    if (v != one) free(v);
}

void iot_devstate_format(const struct iot_devstate *s, const struct iot_dev *d, struct iot_buf *b)
{
    iot_buf_addc(b, '{');
    put_keys((struct iot_devstate *)s, d, b);
    if (d->count) {
        iot_buf_adds(b, d->online ? ",\"status\":\"online\",\"statusSince\":" : ",\"status\":\"offline\",\"statusSince\":");
        put_time(b, d->status_since);
        iot_buf_adds(b, ",\"firstSeen\":");
        put_time(b, d->first);
        iot_buf_adds(b, ",\"lastSeen\":");
        put_time(b, d->last);
    } else {
        iot_buf_adds(b, ",\"status\":\"never seen\"");
    }
    iot_buf_addf(b, ",\"records\":%lld,\"reported\":", (long long)d->count);
    put_props(b, d->p, d->np, false);
    iot_buf_adds(b, ",\"reportedAt\":");
    put_props(b, d->p, d->np, true);
    iot_buf_adds(b, ",\"desired\":");
    put_props(b, d->d, d->nd, false);
    iot_buf_addf(b, ",\"desiredVersion\":%lld}", (long long)d->dversion);
}

static void free_props(struct iot_devprop *p, int n)
{
    for (int i = 0; i < n; i++) {
        if (!p[i].ninl) free(p[i].name);
        if (!p[i].vinl) free(p[i].val);
    }
    free(p);
}
static void free_dev(void *v)
{
    struct iot_dev *d = v;
    free_props(d->p, d->np);
    free_props(d->d, d->nd);
    free(d->key_json);
}

void iot_devstate_free(struct iot_devstate *s)
{
    if (!s) return;
    iot_keytab_free(s->tab, free_dev);
    iot_fields_free(s->f);
    iot_strv_free(s->key_names);
    free(s->key_idx);
    free(s->vals);
    free(s->dirty);
    iot_buf_free(&s->kb);
    iot_buf_free(&s->ob);
    iot_buf_free(&s->tmp);
    free(s);
}
