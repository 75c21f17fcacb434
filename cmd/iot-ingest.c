/* iot-ingest: the front door. NDJSON or CSV (zstd or not) in; validated, time-normalised,
 * renamed, enriched, deduplicated, reduced NDJSON out; optional event-time merge and replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include "assets.h"
#include "buf.h"
#include "cli.h"
#include "csvin.h"
#include "dedupe.h"
#include "diag.h"
#include "in.h"
#include "merge.h"
#include "out.h"
#include "pace.h"
#include "rec.h"
#include "reduce.h"
#include "schema.h"
#include "time.h"

enum { O_FORMAT = 1, O_CSVCOLS, O_CSVDELIM, O_MERGE, O_REPLAY, O_SPEED, O_REBASE, O_SCHEMA,
       O_RENAME, O_INGEST, O_SET, O_DROP, O_ASSETS, O_APREFIX, O_UNKNOWN, O_DEDUPE, O_DWIN,
       O_DMAX, O_DEADBAND, O_SWING, O_MAXGAP, O_MAXKEYS };
enum { F_AUTO, F_NDJSON, F_CSV };
enum { U_KEEP, U_DEAD, U_COUNT };

static const struct iot_opt opts[] = {
    IOT_OPT_KEY, IOT_OPT_TIME,
    { NULL, 0, 0, NULL, "Input:", 0 },
    { "format", 'f', IOT_ARG, "FMT", "ndjson, csv or auto (default: by extension, then by content)", O_FORMAT },
    { "csv-columns", 0, IOT_ARG, "A,B,...", "CSV has no header row: these are the column names", O_CSVCOLS },
    { "csv-delimiter", 0, IOT_ARG, "CHAR", "CSV field separator (default ','; 'tab' for a tab)", O_CSVDELIM },
    { "merge", 'm', IOT_NOARG, NULL, "merge the inputs in event-time order (each must be in order)", O_MERGE },
    { "replay", 0, IOT_NOARG, NULL, "pace the output by the events' own time gaps", O_REPLAY },
    { "speed", 0, IOT_ARG, "X", "replay X times faster than real time (implies --replay)", O_SPEED },
    { "rebase", 0, IOT_ARG, "TIME", "shift event times so that the first event is at TIME ('now' or a time)", O_REBASE },
    { NULL, 0, 0, NULL, "Validation and normalisation:", 0 },
    { "schema", 0, IOT_ARG, "FILE", "check records against a JSON Schema subset (see iot-ingest(1))", O_SCHEMA },
    { "rename", 0, IOT_ARG, "OLD=NEW,...", "rename fields", O_RENAME },
    { "ingest-time", 0, IOT_ARG, "FIELD", "add the arrival time (wall clock) as FIELD", O_INGEST },
    { "set", 0, IOT_ARG, "FIELD=VALUE", "add or replace a constant field (VALUE as JSON if it parses, else a string; repeatable)", O_SET },
    { "drop", 0, IOT_ARG, "FIELD,...", "remove fields", O_DROP },
    { NULL, 0, 0, NULL, "Enrichment:", 0 },
    { "assets", 0, IOT_ARG, "FILE", "asset registry (NDJSON or CSV) joined on the key", O_ASSETS },
    { "assets-prefix", 0, IOT_ARG, "PREFIX", "add asset fields at top level, names prefixed (default: under \"asset\")", O_APREFIX },
    { "unknown-assets", 0, IOT_ARG, "POLICY", "records of unknown devices: keep (default), dead-letter or count (drop and count)", O_UNKNOWN },
    { NULL, 0, 0, NULL, "Dedupe and reduction:", 0 },
    { "dedupe", 0, IOT_OPTARG, "FIELD,...", "drop exact repeats of these fields (default: key and time)", O_DEDUPE },
    { "dedupe-window", 0, IOT_ARG, "DURATION", "how far back in event time repeats are found (default 10m)", O_DWIN },
    { "dedupe-max", 0, IOT_ARG, "N", "remember at most N identities (default 1000000)", O_DMAX },
    { "deadband", 0, IOT_ARG, "FIELD=DEV,...", "exception test: pass a point when FIELD moves more than DEV", O_DEADBAND },
    { "swinging-door", 0, IOT_ARG, "FIELD=DEV,...", "swinging-door compression with deviation DEV", O_SWING },
    { "max-gap", 0, IOT_ARG, "DURATION", "force a point at least this often per key (reduction)", O_MAXGAP },
    { "max-keys", 0, IOT_ARG, "N", "reduction state for at most N keys; more pass unreduced (default 1000000)", O_MAXKEYS },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-ingest", "[OPTION]... [FILE]...",
    "Read NDJSON or CSV telemetry (zstd too), validate it, normalise time, enrich, dedupe and reduce it.",
    "Every line ends up in one place: the output, the dead-letter stream, or a counter\n"
    "(deduped, reduced) shown by --stats.",
    opts
};

/* ---- options ---- */
struct redspec { char *field; int kind; double dev; int idx; };
struct setspec { char *name; char *member; int idx; };   /* member: "\"name\":value" */

static struct {
    int format, merge, replay, unknown, dedupe;
    char **csv_cols;
    int ncsv_cols;
    char delim;
    double speed;
    const char *rebase, *schema, *ingest_time, *assets, *aprefix, *dedupe_fields;
    char **rename;           /* OLD, NEW pairs */
    int nrename;
    struct setspec *set;
    int nset;
    char **drop;
    int ndrop;
    int64_t dwin, max_gap;
    int64_t dmax, max_keys;
    struct redspec *red;
    int nred;
} opt = { .delim = ',', .dwin = 600 * IOT_NS_PER_S, .max_keys = 1000000 };

static void add_reduce(const char *arg, int kind, const char *name)
{
    int n;
    char **v = iot_split(arg, ',', &n);
    for (int i = 0; i < n; i++) {
        char *eq = strrchr(v[i], '=');
        if (!eq || eq == v[i])
            iot_usage("%s: '%s' is not FIELD=DEVIATION", name, v[i]);
        *eq = 0;
        double dev = iot_cli_double(name, eq + 1);
        if (dev < 0)
            iot_usage("%s: the deviation of %s must not be negative", name, v[i]);
        opt.red = iot_xrealloc(opt.red, sizeof *opt.red * (size_t)(opt.nred + 1));
        opt.red[opt.nred++] = (struct redspec){ iot_xstrdup(v[i]), kind, dev, -1 };
    }
    iot_strv_free(v);
}

static void add_set(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        iot_usage("--set: '%s' is not FIELD=VALUE", arg);
    struct iot_buf m = { 0 };
    iot_buf_json_str(&m, arg, (size_t)(eq - arg));
    iot_buf_addc(&m, ':');
    const char *val = eq + 1, *err;
    /* A JSON scalar is kept as written; anything else is a string. */
    struct iot_buf probe = { 0 };
    iot_buf_adds(&probe, "{\"v\":");
    iot_buf_adds(&probe, val);
    iot_buf_addc(&probe, '}');
    struct iot_fields *f = iot_fields_new();
    iot_fields_add(f, "v");
    struct iot_val v;
    if (*val && iot_rec_scan(f, probe.p, probe.len, &v, &err) == 0 && v.type != IOT_J_OBJ &&
        v.type != IOT_J_ARR)
        iot_buf_add(&m, v.p, v.n);
    else
        iot_buf_json_str(&m, val, strlen(val));
    iot_fields_free(f);
    iot_buf_free(&probe);
    opt.set = iot_xrealloc(opt.set, sizeof *opt.set * (size_t)(opt.nset + 1));
    char *name = iot_xmalloc((size_t)(eq - arg) + 1);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    opt.set[opt.nset++] = (struct setspec){ name, m.p, -1 };
}

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    switch (id) {
    case O_FORMAT:
        if (strcmp(arg, "ndjson") == 0 || strcmp(arg, "json") == 0) opt.format = F_NDJSON;
        else if (strcmp(arg, "csv") == 0) opt.format = F_CSV;
        else if (strcmp(arg, "auto") == 0) opt.format = F_AUTO;
        else iot_usage("--format: '%s' is not one of ndjson, csv, auto", arg);
        break;
    case O_CSVCOLS: opt.csv_cols = iot_split(arg, ',', &opt.ncsv_cols); break;
    case O_CSVDELIM:
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0) opt.delim = '\t';
        else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r') opt.delim = arg[0];
        else iot_usage("--csv-delimiter: '%s' is not one character (or 'tab')", arg);
        break;
    case O_MERGE: opt.merge = 1; break;
    case O_REPLAY: opt.replay = 1; break;
    case O_SPEED:
        opt.speed = iot_cli_double("--speed", arg);
        if (opt.speed <= 0) iot_usage("--speed: must be above 0");
        opt.replay = 1;
        break;
    case O_REBASE: opt.rebase = arg; iot_cli_time("--rebase", arg); break;
    case O_SCHEMA: opt.schema = arg; break;
    case O_RENAME: {
        int n;
        char **v = iot_split(arg, ',', &n);
        for (int i = 0; i < n; i++) {
            char *eq = strchr(v[i], '=');
            if (!eq || eq == v[i] || !eq[1]) iot_usage("--rename: '%s' is not OLD=NEW", v[i]);
            *eq = 0;
            opt.rename = iot_xrealloc(opt.rename, sizeof *opt.rename * (size_t)(2 * opt.nrename + 2));
            opt.rename[2 * opt.nrename] = iot_xstrdup(v[i]);
            opt.rename[2 * opt.nrename + 1] = iot_xstrdup(eq + 1);
            opt.nrename++;
        }
        iot_strv_free(v);
        break;
    }
    case O_INGEST: opt.ingest_time = arg; break;
    case O_SET: add_set(arg); break;
    case O_DROP: opt.drop = iot_split(arg, ',', &opt.ndrop); break;
    case O_ASSETS: opt.assets = arg; break;
    case O_APREFIX: opt.aprefix = arg; break;
    case O_UNKNOWN:
        if (strcmp(arg, "keep") == 0) opt.unknown = U_KEEP;
        else if (strcmp(arg, "dead-letter") == 0) opt.unknown = U_DEAD;
        else if (strcmp(arg, "count") == 0) opt.unknown = U_COUNT;
        else iot_usage("--unknown-assets: '%s' is not one of keep, dead-letter, count", arg);
        break;
    case O_DEDUPE: opt.dedupe = 1; opt.dedupe_fields = arg; break;
    case O_DWIN: opt.dwin = iot_cli_duration("--dedupe-window", arg); break;
    case O_DMAX: opt.dmax = iot_cli_int("--dedupe-max", arg, 1, INT64_MAX / 64); break;
    case O_DEADBAND: add_reduce(arg, IOT_RED_DEADBAND, "--deadband"); break;
    case O_SWING: add_reduce(arg, IOT_RED_SWING, "--swinging-door"); break;
    case O_MAXGAP: opt.max_gap = iot_cli_duration("--max-gap", arg); break;
    case O_MAXKEYS: opt.max_keys = iot_cli_int("--max-keys", arg, 1, INT64_MAX / 64); break;
    }
}

/* ---- run-time state ---- */
static struct iot_fields *fields;
static int nvals;
static int ikey0, nkeys;
static int *irename, *idrop, *idedupe, ndedupe;
static int iingest = -1;
static struct iot_schema *schema;
static struct iot_assets *assets;
static struct iot_dedupe *dedupe;
static struct iot_reduce *reducer;
static struct iot_reduce_val *rvals;
static struct iot_out *out;
static struct iot_pace pace;
static int64_t shift, rebase_at;
static int have_shift;
static struct iot_buf line_out, extra, keybuf, why, idbuf;
static int64_t bytes_in;

struct input {
    const char *path;
    struct iot_reader *r;
    int csv, first, done;
    struct iot_csvin *c;
    struct iot_buf rec;
    const char *line;
    size_t len;
    struct iot_src src;
    int64_t t;
    struct iot_val *vals;
};

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int detect_csv(struct input *in)
{
    if (opt.format != F_AUTO)
        return opt.format == F_CSV;
    const char *p = in->path;
    if (has_suffix(p, ".csv") || has_suffix(p, ".csv.zst") || has_suffix(p, ".tsv") ||
        has_suffix(p, ".tsv.zst"))
        return 1;
    if (has_suffix(p, ".ndjson") || has_suffix(p, ".jsonl") || has_suffix(p, ".json") ||
        has_suffix(p, ".ndjson.zst") || has_suffix(p, ".jsonl.zst") || has_suffix(p, ".json.zst"))
        return 0;
    if (opt.csv_cols)
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

static void open_input(struct input *in)
{
    in->r = iot_reader_open(in->path, iot_common.max_line);
    in->csv = detect_csv(in);
    in->first = 1;
    if (in->csv) {
        iot_reader_keep_blank(in->r, 1);     /* an empty line may be inside a quoted field */
        in->c = iot_csvin_new(opt.delim, opt.csv_cols, opt.ncsv_cols, iot_common.max_line);
    }
    in->vals = iot_xcalloc((size_t)(nvals ? nvals : 1), sizeof *in->vals);
}

static void close_input(struct input *in)
{
    iot_csvin_free(in->c);
    in->c = NULL;
    iot_buf_free(&in->rec);
    free(in->vals);
    in->vals = NULL;
    iot_reader_close(in->r);
    in->r = NULL;
}

/* Reads the next record of in that is a JSON object with a time and a key; rejects the rest.
 * Fills in->line/len/src/t/vals. Returns 0 at the end of the input. */
static int next_record(struct input *in)
{
    char *line;
    size_t len;
    const char *err;
    while (!in->done && !iot_stop_requested) {
        if (!iot_reader_next(in->r, &line, &len, &in->src)) {
            in->done = 1;
            if (in->c && iot_csvin_finish(in->c, &err) < 0) {
                size_t rl;
                const char *raw = iot_csvin_raw(in->c, &rl);
                iot_stat_lines_in++;
                iot_reject(&in->src, raw, rl, "bad csv", "%s", err);
            }
            break;
        }
        bytes_in += (int64_t)len + 1;
        if (in->c) {
            int k = iot_csvin_line(in->c, line, len, &in->rec, &err);
            if (k == 0) {
                /* lines_in counts CSV rows: a header or a continuation line is not one */
                iot_stat_lines_in--;
                iot_stat_add(iot_csvin_in_row(in->c) ? "csv_continuation_lines" : "csv_header_lines", 1);
                continue;
            }
            struct iot_src at = { in->src.file, iot_csvin_first_line(in->c) };
            if (k < 0) {
                size_t rl;
                const char *raw = iot_csvin_raw(in->c, &rl);
                iot_reject(&at, raw, rl, "bad csv", "%s", err);
                continue;
            }
            in->src.line = at.line;
            line = in->rec.p, len = in->rec.len;
        } else if (in->first && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3, len -= 3;
        }
        in->first = 0;
        if (iot_rec_scan(fields, line, len, in->vals, &err) != 0) {
            iot_reject(&in->src, line, len, "bad json", "%s", err);
            continue;
        }
        const struct iot_val *tv = &in->vals[0];
        if (tv->type == IOT_J_ABSENT) {
            iot_reject(&in->src, line, len, "missing time", "%s: missing", iot_common.time_field);
            continue;
        }
        const char *why_t;
        if (iot_val_time(tv, iot_common.time_unit, &in->t, &why_t) != 0) {
            iot_reject(&in->src, line, len, "bad time", "%s: %s", iot_common.time_field, why_t);
            continue;
        }
        int k;
        for (k = 0; k < nkeys; k++)
            if (in->vals[ikey0 + k].type == IOT_J_ABSENT)
                break;
        if (k < nkeys) {
            iot_reject(&in->src, line, len, "missing key", "%s: missing (key)",
                       iot_fields_path(fields, ikey0 + k));
            continue;
        }
        in->line = line, in->len = len;
        return 1;
    }
    return 0;
}

/* ---- output assembly: byte-preserving edits of the input line ---- */
struct edit { size_t a, b; const char *rep; size_t rn; };

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
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
    return x->member_off < y->member_off ? -1 : x->member_off > y->member_off;
}

/* Ranges removing the members in drop (sorted): a run of adjacent members goes with the comma
 * after it, or, when it ends its object, with the comma before it. */
static int drop_edits(const char *s, size_t n, const struct iot_val **drop, int nd, struct edit *e)
{
    int ne = 0;
    for (int i = 0; i < nd;) {
        int j = i;
        size_t end = (size_t)(drop[j]->p + drop[j]->n - s);
        for (;;) {
            size_t k = skip_ws(s, end, n);
            if (s[k] != ',' || j + 1 >= nd)
                break;
            size_t next = skip_ws(s, k + 1, n);
            if (drop[j + 1]->member_off != next)
                break;
            j++;
            end = (size_t)(drop[j]->p + drop[j]->n - s);
        }
        size_t k = skip_ws(s, end, n), a = drop[i]->member_off, b;
        if (s[k] == ',') {
            b = skip_ws(s, k + 1, n);
        } else {
            b = end;
            size_t q = a;
            while (q > 0 && (s[q - 1] == ' ' || s[q - 1] == '\t'))
                q--;
            if (q > 0 && s[q - 1] == ',')
                a = q - 1;
        }
        e[ne++] = (struct edit){ a, b, NULL, 0 };
        i = j + 1;
    }
    return ne;
}

static int cmp_edit(const void *a, const void *b)
{
    const struct edit *x = a, *y = b;
    return x->a < y->a ? -1 : x->a > y->a;
}

static int inside(const struct edit *e, int n, size_t x)
{
    for (int i = 0; i < n; i++)
        if (x >= e[i].a && x < e[i].b)
            return 1;
    return 0;
}

static char tbuf[48];
static size_t time_text(int64_t ns)
{
    /* Consecutive records mostly share the second: format only the milliseconds then. */
    static int64_t sec = INT64_MIN;
    static size_t plen;
    int64_t s = iot_floordiv(ns, IOT_NS_PER_S), ms = (ns - s * IOT_NS_PER_S) / IOT_NS_PER_MS;
    if (s != sec) {
        tbuf[0] = '"';
        plen = iot_time_fmt(s * IOT_NS_PER_S, tbuf + 1) + 1 - 4;   /* up to and with the '.' */
        sec = s;
    }
    char *p = tbuf + plen;
    p[0] = (char)('0' + ms / 100), p[1] = (char)('0' + ms / 10 % 10), p[2] = (char)('0' + ms % 10);
    p[3] = 'Z', p[4] = '"';
    return plen + 5;
}

static void build(const char *s, size_t n, const struct iot_val *vals, int64_t t)
{
    struct edit ed[128];
    const struct iot_val *dropv[64];
    int nd = 0, ne = 0;
    for (int i = 0; i < opt.ndrop && nd < 32; i++)
        if (vals[idrop[i]].type != IOT_J_ABSENT)
            dropv[nd++] = &vals[idrop[i]];
    for (int i = 0; i < opt.nset && nd < 48; i++)
        if (vals[opt.set[i].idx].type != IOT_J_ABSENT)
            dropv[nd++] = &vals[opt.set[i].idx];
    if (iingest >= 0 && vals[iingest].type != IOT_J_ABSENT)
        dropv[nd++] = &vals[iingest];
    if (nd) {
        qsort(dropv, (size_t)nd, sizeof *dropv, cmp_off);
        int w = 1;   /* a field named twice is dropped once */
        for (int i = 1; i < nd; i++)
            if (dropv[i]->member_off != dropv[w - 1]->member_off)
                dropv[w++] = dropv[i];
        nd = w;
        ne = drop_edits(s, n, dropv, nd, ed);
    }
    int ndr = ne;
    /* in-place replacements, unless inside a dropped range */
    const struct iot_val *tv = &vals[0];
    size_t toff = (size_t)(tv->p - s);
    if (!inside(ed, ndr, toff)) {
        size_t tn = time_text(t);
        ed[ne++] = (struct edit){ toff, toff + tv->n, tbuf, tn };
    }
    for (int i = 0; i < opt.nrename && ne < 60; i++) {
        const struct iot_val *v = &vals[irename[i]];
        if (v->type == IOT_J_ABSENT || inside(ed, ndr, v->member_off))
            continue;
        ed[ne++] = (struct edit){ v->member_off, key_end(s, v->member_off), opt.rename[2 * i + 1], (size_t)-1 };
    }
    if (ne > 1)
        qsort(ed, (size_t)ne, sizeof *ed, cmp_edit);
    /* the closing brace */
    size_t close = n;
    while (close > 0 && s[close - 1] != '}')
        close--;
    close--;
    iot_buf_reset(&line_out);
    size_t at = 0;
    for (int i = 0; i < ne; i++) {
        iot_buf_add(&line_out, s + at, ed[i].a - at);
        if (ed[i].rn == (size_t)-1)
            iot_buf_json_str(&line_out, ed[i].rep, strlen(ed[i].rep));
        else if (ed[i].rep)
            iot_buf_add(&line_out, ed[i].rep, ed[i].rn);
        at = ed[i].b;
    }
    iot_buf_add(&line_out, s + at, close - at);
    if (extra.len) {
        size_t k = line_out.len;
        while (k > 0 && (line_out.p[k - 1] == ' ' || line_out.p[k - 1] == '\t'))
            k--;
        if (line_out.p[k - 1] != '{')
            iot_buf_addc(&line_out, ',');
        iot_buf_add(&line_out, extra.p, extra.len);
    }
    iot_buf_add(&line_out, s + close, n - close);
}

static void emit(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    iot_out_write(out, s, n);
    iot_out_eol(out);
}

static void process(struct input *in)
{
    const struct iot_val *vals = in->vals;
    if (schema && iot_schema_check(schema, vals, &why) != 0) {
        iot_reject(&in->src, in->line, in->len, "schema", "%s", why.p);
        return;
    }
    iot_buf_reset(&keybuf);
    for (int k = 0; (assets || reducer) && k < nkeys; k++) {
        if (k)
            iot_buf_addc(&keybuf, '\x1f');
        iot_val_key(&vals[ikey0 + k], &keybuf);
    }
    if (dedupe) {
        iot_buf_reset(&idbuf);
        for (int i = 0; i < ndedupe; i++) {
            const struct iot_val *v = &vals[idedupe[i]];
            if (idedupe[i] == 0) {
                iot_buf_add(&idbuf, &in->t, sizeof in->t);   /* the instant, whatever its form */
            } else if (v->type == IOT_J_ABSENT) {
                iot_buf_addc(&idbuf, '\x1e');
            } else {
                iot_buf_addc(&idbuf, (char)('0' + v->type));
                iot_val_key(v, &idbuf);
            }
            iot_buf_addc(&idbuf, '\x1f');
        }
        if (iot_dedupe_seen(dedupe, idbuf.p, idbuf.len, in->t)) {
            iot_stat_add("deduped", 1);
            return;
        }
    }
    iot_buf_reset(&extra);
    for (int i = 0; i < opt.nset; i++) {
        if (extra.len)
            iot_buf_addc(&extra, ',');
        iot_buf_adds(&extra, opt.set[i].member);
    }
    if (opt.ingest_time) {
        if (extra.len)
            iot_buf_addc(&extra, ',');
        char b[48];
        iot_buf_json_str(&extra, opt.ingest_time, strlen(opt.ingest_time));
        iot_buf_addc(&extra, ':');
        iot_buf_addc(&extra, '"');
        iot_buf_add(&extra, b, iot_time_fmt(iot_time_now(), b));
        iot_buf_addc(&extra, '"');
    }
    if (assets) {
        size_t an;
        const char *a = iot_assets_find(assets, keybuf.p, keybuf.len, &an);
        if (!a) {
            if (opt.unknown == U_DEAD) {
                iot_reject(&in->src, in->line, in->len, "unknown asset", "%s: no asset with this key",
                           iot_fields_path(fields, ikey0));
                return;
            }
            if (opt.unknown == U_COUNT) {
                iot_stat_add("unknown_asset_dropped", 1);
                return;
            }
            iot_stat_add("unknown_asset_kept", 1);
        } else if (an) {
            if (extra.len)
                iot_buf_addc(&extra, ',');
            iot_buf_add(&extra, a, an);
        }
    }
    int64_t t = in->t;
    if (opt.rebase) {
        if (!have_shift) {
            int64_t base = strcmp(opt.rebase, "now") == 0 ? iot_time_now() : rebase_at;
            shift = base - t;
            have_shift = 1;
        }
        t += shift;
    }
    if (opt.replay && !iot_pace_until(&pace, in->t))
        return;
    build(in->line, in->len, vals, t);
    if (!reducer) {
        emit(NULL, line_out.p, line_out.len);
        return;
    }
    for (int i = 0; i < opt.nred; i++) {
        const struct iot_val *v = &vals[opt.red[i].idx];
        rvals[i].state = v->type == IOT_J_ABSENT ? IOT_RV_ABSENT
                       : v->type == IOT_J_NUM && iot_val_num(v, &rvals[i].v) == 0 ? IOT_RV_NUM
                       : IOT_RV_OTHER;
    }
    if (iot_reduce_push(reducer, keybuf.p, keybuf.len, t, rvals, line_out.p, line_out.len, emit, NULL))
        iot_stat_add("reduced", 1);
}

static int pull(void *ctx, int i, int64_t *t)
{
    struct input *in = &((struct input *)ctx)[i];
    if (!next_record(in))
        return 0;
    *t = in->t;
    return 1;
}

static void setup_fields(void)
{
    fields = iot_fields_new();
    if (iot_fields_add(fields, iot_common.time_field) != 0)
        iot_die(IOT_EX_SOFTWARE, "time field index");
    int nk;
    char **keys = iot_split(iot_common.key, ',', &nk);
    ikey0 = iot_fields_count(fields);
    for (int i = 0; i < nk; i++) {
        int ix = iot_fields_add(fields, keys[i]);
        if (ix != ikey0 + i)
            iot_usage("-k: '%s' is named twice or is the time field", keys[i]);
    }
    nkeys = nk;
    irename = iot_xcalloc((size_t)opt.nrename + 1, sizeof *irename);
    for (int i = 0; i < opt.nrename; i++)
        irename[i] = iot_fields_add(fields, opt.rename[2 * i]);
    idrop = iot_xcalloc((size_t)opt.ndrop + 1, sizeof *idrop);
    if (opt.ndrop > 32)
        iot_usage("--drop: at most 32 fields");
    if (opt.nset > 16)
        iot_usage("--set: at most 16 fields");
    if (opt.nrename > 32)
        iot_usage("--rename: at most 32 fields");
    for (int i = 0; i < opt.ndrop; i++)
        idrop[i] = iot_fields_add(fields, opt.drop[i]);
    for (int i = 0; i < opt.nset; i++)
        opt.set[i].idx = iot_fields_add(fields, opt.set[i].name);
    if (opt.ingest_time)
        iingest = iot_fields_add(fields, opt.ingest_time);
    for (int i = 0; i < opt.nred; i++)
        opt.red[i].idx = iot_fields_add(fields, opt.red[i].field);
    if (opt.dedupe) {
        if (opt.dedupe_fields) {
            char **d = iot_split(opt.dedupe_fields, ',', &ndedupe);
            idedupe = iot_xcalloc((size_t)ndedupe, sizeof *idedupe);
            for (int i = 0; i < ndedupe; i++)
                idedupe[i] = iot_fields_add(fields, d[i]);
            iot_strv_free(d);
        } else {
            ndedupe = nkeys + 1;
            idedupe = iot_xcalloc((size_t)ndedupe, sizeof *idedupe);
            for (int i = 0; i < nkeys; i++)
                idedupe[i] = ikey0 + i;
            idedupe[nkeys] = 0;
        }
    }
    if (opt.schema)
        schema = iot_schema_load(opt.schema, fields);
    if (opt.assets)
        assets = iot_assets_load(opt.assets, keys, nk, opt.aprefix);
    iot_strv_free(keys);
    nvals = iot_fields_count(fields);
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-ingest");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    if (opt.rebase && strcmp(opt.rebase, "now") != 0)
        rebase_at = iot_cli_time("--rebase", opt.rebase);
    if (opt.csv_cols && opt.format == F_NDJSON)
        iot_usage("--csv-columns needs CSV input");
    int n = argc - optind_;
    static char *dash[] = { "-" };
    char **paths = n ? argv + optind_ : dash;
    if (!n)
        n = 1;
    int nstdin = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(paths[i], "-") == 0)
            nstdin++;
        else if (access(paths[i], R_OK) != 0)
            iot_die(IOT_EX_NOINPUT, "%s: cannot open: %s", paths[i], strerror(errno));
    }
    if (opt.merge && nstdin > 1)
        iot_usage("--merge: standard input can be read only once");
    setup_fields();
    if (opt.dedupe)
        dedupe = iot_dedupe_new(opt.dwin, (size_t)opt.dmax);
    if (opt.nred) {
        struct iot_reduce_field *rf = iot_xcalloc((size_t)opt.nred, sizeof *rf);
        for (int i = 0; i < opt.nred; i++)
            rf[i] = (struct iot_reduce_field){ opt.red[i].kind, opt.red[i].dev };
        reducer = iot_reduce_new(rf, opt.nred, opt.max_gap, (size_t)opt.max_keys);
        rvals = iot_xcalloc((size_t)opt.nred, sizeof *rvals);
        free(rf);
    } else if (opt.max_gap) {
        iot_usage("--max-gap needs --deadband or --swinging-door");
    }
    if (opt.replay)
        iot_pace_init(&pace, opt.speed > 0 ? opt.speed : 1);
    out = iot_out_std();

    struct input *ins = iot_xcalloc((size_t)n, sizeof *ins);
    for (int i = 0; i < n; i++)
        ins[i].path = paths[i];
    if (opt.merge) {
        for (int i = 0; i < n; i++)
            open_input(&ins[i]);
        struct iot_merge *m = iot_merge_new(n, pull, ins);
        int i;
        while (!iot_stop_requested && (i = iot_merge_next(m)) >= 0)
            process(&ins[i]);
        iot_merge_free(m);
        for (int k = 0; k < n; k++)
            close_input(&ins[k]);
    } else {
        for (int i = 0; i < n && !iot_stop_requested; i++) {
            open_input(&ins[i]);
            while (next_record(&ins[i]))
                process(&ins[i]);
            close_input(&ins[i]);
        }
    }
    if (reducer) {
        iot_stat_add("reduced", iot_reduce_finish(reducer, emit, NULL));
        if (iot_reduce_overflow(reducer))
            iot_stat_add("reduce_unreduced_keys_overflow", iot_reduce_overflow(reducer));
        iot_reduce_free(reducer);
    }
    if (dedupe) {
        if (iot_dedupe_evicted(dedupe))
            iot_stat_add("dedupe_evicted", iot_dedupe_evicted(dedupe));
        if (iot_dedupe_too_old(dedupe))
            iot_stat_add("dedupe_too_old", iot_dedupe_too_old(dedupe));
        iot_dedupe_free(dedupe);
    }
    iot_stat_add("bytes_in", bytes_in);
    iot_stat_add("bytes_out", (int64_t)iot_out_bytes(out));
    free(ins);
    return iot_diag_finish();
}
