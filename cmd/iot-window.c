/* iot-window: event-time windows, aggregates, rolling features, make-series, silent devices,
 * resumable state and shard partials (lib/window.c, agg.c, rolling.c, series.c do the work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "expr.h"
#include "in.h"
#include "keytab.h"
#include "out.h"
#include "rec.h"
#include "rolling.h"
#include "series.h"
#include "state.h"
#include "time.h"
#include "window.h"

enum { O_TUMBLING = 1, O_HOPPING, O_SLIDING, O_SESSION, O_COUNT, O_OFFSET, O_ALIGN, O_LABEL,
       O_AGG, O_LATENESS, O_LATE, O_IDLE, O_ABSENT, O_HAVING, O_ROLLING, O_SERIES, O_FROM, O_TO,
       O_FILL, O_STATE, O_EMIT, O_MERGE, O_MAXKEYS, O_BADVALUE };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Windows (one of):", 0 },
    { "tumbling", 0, IOT_ARG, "SIZE", "fixed, non-overlapping windows, e.g. 1m", O_TUMBLING },
    { "hopping", 0, IOT_ARG, "SIZE/HOP", "overlapping windows of SIZE ending every HOP, e.g. 10m/1m", O_HOPPING },
    { "sliding", 0, IOT_ARG, "SIZE", "a row whenever an event enters or leaves the trailing SIZE (ASA)", O_SLIDING },
    { "session", 0, IOT_ARG, "GAP[:MAX]", "sessions closed after GAP without events, cut at MAX-aligned checkpoints", O_SESSION },
    { "count", 0, IOT_ARG, "N", "windows of N consecutive events per key", O_COUNT },
    { "offset", 0, IOT_ARG, "DURATION", "shift window boundaries by DURATION (may be negative, e.g. -1ms)", O_OFFSET },
    { "align", 0, IOT_ARG, "TIME", "boundaries aligned to TIME instead of the Unix epoch", O_ALIGN },
    { "label", 0, IOT_ARG, "end|start", "end: ASA (start, end] windows (default); start: Kusto bin() [start, end)", O_LABEL },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    { NULL, 0, 0, NULL, "Aggregates:", 0 },
    { "aggregates", 'a', IOT_ARG, "SPEC", "e.g. 'count(),avg(temperature),p95(vibration) as p95v' (default count())", O_AGG },
    { "having", 0, IOT_ARG, "EXPR", "emit only window rows matching EXPR over their fields, e.g. 'count >= 3'", O_HAVING },
    { "bad-value", 0, IOT_ARG, "reject|skip", "a non-number for a numeric aggregate: reject the line (default) or skip the field", O_BADVALUE },
    { NULL, 0, 0, NULL, "Time:", 0 },
    { "lateness", 0, IOT_ARG, "DURATION", "watermark = max event time - DURATION (default 5s; 0 allowed)", O_LATENESS },
    { "late", 0, IOT_ARG, "POLICY", "events below the watermark: adjust (default, ASA), drop or dead-letter", O_LATE },
    { "idle", 0, IOT_ARG, "DURATION", "when input is quiet this long (wall clock), advance event time by the quiet time", O_IDLE },
    { "absent", 0, IOT_ARG, "DURATION", "report keys silent for DURATION of event time, and when they return", O_ABSENT },
    { NULL, 0, 0, NULL, "Other shapes:", 0 },
    { "rolling", 0, IOT_ARG, "DURATION|N", "pass records through with aggregates over the trailing DURATION or N records", O_ROLLING },
    { "series", 0, IOT_ARG, "STEP", "make-series: one record per key with arrays of bins of STEP", O_SERIES },
    { "from", 0, IOT_ARG, "TIME", "series: first bin (inclusive)", O_FROM },
    { "to", 0, IOT_ARG, "TIME", "series: end of the axis (exclusive)", O_TO },
    { "fill", 0, IOT_ARG, "HOW", "series: empty bins are null (default), zero, prev or linear", O_FILL },
    { NULL, 0, 0, NULL, "Restarts and shards:", 0 },
    { "state", 0, IOT_ARG, "FILE", "restore open windows from FILE, save them there at exit; emit closed windows only", O_STATE },
    { "emit", 0, IOT_ARG, "final|partial", "partial: mergeable aggregate states instead of values", O_EMIT },
    { "merge", 0, IOT_NOARG, NULL, "combine partial rows from shards into final rows", O_MERGE },
    { "max-keys", 0, IOT_ARG, "N", "refuse more than N distinct keys (exit 65)", O_MAXKEYS },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-window", "[OPTION]... [FILE]...",
    "Aggregate telemetry in event-time windows (Stream Analytics and make-series semantics).",
    "Examples:\n"
    "  iot-window --tumbling 1m -a 'count(),avg(temperature),max(temperature),stdev(vibration)'\n"
    "  iot-window --hopping 10m/1m --late drop --lateness 30s -a 'p95(vibration)' day.ndjson\n"
    "  iot-window --session 5m:1h -a 'count(),first(temperature),last(temperature)'\n"
    "  iot-window --series 1h --fill linear -a 'avg(temperature)' day.ndjson\n",
    opts
};

enum mode { M_WINDOW, M_ROLLING, M_SERIES, M_MERGE };

static struct {
    struct iot_win_cfg wc;
    int nkinds;
    enum mode mode;
    const char *spec, *having, *state;
    int64_t offset, align, idle, series_step, from, to, roll_dur, roll_n;
    bool has_from, has_to, partial, lateness_set, skip_bad;
    int fill;
} A = { .wc = { .lateness = 5 * IOT_NS_PER_S }, .fill = IOT_FILL_NULL };

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    char *slash;
    switch (id) {
    case O_TUMBLING: A.wc.kind = IOT_WIN_TUMBLING; A.wc.size = iot_cli_duration("--tumbling", arg); A.nkinds++; break;
    case O_HOPPING: {
        slash = strchr(arg, '/');
        if (!slash) iot_usage("--hopping wants SIZE/HOP, e.g. 10m/1m");
        char *sz = strndup(arg, (size_t)(slash - arg));
        A.wc.kind = IOT_WIN_HOPPING;
        A.wc.size = iot_cli_duration("--hopping", sz);
        A.wc.hop = iot_cli_duration("--hopping", slash + 1);
        free(sz);
        A.nkinds++;
        break;
    }
    case O_SLIDING: A.wc.kind = IOT_WIN_SLIDING; A.wc.size = iot_cli_duration("--sliding", arg); A.nkinds++; break;
    case O_SESSION: {
        const char *colon = strchr(arg, ':');
        char *gap = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
        A.wc.kind = IOT_WIN_SESSION;
        A.wc.size = iot_cli_duration("--session", gap);
        if (colon) {
            const char *m = colon + 1;
            if (strncmp(m, "max", 3) == 0) { m += 3; while (*m == ' ' || *m == '=') m++; }
            A.wc.hop = iot_cli_duration("--session", m);
        }
        free(gap);
        A.nkinds++;
        break;
    }
    case O_COUNT: A.wc.kind = IOT_WIN_COUNT; A.wc.size = iot_cli_int("--count", arg, 1, INT32_MAX); A.nkinds++; break;
    case O_OFFSET:
        A.offset = arg[0] == '-' ? -iot_cli_duration0("--offset", arg + 1) : iot_cli_duration0("--offset", arg[0] == '+' ? arg + 1 : arg);
        break;
    case O_ALIGN: A.align = iot_cli_time("--align", arg); break;
    case O_LABEL:
        if (strcmp(arg, "end") == 0) A.wc.start_edges = false;
        else if (strcmp(arg, "start") == 0) A.wc.start_edges = true;
        else iot_usage("--label must be end or start");
        break;
    case O_AGG: A.spec = arg; break;
    case O_HAVING: A.having = arg; break;
    case O_BADVALUE:
        if (strcmp(arg, "skip") == 0) A.skip_bad = true;
        else if (strcmp(arg, "reject") == 0) A.skip_bad = false;
        else iot_usage("--bad-value must be reject or skip");
        break;
    case O_LATENESS: A.wc.lateness = iot_cli_duration0("--lateness", arg); break;
    case O_LATE:
        if (strcmp(arg, "adjust") == 0) A.wc.late = IOT_LATE_ADJUST;
        else if (strcmp(arg, "drop") == 0) A.wc.late = IOT_LATE_DROP;
        else if (strcmp(arg, "dead-letter") == 0) A.wc.late = IOT_LATE_DEADLETTER;
        else iot_usage("--late must be adjust, drop or dead-letter");
        break;
    case O_IDLE: A.idle = iot_cli_duration("--idle", arg); break;
    case O_ABSENT: A.wc.absent = iot_cli_duration("--absent", arg); break;
    case O_ROLLING:
        A.mode = M_ROLLING;
        if (arg[strspn(arg, "0123456789")] == 0) A.roll_n = iot_cli_int("--rolling", arg, 1, INT32_MAX);
        else A.roll_dur = iot_cli_duration("--rolling", arg);
        break;
    case O_SERIES: A.mode = M_SERIES; A.series_step = iot_cli_duration("--series", arg); break;
    case O_FROM: A.from = iot_cli_time("--from", arg); A.has_from = true; break;
    case O_TO: A.to = iot_cli_time("--to", arg); A.has_to = true; break;
    case O_FILL:
        A.fill = iot_fill_parse(arg);
        if (A.fill < 0) iot_usage("--fill must be null, zero, prev or linear");
        break;
    case O_STATE: A.state = arg; break;
    case O_EMIT:
        if (strcmp(arg, "partial") == 0) A.partial = true;
        else if (strcmp(arg, "final") == 0) A.partial = false;
        else iot_usage("--emit must be final or partial");
        break;
    case O_MERGE: A.mode = M_MERGE; break;
    case O_MAXKEYS: A.wc.max_keys = (size_t)iot_cli_int("--max-keys", arg, 1, INT64_MAX); break;
    }
}

/* ---- record input ---- */
struct input {
    struct iot_fields *f;
    struct iot_val *vals;
    int nkey, *key_idx, time_idx, *agg_idx;
    char **key_names;
    struct iot_aggset set;
    struct iot_agg_in *in;
    struct iot_buf key, tmp;
};

static void input_init(struct input *p, const char *extra_fields[])
{
    char err[256];
    if (iot_aggset_parse(A.spec ? A.spec : "count()", &p->set, err, sizeof err))
        iot_usage("-a: %s", err);
    p->f = iot_fields_new();
    const char *k = iot_common.key ? iot_common.key : "deviceId";
    if (strcmp(k, "none") == 0) {
        p->nkey = 0;
        p->key_names = iot_xcalloc(1, sizeof *p->key_names);
    } else {
        p->key_names = iot_split(k, ',', &p->nkey);
    }
    p->key_idx = iot_xcalloc((size_t)p->nkey + 1, sizeof *p->key_idx);
    for (int i = 0; i < p->nkey; i++) p->key_idx[i] = iot_fields_add(p->f, p->key_names[i]);
    p->time_idx = iot_fields_add(p->f, iot_common.time_field ? iot_common.time_field : "timestamp");
    p->agg_idx = iot_xcalloc((size_t)p->set.nfields + 1, sizeof *p->agg_idx);
    for (int i = 0; i < p->set.nfields; i++) p->agg_idx[i] = iot_fields_add(p->f, p->set.fields[i]);
    for (int i = 0; extra_fields && extra_fields[i]; i++) iot_fields_add(p->f, extra_fields[i]);
    p->vals = iot_xcalloc((size_t)iot_fields_count(p->f) + 1, sizeof *p->vals);
    /* an output member must not be written twice */
    static const char *reserved[] = { "windowStart", "windowEnd", "timestamp", "event", "lastSeen",
                                      "_partial", "_aggregates" };
    for (int i = 0; i < p->set.nitems; i++) {
        const char *n = p->set.items[i].name;
        for (size_t r = 0; r < sizeof reserved / sizeof *reserved; r++)
            if (strcmp(n, reserved[r]) == 0) iot_usage("-a: '%s' is an output field of its own; choose another name with 'as'", n);
        for (int j = 0; j < p->nkey; j++)
            if (strcmp(n, p->key_names[j]) == 0) iot_usage("-a: '%s' is a key field; choose another name with 'as'", n);
    }
    p->in = iot_xcalloc((size_t)p->set.nfields + 1, sizeof *p->in);
}

/* Key bytes: parts joined by \x1f; a non-string part is its JSON text behind \x1e. */
static void make_key(struct input *p)
{
    iot_buf_reset(&p->key);
    if (!p->key.p) iot_buf_add(&p->key, "", 0);      /* a valid pointer for --key none */
    for (int i = 0; i < p->nkey; i++) {
        const struct iot_val *v = &p->vals[p->key_idx[i]];
        if (i) iot_buf_addc(&p->key, '\x1f');
        if (v->type == IOT_J_ABSENT) iot_buf_adds(&p->key, "\x1enull");
        else if (v->type == IOT_J_STR) iot_val_key(v, &p->key);
        else { iot_buf_addc(&p->key, '\x1e'); iot_buf_add(&p->key, v->p, v->n); }
    }
}

/* Scans a line: key, time, aggregate inputs. Returns 0, or -1 after rejecting it. */
static int read_record(struct input *p, const char *line, size_t len, const struct iot_src *src, int64_t *t)
{
    const char *err;
    if (iot_rec_scan(p->f, line, len, p->vals, &err)) {
        iot_reject(src, line, len, "bad json", "%s", err);
        return -1;
    }
    const struct iot_val *tv = &p->vals[p->time_idx];
    const char *why;
    if (tv->type == IOT_J_ABSENT || tv->type == IOT_J_NULL) {
        iot_reject(src, line, len, "missing time", "%s: missing", iot_fields_path(p->f, p->time_idx));
        return -1;
    }
    if (iot_val_time(tv, iot_common.time_unit, t, &why)) {
        iot_reject(src, line, len, "bad time", "%s: %s", iot_fields_path(p->f, p->time_idx), why);
        return -1;
    }
    for (int i = 0; i < p->set.nfields; i++) {
        const struct iot_val *v = &p->vals[p->agg_idx[i]];
        struct iot_agg_in *x = &p->in[i];
        x->kind = 0;
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) continue;
        if (v->type == IOT_J_NUM && iot_val_num(v, &x->v) == 0) {
            x->kind = 1;
        } else if (iot_aggset_numeric(&p->set, i)) {
            if (!A.skip_bad) {
                iot_reject(src, line, len, "bad value", "%s: expected a number", p->set.fields[i]);
                return -1;
            }
            iot_stat_add("bad_value_skipped", 1);
            continue;
        } else {
            x->kind = 2;
        }
        if (p->set.need[i] & IOT_NEED_DIST) {
            iot_buf_reset(&p->tmp);
            iot_val_key(v, &p->tmp);
            x->h = iot_hash64(p->tmp.p, p->tmp.len);
        }
    }
    make_key(p);
    return 0;
}

/* ---- output ---- */
struct ctx {
    struct input *in;
    struct iot_out *o;
    struct iot_buf b;
    struct iot_expr *having;
    struct iot_fields *hf;
    struct iot_val *hv;
};

static void put_time(struct iot_buf *b, int64_t ns)
{
    char t[48];
    size_t n = iot_time_fmt(ns, t);
    iot_buf_addc(b, '"');
    iot_buf_add(b, t, n);
    iot_buf_addc(b, '"');
}

static void put_name(struct iot_buf *b, const char *name)
{
    iot_buf_json_str(b, name, strlen(name));
    iot_buf_addc(b, ':');
}

static void put_keys(struct ctx *c, const char *key, size_t klen)
{
    const char *p = key, *e = key + klen;
    for (int i = 0; i < c->in->nkey; i++) {
        const char *q = memchr(p, '\x1f', (size_t)(e - p));
        if (!q) q = e;
        put_name(&c->b, c->in->key_names[i]);
        if (p < q && *p == '\x1e') iot_buf_add(&c->b, p + 1, (size_t)(q - p - 1));
        else iot_buf_json_str(&c->b, p, (size_t)(q - p));
        iot_buf_addc(&c->b, ',');
        p = q < e ? q + 1 : e;
    }
}

static void put_aggs(struct ctx *c, struct iot_agg_state *st)
{
    const struct iot_aggset *s = &c->in->set;
    if (A.partial) {
        put_name(&c->b, "_aggregates");
        iot_buf_json_str(&c->b, s->spec, strlen(s->spec));
        iot_buf_addc(&c->b, ',');
        put_name(&c->b, "_partial");
        json_t *j = iot_agg_to_json(s, st);
        char *txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
        iot_buf_adds(&c->b, txt);
        free(txt);
        json_decref(j);
        return;
    }
    for (int i = 0; i < s->nitems; i++) {
        double v;
        if (i) iot_buf_addc(&c->b, ',');
        put_name(&c->b, s->items[i].name);
        if (iot_agg_value(s, st, i, &v)) iot_buf_adds(&c->b, "null");
        else if (iot_agg_is_count(s, i)) iot_buf_addf(&c->b, "%lld", (long long)v);
        else iot_buf_json_num(&c->b, v);
    }
}

static void finish_row(struct ctx *c, bool filter)
{
    iot_buf_addc(&c->b, '}');
    if (filter && c->having) {
        const char *err;
        if (iot_rec_scan(c->hf, c->b.p, c->b.len, c->hv, &err) || !iot_expr_match(c->having, c->hv))
            return;
    }
    iot_out_write(c->o, c->b.p, c->b.len);
    iot_out_eol(c->o);
}

static void emit_row(void *vc, const struct iot_row *r)
{
    struct ctx *c = vc;
    iot_buf_reset(&c->b);
    iot_buf_addc(&c->b, '{');
    put_keys(c, r->key, r->klen);
    if (r->kind != IOT_ROW_WINDOW) {
        put_name(&c->b, "event");
        iot_buf_adds(&c->b, r->kind == IOT_ROW_ABSENT ? "\"absent\"," : "\"present\",");
        put_name(&c->b, "lastSeen");
        put_time(&c->b, r->start);
        iot_buf_addc(&c->b, ',');
        put_name(&c->b, "timestamp");
        put_time(&c->b, r->end);
        iot_stat_add(r->kind == IOT_ROW_ABSENT ? "absent" : "present", 1);
        finish_row(c, false);
        return;
    }
    put_name(&c->b, "windowStart");
    put_time(&c->b, r->start);
    iot_buf_addc(&c->b, ',');
    put_name(&c->b, "windowEnd");
    put_time(&c->b, r->end);
    iot_buf_addc(&c->b, ',');
    put_aggs(c, r->st);
    finish_row(c, !A.partial);
}

/* ---- modes ---- */
static struct iot_win *g_win;
static struct input g_in;
static void save_state(void)
{
    if (g_win && A.state) iot_state_save(A.state, "iot-window", 1, iot_win_save(g_win));
}

static void run_window(struct iot_in *in, struct ctx *c)
{
    g_win = iot_win_new(&A.wc, &c->in->set, emit_row, c);
    if (A.state) {
        json_t *body = iot_state_load(A.state, "iot-window", 1);
        char err[256];
        if (body && iot_win_load(g_win, body, err, sizeof err))
            iot_die(IOT_EX_DATAERR, "%s: refusing the state file: %s", A.state, err);
        json_decref(body);
    }
    char *line;
    size_t len;
    struct iot_src src;
    int64_t t, quiet_since = A.idle ? iot_time_mono() : 0;
    for (;;) {
        if (iot_stop_requested) break;
        if (A.idle) {
            int ms = (int)(A.idle / IOT_NS_PER_MS);
            if (!iot_in_wait(in, ms > 0 ? ms : 1)) {
                int64_t now = iot_time_mono();
                iot_win_idle(g_win, now - quiet_since);
                quiet_since = now;
                iot_stat_add("idle_advances", 1);
                continue;
            }
        }
        if (!iot_in_next(in, &line, &len, &src)) break;
        if (A.idle) quiet_since = iot_time_mono();
        if (read_record(c->in, line, len, &src, &t)) continue;
        switch (iot_win_add(g_win, c->in->key.p, c->in->key.len, t, c->in->in)) {
        case IOT_WIN_ADJUSTED: iot_stat_add("late_adjusted", 1); break;
        case IOT_WIN_DROPPED: iot_stat_add("late_dropped", 1); break;
        case IOT_WIN_LATE:
            iot_stat_add("late_rejected", 1);
            iot_reject(&src, line, len, "late", "event time is below the watermark");
            break;
        case IOT_WIN_FULL:
            iot_die(IOT_EX_DATAERR, "%s:%lld: more than %zu keys (--max-keys)", src.file,
                    (long long)src.line, A.wc.max_keys);
        default: break;
        }
    }
    if (A.state) save_state();
    else iot_win_finish(g_win);
    iot_stat_add("keys", (int64_t)iot_win_keys(g_win));
}

static void run_rolling(struct iot_in *in, struct ctx *c)
{
    struct iot_roll *r = iot_roll_new(&c->in->set, A.roll_dur, A.roll_n, A.wc.max_keys);
    char *line;
    size_t len;
    struct iot_src src;
    int64_t t;
    const struct iot_aggset *s = &c->in->set;
    /* members named like an output are replaced, not duplicated */
    int *oidx = iot_xcalloc((size_t)s->nitems + 1, sizeof *oidx);
    for (int i = 0; i < s->nitems; i++) oidx[i] = iot_fields_add(c->in->f, s->items[i].name);
    c->in->vals = iot_xrealloc(c->in->vals, ((size_t)iot_fields_count(c->in->f) + 1) * sizeof *c->in->vals);
    const struct iot_val **drop = iot_xcalloc((size_t)s->nitems + 1, sizeof *drop);
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (read_record(c->in, line, len, &src, &t)) continue;
        struct iot_agg_state *st = iot_roll_add(r, c->in->key.p, c->in->key.len, t, c->in->in);
        if (!st)
            iot_die(IOT_EX_DATAERR, "%s:%lld: more than %zu keys (--max-keys)", src.file, (long long)src.line, A.wc.max_keys);
        int nd = 0;
        for (int i = 0; i < s->nitems; i++)
            if (c->in->vals[oidx[i]].type != IOT_J_ABSENT) drop[nd++] = &c->in->vals[oidx[i]];
        int n = iot_rec_open_edit(c->o, line, len, drop, nd);
        for (int i = 0; i < s->nitems; i++) {
            double v;
            iot_rec_member(c->o, &n, s->items[i].name);
            if (iot_agg_value(s, st, i, &v)) iot_out_puts(c->o, "null");
            else if (iot_agg_is_count(s, i)) iot_out_json_int(c->o, (int64_t)v);
            else iot_out_json_num(c->o, v);
        }
        iot_rec_close(c->o);
    }
    iot_roll_free(r);
    free(oidx);
    free(drop);
}

static struct ctx *g_sctx;
static void emit_series(void *vc, const struct iot_series_row *r)
{
    struct ctx *c = vc;
    const struct iot_aggset *s = &c->in->set;
    iot_buf_reset(&c->b);
    iot_buf_addc(&c->b, '{');
    put_keys(c, r->key, r->klen);
    put_name(&c->b, "timestamp");
    iot_buf_addc(&c->b, '[');
    for (size_t j = 0; j < r->n; j++) {
        if (j) iot_buf_addc(&c->b, ',');
        put_time(&c->b, r->first + (int64_t)j * r->step);
    }
    iot_buf_addc(&c->b, ']');
    for (int i = 0; i < s->nitems; i++) {
        iot_buf_addc(&c->b, ',');
        put_name(&c->b, s->items[i].name);
        iot_buf_addc(&c->b, '[');
        for (size_t j = 0; j < r->n; j++) {
            if (j) iot_buf_addc(&c->b, ',');
            if (r->miss[i][j]) iot_buf_adds(&c->b, "null");
            else if (iot_agg_is_count(s, i)) iot_buf_addf(&c->b, "%lld", (long long)r->val[i][j]);
            else iot_buf_json_num(&c->b, r->val[i][j]);
        }
        iot_buf_addc(&c->b, ']');
    }
    finish_row(c, false);
}

static void run_series(struct iot_in *in, struct ctx *c)
{
    if (A.has_from != A.has_to) iot_usage("--series: give both --from and --to, or neither");
    if (A.has_from && A.to <= A.from) iot_usage("--to must be after --from");
    struct iot_series *s = iot_series_new(&c->in->set, A.series_step, A.align + A.offset,
                                          A.has_from, A.from, A.to, A.wc.max_keys);
    char *line;
    size_t len;
    struct iot_src src;
    int64_t t;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (read_record(c->in, line, len, &src, &t)) continue;
        int rc = iot_series_add(s, c->in->key.p, c->in->key.len, t, c->in->in);
        if (rc < 0)
            iot_die(IOT_EX_DATAERR, "%s:%lld: more than %zu keys (--max-keys)", src.file, (long long)src.line, A.wc.max_keys);
        if (rc > 0) iot_stat_add("outside_range", 1);
    }
    g_sctx = c;
    iot_series_finish(s, (enum iot_fill)A.fill, emit_series, c);
    iot_series_free(s);
}

/* --merge: partial rows grouped by (key, windowStart, windowEnd). */
struct mgroup { int64_t start, end; struct iot_agg_state *st; };
static const struct iot_aggset *mset;
static int cmp_mgroup(const void *a, const void *b)
{
    const struct mgroup *x = *(const struct mgroup *const *)a, *y = *(const struct mgroup *const *)b;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    size_t xn, yn;
    const char *xk = iot_keytab_key(x, &xn), *yk = iot_keytab_key(y, &yn);
    xn -= 16; yn -= 16;
    int c = memcmp(xk, yk, xn < yn ? xn : yn);
    if (c) return c;
    if (xn != yn) return xn < yn ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static void run_merge(struct iot_in *in, struct ctx *c)
{
    struct input *p = c->in;
    int si = iot_fields_add(p->f, "windowStart"), ei = iot_fields_add(p->f, "windowEnd"),
        ai = iot_fields_add(p->f, "_aggregates"), pi = iot_fields_add(p->f, "_partial");
    p->vals = iot_xrealloc(p->vals, ((size_t)iot_fields_count(p->f) + 1) * sizeof *p->vals);
    struct iot_keytab *groups = iot_keytab_new(sizeof(struct mgroup), A.wc.max_keys);
    struct iot_agg_state *tmp = iot_xmalloc(iot_agg_size(&p->set));
    char *line;
    size_t len;
    struct iot_src src;
    struct iot_buf kb = { 0 };
    mset = &p->set;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        const char *err, *why;
        if (iot_rec_scan(p->f, line, len, p->vals, &err)) {
            iot_reject(&src, line, len, "bad json", "%s", err);
            continue;
        }
        int64_t s, e;
        if (iot_val_time(&p->vals[si], IOT_TU_AUTO, &s, &why) || iot_val_time(&p->vals[ei], IOT_TU_AUTO, &e, &why)) {
            iot_reject(&src, line, len, "bad partial", "windowStart/windowEnd missing or not a time");
            continue;
        }
        if (!iot_val_streq(&p->vals[ai], p->set.spec, strlen(p->set.spec))) {
            iot_reject(&src, line, len, "bad partial", "_aggregates differs from -a '%s'", p->set.spec);
            continue;
        }
        const struct iot_val *pv = &p->vals[pi];
        json_t *j = pv->type == IOT_J_OBJ ? json_loadb(pv->p, pv->n, 0, NULL) : NULL;
        if (!j || iot_agg_from_json(&p->set, tmp, j)) {
            json_decref(j);
            iot_reject(&src, line, len, "bad partial", "_partial is not a partial aggregate state");
            continue;
        }
        json_decref(j);
        make_key(p);
        iot_buf_reset(&kb);
        iot_buf_add(&kb, p->key.p, p->key.len);
        iot_buf_add(&kb, &s, 8);
        iot_buf_add(&kb, &e, 8);
        int created;
        struct mgroup *g = iot_keytab_get(groups, kb.p, kb.len, &created);
        if (!g)
            iot_die(IOT_EX_DATAERR, "%s:%lld: more than %zu groups (--max-keys)", src.file, (long long)src.line, A.wc.max_keys);
        if (created) {
            g->start = s; g->end = e;
            g->st = iot_xmalloc(iot_agg_size(&p->set));
            iot_agg_init(&p->set, g->st);
        }
        iot_agg_merge(&p->set, g->st, tmp);
        iot_agg_free(&p->set, tmp);
    }
    size_t n, pos = 0;
    void **all = iot_xmalloc((iot_keytab_count(groups) + 1) * sizeof *all);
    struct mgroup *g;
    n = 0;
    while ((g = iot_keytab_next(groups, &pos))) all[n++] = g;
    qsort(all, n, sizeof *all, cmp_mgroup);
    for (size_t i = 0; i < n; i++) {
        g = all[i];
        size_t kl;
        const char *k = iot_keytab_key(g, &kl);
        struct iot_row r = { IOT_ROW_WINDOW, k, kl - 16, g->start, g->end, g->st };
        emit_row(c, &r);
        iot_agg_free(&p->set, g->st);
        free(g->st);
    }
    free(all);
    free(tmp);
    iot_buf_free(&kb);
    iot_keytab_free(groups, NULL);
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-window");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    if (A.mode == M_WINDOW && A.nkinds != 1)
        iot_usage(A.nkinds ? "give only one window kind" : "give a window: --tumbling, --hopping, --sliding, --session or --count (or --rolling, --series, --merge)");
    if (A.mode != M_WINDOW && A.nkinds)
        iot_usage("--rolling, --series and --merge do not take a window kind");
    if (A.wc.kind == IOT_WIN_HOPPING && A.wc.hop > A.wc.size) iot_usage("--hopping: HOP must not exceed SIZE");
    if (A.partial && (A.mode != M_WINDOW || (A.wc.kind != IOT_WIN_TUMBLING && A.wc.kind != IOT_WIN_HOPPING)))
        iot_usage("--emit partial needs --tumbling or --hopping (other windows are not mergeable by bounds)");
    if (A.state && A.mode != M_WINDOW) iot_usage("--state works with window kinds only");
    if (A.having && A.partial) iot_usage("--having applies to final rows; use it with --merge");
    A.wc.offset = A.align + A.offset;

    struct input in = { 0 };
    input_init(&in, NULL);
    struct ctx c = { .in = &in, .o = iot_out_std() };
    if (A.having) {
        char err[256];
        c.hf = iot_fields_new();
        c.having = iot_expr_compile(A.having, c.hf, err, sizeof err);
        if (!c.having) iot_usage("--having: %s", err);
        c.hv = iot_xcalloc((size_t)iot_fields_count(c.hf) + 1, sizeof *c.hv);
    }
    g_in = in;
    struct iot_in *src = iot_in_open(argv + optind_, argc - optind_, iot_common.max_line);
    switch (A.mode) {
    case M_WINDOW: run_window(src, &c); break;
    case M_ROLLING: run_rolling(src, &c); break;
    case M_SERIES: run_series(src, &c); break;
    case M_MERGE: run_merge(src, &c); break;
    }
    iot_in_close(src);
    return iot_diag_finish();
}
