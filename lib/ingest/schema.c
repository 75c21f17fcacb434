/* schema: JSON Schema subset compiled to a flat list of checks over field indices. */
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "schema.h"
#include "core/diag.h"
#include "core/out.h"

enum { T_OBJ = 1, T_ARR = 2, T_STR = 4, T_NUM = 8, T_INT = 16, T_BOOL = 32, T_NULL = 64 };

struct ev { int type; double num; char *str; size_t len; };   /* one enum member */

struct prop {
    char *path;
    int idx, parent;          /* field index; the enclosing object's prop (-1 = the record) */
    int required, types;
    int has_min, has_max, has_xmin, has_xmax;
    double min, max, xmin, xmax;
    long minlen, maxlen;      /* -1 = none */
    struct ev *en;
    int nen;                  /* -1 = no enum */
    regex_t re;
    int has_re;
    char *pattern;
};

struct iot_schema {
    struct prop *p;
    int n, cap;
    const char *name;
};

static _Noreturn void bad(const char *name, const char *fmt, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    iot_die(IOT_EX_USAGE, "%s: %s", name, msg);
}

static int type_bit(const char *name, const char *t)
{
    static const char *n[] = { "object", "array", "string", "number", "integer", "boolean", "null" };
    for (int i = 0; i < 7; i++)
        if (strcmp(t, n[i]) == 0)
            return 1 << i;
    bad(name, "unknown type \"%s\"", t);
}

static int types_of(const char *name, json_t *t)
{
    if (json_is_string(t))
        return type_bit(name, json_string_value(t));
    if (!json_is_array(t) || json_array_size(t) == 0)
        bad(name, "%s: must be a type name or an array of them", "type");
    int m = 0;
    size_t i;
    json_t *x;
    json_array_foreach(t, i, x) {
        if (!json_is_string(x))
            bad(name, "%s: must be a type name or an array of them", "type");
        m |= type_bit(name, json_string_value(x));
    }
    return m;
}

static double number_kw(const char *name, json_t *o, const char *kw, int *has)
{
    json_t *v = json_object_get(o, kw);
    *has = v != NULL;
    if (v && !json_is_number(v))
        bad(name, "%s: must be a number", kw);
    return v ? json_number_value(v) : 0;
}

static long length_kw(const char *name, json_t *o, const char *kw)
{
    json_t *v = json_object_get(o, kw);
    if (!v)
        return -1;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        bad(name, "%s: must be a non-negative integer", kw);
    return (long)json_integer_value(v);
}

static void compile_obj(struct iot_schema *s, struct iot_fields *f, json_t *o, const char *prefix,
                        int parent);

static void check_keywords(const char *name, json_t *o)
{
    static const char *ok[] = { "type", "required", "properties", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "enum", "pattern", "minLength", "maxLength",
        "$schema", "$id", "id", "title", "description", "$comment", "default", "examples", 0 };
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int found = 0;
        for (int i = 0; ok[i]; i++)
            if (strcmp(k, ok[i]) == 0)
                found = 1;
        if (!found)
            bad(name, "unsupported keyword \"%s\" (see iot-ingest(1), SCHEMA)", k);
    }
}

static int add_prop(struct iot_schema *s, struct iot_fields *f, const char *path, json_t *o,
                    int parent, int required)
{
    const char *name = s->name;
    if (!json_is_object(o))
        bad(name, "property %s: schema must be an object", path);
    check_keywords(name, o);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->p = iot_xrealloc(s->p, sizeof *s->p * (size_t)s->cap);
    }
    int me = s->n++;
    struct prop *p = &s->p[me];
    memset(p, 0, sizeof *p);
    p->path = iot_xstrdup(path);
    p->idx = iot_fields_add(f, path);
    p->parent = parent;
    p->required = required;
    json_t *t = json_object_get(o, "type");
    p->types = t ? types_of(name, t) : 0;
    p->min = number_kw(name, o, "minimum", &p->has_min);
    p->max = number_kw(name, o, "maximum", &p->has_max);
    p->xmin = number_kw(name, o, "exclusiveMinimum", &p->has_xmin);
    p->xmax = number_kw(name, o, "exclusiveMaximum", &p->has_xmax);
    p->minlen = length_kw(name, o, "minLength");
    p->maxlen = length_kw(name, o, "maxLength");
    p->nen = -1;
    json_t *en = json_object_get(o, "enum");
    if (en) {
        if (!json_is_array(en))
            bad(name, "%s: must be an array", "enum");
        p->nen = (int)json_array_size(en);
        p->en = iot_xcalloc((size_t)(p->nen ? p->nen : 1), sizeof *p->en);
        size_t i;
        json_t *x;
        json_array_foreach(en, i, x) {
            struct ev *e = &p->en[i];
            if (json_is_string(x)) {
                e->type = T_STR;
                e->len = json_string_length(x);
                e->str = iot_xmalloc(e->len + 1);
                memcpy(e->str, json_string_value(x), e->len + 1);
            } else if (json_is_number(x)) {
                e->type = T_NUM, e->num = json_number_value(x);
            } else if (json_is_boolean(x)) {
                e->type = T_BOOL, e->num = json_is_true(x);
            } else if (json_is_null(x)) {
                e->type = T_NULL;
            } else {
                bad(name, "%s: only strings, numbers, booleans and null are supported", "enum");
            }
        }
    }
    json_t *pat = json_object_get(o, "pattern");
    if (pat) {
        if (!json_is_string(pat))
            bad(name, "%s: must be a string", "pattern");
        p->pattern = iot_xstrdup(json_string_value(pat));
        if (regcomp(&p->re, p->pattern, REG_EXTENDED | REG_NOSUB) != 0)
            bad(name, "pattern \"%s\" is not a POSIX extended regular expression", p->pattern);
        p->has_re = 1;
    }
    if (json_object_get(o, "properties") || json_object_get(o, "required"))
        compile_obj(s, f, o, path, me);
    return me;
}

static void compile_obj(struct iot_schema *s, struct iot_fields *f, json_t *o, const char *prefix,
                        int parent)
{
    const char *name = s->name;
    json_t *props = json_object_get(o, "properties"), *req = json_object_get(o, "required");
    if (props && !json_is_object(props))
        bad(name, "%s: must be an object", "properties");
    if (req && !json_is_array(req))
        bad(name, "%s: must be an array of names", "required");
    struct iot_buf path = { 0 };
    const char *k;
    json_t *v;
    json_object_foreach(props, k, v) {
        iot_buf_reset(&path);
        if (prefix)
            iot_buf_addf(&path, "%s.", prefix);
        iot_buf_adds(&path, k);
        int required = 0;
        size_t i;
        json_t *r;
        json_array_foreach(req, i, r)
            if (json_is_string(r) && strcmp(json_string_value(r), k) == 0)
                required = 1;
        add_prop(s, f, path.p, v, parent, required);
    }
    size_t i;
    json_t *r;
    json_array_foreach(req, i, r) {   /* required names without a property schema */
        if (!json_is_string(r))
            bad(name, "%s: must be an array of names", "required");
        if (json_object_get(props, json_string_value(r)))
            continue;
        iot_buf_reset(&path);
        if (prefix)
            iot_buf_addf(&path, "%s.", prefix);
        iot_buf_adds(&path, json_string_value(r));
        json_t *empty = json_object();
        add_prop(s, f, path.p, empty, parent, 1);
        json_decref(empty);
    }
    iot_buf_free(&path);
}

static struct iot_schema *compile_root(json_t *root, const char *name, struct iot_fields *f)
{
    if (!json_is_object(root))
        bad(name, "%s", "a schema must be a JSON object");
    check_keywords(name, root);
    json_t *t = json_object_get(root, "type");
    if (t && types_of(name, t) != T_OBJ)
        bad(name, "%s", "the top-level type must be \"object\" (one record is one object)");
    struct iot_schema *s = iot_xcalloc(1, sizeof *s);
    s->name = iot_xstrdup(name);
    compile_obj(s, f, root, NULL, -1);
    return s;
}

struct iot_schema *iot_schema_compile(const char *text, const char *name, struct iot_fields *f)
{
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        iot_die(IOT_EX_USAGE, "%s:%d: %s", name, je.line, je.text);
    struct iot_schema *s = compile_root(root, name, f);
    json_decref(root);
    return s;
}

struct iot_schema *iot_schema_load(const char *path, struct iot_fields *f)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        iot_die(IOT_EX_USAGE, "%s:%d: %s", path, je.line, je.text);
    struct iot_schema *s = compile_root(root, path, f);
    json_decref(root);
    return s;
}

static int type_of_val(const struct iot_val *v)
{
    switch (v->type) {
    case IOT_J_OBJ: return T_OBJ;
    case IOT_J_ARR: return T_ARR;
    case IOT_J_STR: return T_STR;
    case IOT_J_NUM: return T_NUM;
    case IOT_J_TRUE: case IOT_J_FALSE: return T_BOOL;
    case IOT_J_NULL: return T_NULL;
    }
    return 0;
}

static void type_names(struct iot_buf *b, int m)
{
    static const char *n[] = { "object", "array", "string", "number", "integer", "boolean", "null" };
    int first = 1;
    for (int i = 0; i < 7; i++)
        if (m & (1 << i)) {
            iot_buf_adds(b, first ? "" : " or ");
            iot_buf_adds(b, n[i]);
            first = 0;
        }
}

/* The value's text in a message: raw JSON, cut at 40 bytes. */
static void show(struct iot_buf *b, const struct iot_val *v)
{
    size_t n = v->n > 40 ? 40 : v->n;
    iot_buf_add(b, v->p, n);
    if (n < v->n)
        iot_buf_adds(b, "...");
}

static void num(struct iot_buf *b, double x)
{
    char t[32];
    int n = iot_fmt_double(t, x);
    iot_buf_add(b, t, (size_t)n);
}

static int fail_num(struct iot_buf *why, const struct prop *p, const struct iot_val *v,
                    const char *what, double lim)
{
    iot_buf_addf(why, "%s: ", p->path);
    show(why, v);
    iot_buf_addf(why, " %s ", what);
    num(why, lim);
    return -1;
}

int iot_schema_check(const struct iot_schema *s, const struct iot_val *vals, struct iot_buf *why)
{
    static struct iot_buf str;
    iot_buf_reset(why);
    for (int i = 0; i < s->n; i++) {
        const struct prop *p = &s->p[i];
        if (p->parent >= 0 && type_of_val(&vals[s->p[p->parent].idx]) != T_OBJ)
            continue;       /* the enclosing object is absent or not an object */
        const struct iot_val *v = &vals[p->idx];
        int t = type_of_val(v);
        if (!t) {
            if (p->required) {
                iot_buf_addf(why, "%s: missing (required)", p->path);
                return -1;
            }
            continue;
        }
        double x = 0;
        if (t == T_NUM) {
            iot_val_num(v, &x);
            if (x == floor(x) && isfinite(x))
                t |= T_INT;
        }
        if (p->types && !(p->types & t)) {
            iot_buf_addf(why, "%s: expected ", p->path);
            type_names(why, p->types);
            iot_buf_adds(why, ", got ");
            show(why, v);
            return -1;
        }
        if (t & T_NUM) {
            if (p->has_min && x < p->min) return fail_num(why, p, v, "below minimum", p->min);
            if (p->has_max && x > p->max) return fail_num(why, p, v, "above maximum", p->max);
            if (p->has_xmin && x <= p->xmin) return fail_num(why, p, v, "not above exclusiveMinimum", p->xmin);
            if (p->has_xmax && x >= p->xmax) return fail_num(why, p, v, "not below exclusiveMaximum", p->xmax);
        }
        int have_str = 0;
        if (t == T_STR && (p->has_re || p->minlen >= 0 || p->maxlen >= 0 || p->nen >= 0)) {
            iot_buf_reset(&str);
            iot_val_str(v, &str);
            have_str = 1;
            if (p->minlen >= 0 && str.len < (size_t)p->minlen) {
                iot_buf_addf(why, "%s: shorter than minLength %ld", p->path, p->minlen);
                return -1;
            }
            if (p->maxlen >= 0 && str.len > (size_t)p->maxlen) {
                iot_buf_addf(why, "%s: longer than maxLength %ld", p->path, p->maxlen);
                return -1;
            }
            if (p->has_re && (memchr(str.p, 0, str.len) ||
                              regexec(&p->re, str.p, 0, NULL, 0) != 0)) {
                iot_buf_addf(why, "%s: ", p->path);
                show(why, v);
                iot_buf_addf(why, " does not match pattern %s", p->pattern);
                return -1;
            }
        }
        if (p->nen >= 0) {
            int hit = 0;
            for (int j = 0; j < p->nen && !hit; j++) {
                const struct ev *e = &p->en[j];
                if (e->type == T_STR)
                    hit = have_str && str.len == e->len && memcmp(str.p, e->str, e->len) == 0;
                else if (e->type == T_NUM)
                    hit = (t & T_NUM) && x == e->num;
                else if (e->type == T_BOOL)
                    hit = t == T_BOOL && (v->type == IOT_J_TRUE) == (e->num != 0);
                else
                    hit = t == T_NULL;
            }
            if (!hit) {
                iot_buf_addf(why, "%s: ", p->path);
                show(why, v);
                iot_buf_adds(why, " not in enum");
                return -1;
            }
        }
    }
    return 0;
}

void iot_schema_free(struct iot_schema *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        struct prop *p = &s->p[i];
        free(p->path);
        for (int j = 0; j < p->nen; j++)
            free(p->en[j].str);
        free(p->en);
        if (p->has_re)
            regfree(&p->re);
        free(p->pattern);
    }
    free(s->p);
    free((char *)s->name);
    free(s);
}
