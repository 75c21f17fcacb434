/* ingest_input: NDJSON or CSV input of iot-ingest, checked record by record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/cli.h"
#include "csvin.h"
#include "core/in.h"
#include "ingest_input.h"
#include "core/merge.h"
#include "core/time.h"

struct iot_ingest_input {
    const struct iot_ingest_opts *o;
    const char *path;
    struct iot_reader *r;
    struct iot_csvin *c;        /* CSV input, or NULL */
    int first, done;
    struct iot_buf csvrec;      /* the record a CSV row became */
    struct iot_ingest_rec rec;
    struct iot_time_cache tc;
    int64_t bytes;
};

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int is_csv(const struct iot_ingest_input *in)
{
    if (in->o->format != IOT_FMT_AUTO)
        return in->o->format == IOT_FMT_CSV;
    static const char *const csv[] = { ".csv", ".tsv" }, *const json[] = { ".ndjson", ".jsonl", ".json" };
    char z[32];
    for (int zst = 0; zst < 2; zst++) {
        for (size_t i = 0; i < sizeof csv / sizeof *csv; i++)
            if (snprintf(z, sizeof z, "%s%s", csv[i], zst ? ".zst" : ""), has_suffix(in->path, z))
                return 1;
        for (size_t i = 0; i < sizeof json / sizeof *json; i++)
            if (snprintf(z, sizeof z, "%s%s", json[i], zst ? ".zst" : ""), has_suffix(in->path, z))
                return 0;
    }
    if (in->o->csv_cols)
        return 1;
    const char *b;
    size_t n, i = 0;
    iot_reader_peek(in->r, &b, &n);
    if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < n && b[i] != '{' && b[i] != '[';
}

struct iot_ingest_input *iot_ingest_input_open(const char *path, const struct iot_ingest_opts *o)
{
    struct iot_ingest_input *in = iot_xcalloc(1, sizeof *in);
    int n = iot_fields_count(o->fields);
    in->o = o;
    in->path = path;
    in->r = iot_reader_open(path, o->max_line);
    in->first = 1;
    in->rec.vals = iot_xcalloc((size_t)(n ? n : 1), sizeof *in->rec.vals);
    if (is_csv(in)) {
        iot_reader_keep_blank(in->r, 1);     /* an empty line may be inside a quoted field */
        in->c = iot_csvin_new(o->delim, o->csv_cols, o->ncsv_cols, o->max_line);
        iot_csvin_bind(in->c, o->fields, in->rec.vals);
    }
    return in;
}

const struct iot_ingest_rec *iot_ingest_input_rec(const struct iot_ingest_input *in) { return &in->rec; }
int iot_ingest_input_is_csv(const struct iot_ingest_input *in) { return in->c != NULL; }
int64_t iot_ingest_input_bytes(const struct iot_ingest_input *in) { return in->bytes; }

void iot_ingest_input_close(struct iot_ingest_input *in)
{
    if (!in)
        return;
    iot_csvin_free(in->c);
    iot_buf_free(&in->csvrec);
    free(in->rec.vals);
    iot_reader_close(in->r);
    free(in);
}

static void reject_csv(struct iot_ingest_input *in, const struct iot_src *at, const char *err)
{
    size_t rl;
    const char *raw = iot_csvin_raw(in->c, &rl);
    iot_reject(at, raw, rl, "bad csv", "%s", err);
}

/* The next line as a JSON object: 1 with the line and its length set (vals filled for CSV), 0 to read on,
 * -1 at the end. */
static int next_line(struct iot_ingest_input *in, const char **line, size_t *len)
{
    struct iot_ingest_rec *r = &in->rec;
    char *l;
    size_t n;
    const char *err;
    if (!iot_reader_next(in->r, &l, &n, &r->src)) {
        in->done = 1;
        if (in->c && iot_csvin_finish(in->c, &err) < 0) {
            /* the open row is one rejected row: its lines were counted as continuation lines,
             * the row itself now as one line in */
            iot_stat_lines_in++;
            iot_stat_add("csv_continuation_lines", -1);
            reject_csv(in, &r->src, err);
        }
        return -1;
    }
    in->bytes += (int64_t)n + 1;
    if (!in->c) {
        if (in->first && n >= 3 && memcmp(l, "\xEF\xBB\xBF", 3) == 0)
            l += 3, n -= 3;
        in->first = 0;
        *line = l, *len = n;
        return 1;
    }
    int k = iot_csvin_line(in->c, l, n, &in->csvrec, &err);
    if (k == 0) {
        /* lines_in counts CSV rows: a header or a continuation line is not one */
        iot_stat_lines_in--;
        iot_stat_add(iot_csvin_in_row(in->c) ? "csv_continuation_lines" : "csv_header_lines", 1);
        return 0;
    }
    r->src.line = iot_csvin_first_line(in->c);
    if (k < 0) {
        reject_csv(in, &r->src, err);
        return 0;
    }
    *line = in->csvrec.p, *len = in->csvrec.len;
    return 1;
}

const struct iot_ingest_rec *iot_ingest_input_next(struct iot_ingest_input *in)
{
    const struct iot_ingest_opts *o = in->o;
    struct iot_ingest_rec *r = &in->rec;
    const char *line, *err;
    size_t len;
    while (!in->done && !iot_stop_requested) {
        int k = next_line(in, &line, &len);
        if (k < 0)
            break;
        if (k == 0)
            continue;
        /* a CSV record is valid JSON by construction and its values are filled already */
        if (!in->c && iot_rec_read(o->fields, line, len, r->vals, &r->src) < 0)
            continue;
        const struct iot_val *tv = &r->vals[o->time_index];
        const char *tf = iot_fields_path(o->fields, o->time_index);
        if (tv->type == IOT_J_ABSENT) {
            iot_reject(&r->src, line, len, "missing time", "%s: missing", tf);
            continue;
        }
        if (iot_ingest_time(&in->tc, tv, o->time_unit, &r->t, &err) != 0) {
            iot_reject(&r->src, line, len, "bad time", "%s: %s", tf, err);
            continue;
        }
        int i;
        for (i = 0; i < o->nkeys && r->vals[o->key0 + i].type != IOT_J_ABSENT; i++)
            ;
        if (i < o->nkeys) {
            iot_reject(&r->src, line, len, "missing key", "%s: missing (key)",
                       iot_fields_path(o->fields, o->key0 + i));
            continue;
        }
        r->line = line, r->len = len;
        return r;
    }
    return NULL;
}

void iot_ingest_input_check(char **paths, int n, int merge)
{
    int nstdin = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(paths[i], "-") == 0)
            nstdin++;
        else if (access(paths[i], R_OK) != 0)
            iot_die(IOT_EX_NOINPUT, "%s: cannot open: %s", paths[i], strerror(errno));
    }
    if (merge && nstdin > 1)
        iot_usage("--merge: standard input can be read only once");
}

static int pull(void *ctx, int i, int64_t *t)
{
    struct iot_ingest_input **in = ctx;
    const struct iot_ingest_rec *r = iot_ingest_input_next(in[i]);
    if (r)
        *t = r->t;
    return r != NULL;
}

int64_t iot_ingest_input_each(char **paths, int n, int merge, const struct iot_ingest_opts *o,
                              void (*fn)(const struct iot_ingest_rec *r, void *ctx), void *ctx)
{
    struct iot_ingest_input **in = iot_xcalloc((size_t)(n ? n : 1), sizeof *in);
    const struct iot_ingest_rec *r;
    int64_t bytes = 0;
    if (merge) {
        for (int i = 0; i < n; i++)
            in[i] = iot_ingest_input_open(paths[i], o);
        struct iot_merge *m = iot_merge_new(n, pull, in);
        int i;
        while (!iot_stop_requested && (i = iot_merge_next(m)) >= 0)
            fn(&in[i]->rec, ctx);
        iot_merge_free(m);
    } else {
        for (int i = 0; i < n && !iot_stop_requested; i++) {
            in[i] = iot_ingest_input_open(paths[i], o);
            while ((r = iot_ingest_input_next(in[i])))
                fn(r, ctx);
            bytes += in[i]->bytes;
            iot_ingest_input_close(in[i]);
            in[i] = NULL;
        }
    }
    for (int i = 0; i < n; i++)
        if (in[i]) {
            bytes += in[i]->bytes;
            iot_ingest_input_close(in[i]);
        }
    free(in);
    return bytes;
}

/* Reads ".digits" (or ",digits") then 'Z'/'z' and the end: the fraction in ns (digits past ns
 * truncated), or -1 if the text is not of that form. */
static int64_t zulu_fraction(const char *s, size_t n)
{
    if (n == 5 && s[0] == '.' && (s[4] == 'Z' || s[4] == 'z')) {   /* ".mmmZ", the usual */
        unsigned a = (unsigned)(s[1] - '0'), b = (unsigned)(s[2] - '0'), c = (unsigned)(s[3] - '0');
        if (a > 9 || b > 9 || c > 9)
            return -1;
        return (int64_t)(a * 100 + b * 10 + c) * IOT_NS_PER_MS;
    }
    if (n == 1)
        return s[0] == 'Z' || s[0] == 'z' ? 0 : -1;
    if (n < 3 || (s[0] != '.' && s[0] != ',') || (s[n - 1] != 'Z' && s[n - 1] != 'z'))
        return -1;
    int64_t frac = 0, scale = 100000000;
    for (size_t i = 1; i < n - 1; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9)
            return -1;
        frac += d * scale;
        scale /= 10;
    }
    return frac;
}

int iot_ingest_time(struct iot_time_cache *c, const struct iot_val *v, int unit, int64_t *ns,
                    const char **why)
{
    if (v->type != IOT_J_STR || v->esc || v->n < 22)
        return iot_val_time(v, unit, ns, why);
    const char *s = v->p + 1;
    size_t n = v->n - 2;
    if (c->valid && memcmp(s, c->prefix, 19) == 0) {
        int64_t frac = zulu_fraction(s + 19, n - 19);
        if (frac >= 0 && !__builtin_add_overflow(c->sec, frac, ns))
            return 0;
    }
    int rc = iot_val_time(v, unit, ns, why);
    /* remember the second of a good "…:SS[.f]Z" text (not a leap second, clamped to :59) */
    if (rc == 0 && s[4] == '-' && !(s[17] == '6' && s[18] == '0') && zulu_fraction(s + 19, n - 19) >= 0) {
        memcpy(c->prefix, s, 19);
        c->sec = iot_floordiv(*ns, IOT_NS_PER_S) * IOT_NS_PER_S;
        c->valid = 1;
    }
    return rc;
}
