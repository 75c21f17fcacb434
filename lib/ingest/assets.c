/* assets: registry in a keytab; each asset's members pre-rendered as JSON text. jansson is fine
 * here: the registry is read once and is small next to the stream. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "assets.h"
#include "csvin.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/keytab.h"
#include "core/out.h"

struct ent { char *json; size_t len; struct iot_asset_member *m; int nm; };

struct iot_assets { struct iot_keytab *t; char **names; int nnames; };

/* The index of an appended member's name, added once. */
static int name_index(struct iot_assets *a, const char *name, size_t n)
{
    for (int i = 0; i < a->nnames; i++)
        if (strlen(a->names[i]) == n && memcmp(a->names[i], name, n) == 0) return i;
    a->names = iot_xrealloc(a->names, (size_t)(a->nnames + 2) * sizeof *a->names);
    a->names[a->nnames] = iot_xmalloc(n + 1);
    memcpy(a->names[a->nnames], name, n);
    a->names[a->nnames][n] = 0;
    a->names[a->nnames + 1] = NULL;
    return a->nnames++;
}

const char *const *iot_assets_members(const struct iot_assets *a, int *n)
{
    *n = a->nnames;
    return (const char *const *)a->names;
}

static void put_value(struct iot_buf *b, json_t *v)
{
    if (json_is_real(v)) {
        char t[32];
        iot_buf_add(b, t, (size_t)iot_fmt_double(t, json_real_value(v)));
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s)
        iot_die(IOT_EX_SOFTWARE, "assets: cannot render a value");
    iot_buf_adds(b, s);
    free(s);
}

/* The key part of a JSON value, as iot_key_part gives it for the same text in a record. */
static int key_form(json_t *v, struct iot_buf *b)
{
    if (json_is_string(v)) {
        iot_buf_add(b, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (json_is_object(v) || json_is_array(v))
        return -1;
    iot_buf_addc(b, '\x1e');
    put_value(b, v);
    return 0;
}

static void add(struct iot_assets *a, json_t *o, char **keys, int nkeys, const char *prefix,
                const struct iot_src *src)
{
    struct iot_buf k = { 0 }, j = { 0 };
    for (int i = 0; i < nkeys; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (i)
            iot_buf_addc(&k, '\x1f');
        if (!v || key_form(v, &k) < 0)
            iot_die(IOT_EX_DATAERR, "%s:%lld: asset without a usable key field \"%s\"", src->file,
                    (long long)src->line, keys[i]);
    }
    struct iot_asset_member *m = NULL;
    int nm = 0;
    if (!prefix) {
        iot_buf_adds(&j, "\"asset\":{");
        m = iot_xcalloc(1, sizeof *m);
        m[nm++] = (struct iot_asset_member){ name_index(a, "asset", 5), 0, 0 };
    }
    const char *name;
    json_t *v;
    int n = 0;
    json_object_foreach(o, name, v) {
        int is_key = 0;
        for (int i = 0; i < nkeys; i++)
            if (strcmp(name, keys[i]) == 0)
                is_key = 1;
        if (is_key)
            continue;
        if (n++)
            iot_buf_addc(&j, ',');
        size_t at = j.len;
        if (prefix) {
            struct iot_buf pn = { 0 };
            iot_buf_adds(&pn, prefix);
            iot_buf_adds(&pn, name);
            iot_buf_json_str(&j, pn.p, pn.len);
            m = iot_xrealloc(m, (size_t)(nm + 1) * sizeof *m);
            m[nm++] = (struct iot_asset_member){ name_index(a, pn.p, pn.len), (uint32_t)at, 0 };
            iot_buf_free(&pn);
        } else {
            iot_buf_json_str(&j, name, strlen(name));
        }
        iot_buf_addc(&j, ':');
        put_value(&j, v);
        if (prefix) m[nm - 1].len = (uint32_t)(j.len - at);
    }
    if (!prefix) {
        iot_buf_addc(&j, '}');
        m[0].len = (uint32_t)j.len;
    }
    int created;
    struct ent *e = iot_keytab_get(a->t, k.p ? k.p : "", k.len, &created);
    if (!created) {
        free(e->json);
        free(e->m);
    }
    e->json = j.p ? j.p : iot_xstrdup("");
    e->len = j.len;
    e->m = m;
    e->nm = nm;
    iot_buf_free(&k);
}

static int is_csv(const char *path, struct iot_reader *r)
{
    size_t n = strlen(path);
    if ((n >= 4 && strcmp(path + n - 4, ".csv") == 0) || (n >= 8 && strcmp(path + n - 8, ".csv.zst") == 0))
        return 1;
    const char *b;
    size_t len;
    iot_reader_peek(r, &b, &len);
    size_t i = 0;
    if (len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < len && b[i] != '{';
}

struct iot_assets *iot_assets_load(const char *path, char **keys, int nkeys, const char *prefix)
{
    struct iot_assets *a = iot_xcalloc(1, sizeof *a);
    a->t = iot_keytab_new(sizeof(struct ent), 0);
    /* The registry's lines are not stream input: keep lines_in for the records. */
    int64_t lines0 = iot_stat_lines_in;
    struct iot_reader *r = iot_reader_open(path, 0);
    int csv = is_csv(path, r);
    struct iot_csvin *c = csv ? iot_csvin_new(',', NULL, 0, 0) : NULL;
    struct iot_buf rec = { 0 };
    char *line;
    size_t len;
    struct iot_src src;
    while (iot_reader_next(r, &line, &len, &src)) {
        const char *text = line, *err;
        size_t tlen = len;
        if (c) {
            int k = iot_csvin_line(c, line, len, &rec, &err);
            if (k < 0)
                iot_die(IOT_EX_DATAERR, "%s:%lld: %s", src.file, (long long)src.line, err);
            if (k == 0)
                continue;
            text = rec.p, tlen = rec.len;
        } else if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 && src.line == 1) {
            text += 3, tlen -= 3;
        }
        json_error_t je;
        json_t *o = json_loadb(text, tlen, 0, &je);
        if (!o || !json_is_object(o))
            iot_die(IOT_EX_DATAERR, "%s:%lld: not a JSON object%s%s", src.file, (long long)src.line,
                    o ? "" : ": ", o ? "" : je.text);
        add(a, o, keys, nkeys, prefix, &src);
        json_decref(o);
    }
    const char *err;
    if (c && iot_csvin_finish(c, &err) < 0)
        iot_die(IOT_EX_DATAERR, "%s: %s", path, err);
    iot_csvin_free(c);
    iot_buf_free(&rec);
    iot_reader_close(r);
    iot_stat_lines_in = lines0;
    return a;
}

const char *iot_assets_find(const struct iot_assets *a, const char *key, size_t klen, size_t *len,
                            const struct iot_asset_member **m, int *nm)
{
    const struct ent *e = iot_keytab_find(a->t, key, klen);
    if (!e)
        return NULL;
    *len = e->len;
    *m = e->m;
    *nm = e->nm;
    return e->json;
}

size_t iot_assets_count(const struct iot_assets *a) { return iot_keytab_count(a->t); }

static void free_ent(void *v) { free(((struct ent *)v)->json); free(((struct ent *)v)->m); }

void iot_assets_free(struct iot_assets *a)
{
    if (!a)
        return;
    iot_keytab_free(a->t, free_ent);
    for (int i = 0; i < a->nnames; i++) free(a->names[i]);
    free(a->names);
    free(a);
}
