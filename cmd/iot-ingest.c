/* iot-ingest: the front door. NDJSON or CSV (zstd or not) in; validated, time-normalised,
 * renamed, enriched, deduplicated, reduced NDJSON out; optional event-time merge and replay. */
#include <stdlib.h>
#include <string.h>
#include "ingest/assets.h"
#include "core/cli.h"
#include "ingest/dedupe.h"
#include "core/diag.h"
#include "ingest/ingest_input.h"
#include "core/key.h"
#include "core/out.h"
#include "core/pace.h"
#include "ingest/recedit.h"
#include "ingest/reduce.h"
#include "ingest/schema.h"
#include "core/time.h"

enum { O_FORMAT = 1, O_CSVCOLS, O_CSVDELIM, O_MERGE, O_REPLAY, O_SPEED, O_REBASE, O_SCHEMA,
       O_RENAME, O_INGEST, O_SET, O_DROP, O_ASSETS, O_APREFIX, O_UNKNOWN, O_DEDUPE, O_DWIN,
       O_DMAX, O_DEADBAND, O_SWING, O_MAXGAP, O_MAXKEYS };
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
static struct {
    int merge, replay, unknown, dedupe;
    double speed;
    const char *rebase, *schema, *ingest_time, *assets, *aprefix, *dedupe_fields;
    char **rename, **drop, **set;   /* as given, applied once the fields are known */
    int nrename, ndrop, nset;
    int64_t dwin, max_gap, dmax, max_keys;
    struct iot_reduce_field *red;
    char **red_field;
    int nred;
} opt = { .dwin = 600 * IOT_NS_PER_S, .max_keys = 1000000 };
static struct iot_ingest_opts inopt = { .delim = ',' };

static void add_list(char ***v, int *n, const char *arg, char sep)
{
    int k;
    char **add = sep ? iot_split(arg, sep, &k) : (char *[]){ (char *)arg, NULL }, **at = add;
    k = sep ? k : 1;
    *v = iot_xrealloc(*v, sizeof **v * (size_t)(*n + k + 1));
    for (; *at; at++)
        (*v)[(*n)++] = iot_xstrdup(*at);
    if (sep)
        iot_strv_free(add);
}

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    const char *why_;
    switch (id) {
    case O_FORMAT:
        if (strcmp(arg, "ndjson") == 0 || strcmp(arg, "json") == 0) inopt.format = IOT_FMT_NDJSON;
        else if (strcmp(arg, "csv") == 0) inopt.format = IOT_FMT_CSV;
        else if (strcmp(arg, "auto") == 0) inopt.format = IOT_FMT_AUTO;
        else iot_usage("--format: '%s' is not one of ndjson, csv, auto", arg);
        break;
    case O_CSVCOLS: inopt.csv_cols = iot_split(arg, ',', &inopt.ncsv_cols); break;
    case O_CSVDELIM:
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0) inopt.delim = '\t';
        else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r') inopt.delim = arg[0];
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
    case O_RENAME: add_list(&opt.rename, &opt.nrename, arg, ','); break;
    case O_INGEST: opt.ingest_time = arg; break;
    case O_SET: add_list(&opt.set, &opt.nset, arg, 0); break;
    case O_DROP: add_list(&opt.drop, &opt.ndrop, arg, ','); break;
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
    case O_DEADBAND:
    case O_SWING:
        if (iot_reduce_parse(arg, id == O_SWING ? IOT_RED_SWING : IOT_RED_DEADBAND, &opt.red,
                             &opt.red_field, &opt.nred, &why_) != 0)
            iot_usage("--%s: '%s': %s", id == O_SWING ? "swinging-door" : "deadband", arg, why_);
        break;
    case O_MAXGAP: opt.max_gap = iot_cli_duration("--max-gap", arg); break;
    case O_MAXKEYS: opt.max_keys = iot_cli_int("--max-keys", arg, 1, INT64_MAX / 64); break;
    }
}

/* ---- run-time state ---- */
static struct iot_fields *fields;
static int *ired;
static struct iot_schema *schema;
static struct iot_assets *assets;
static struct iot_dedupe *dedupe;
static struct iot_recedit *edit;
static struct iot_reduce *reducer;
static struct iot_reduce_val *rvals;
static struct iot_out *out;
static struct iot_pace pace;
static int64_t shift, rebase_at;
static int have_shift;
static struct iot_buf line_out, extra, keybuf, why;

static void emit(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    iot_out_write(out, s, n);
    iot_out_eol(out);
}

static void process(const struct iot_ingest_rec *r, void *ctx)
{
    (void)ctx;
    const struct iot_val *vals = r->vals;
    if (schema && iot_schema_check(schema, vals, &why) != 0) {
        iot_reject(&r->src, r->line, r->len, "schema", "%s", why.p);
        return;
    }
    if (dedupe && iot_dedupe_record(dedupe, vals, r->t)) {
        iot_stat_add("deduped", 1);
        return;
    }
    iot_buf_reset(&keybuf);
    for (int k = 0; (assets || reducer) && k < inopt.nkeys; k++) {
        if (k)
            iot_buf_addc(&keybuf, '\x1f');
        iot_key_part(&vals[inopt.key0 + k], &keybuf);
    }
    iot_buf_reset(&extra);
    if (opt.ingest_time) {
        char b[48];
        iot_buf_json_str(&extra, opt.ingest_time, strlen(opt.ingest_time));
        iot_buf_adds(&extra, ":\"");
        iot_buf_add(&extra, b, iot_time_fmt(iot_time_now(), b));
        iot_buf_addc(&extra, '"');
    }
    if (assets) {
        size_t an;
        const char *a = iot_assets_find(assets, keybuf.p, keybuf.len, &an);
        if (!a && opt.unknown == U_DEAD) {
            iot_reject(&r->src, r->line, r->len, "unknown asset", "%s: no asset with this key",
                       iot_fields_path(fields, inopt.key0));
            return;
        }
        if (!a) {
            iot_stat_add(opt.unknown == U_COUNT ? "unknown_asset_dropped" : "unknown_asset_kept", 1);
            if (opt.unknown == U_COUNT)
                return;
        } else if (an) {
            if (extra.len)
                iot_buf_addc(&extra, ',');
            iot_buf_add(&extra, a, an);
        }
    }
    int64_t t = r->t;
    if (opt.rebase) {
        if (!have_shift)
            shift = (strcmp(opt.rebase, "now") == 0 ? iot_time_now() : rebase_at) - t, have_shift = 1;
        t += shift;
    }
    if (opt.replay && !iot_pace_until(&pace, r->t))
        return;
    iot_recedit_apply(edit, r->line, r->len, vals, t, extra.p, extra.len, &line_out);
    if (!reducer) {
        emit(NULL, line_out.p, line_out.len);
        return;
    }
    iot_reduce_vals(rvals, vals, ired, opt.nred);
    if (iot_reduce_push(reducer, keybuf.p, keybuf.len, t, rvals, line_out.p, line_out.len, emit, NULL))
        iot_stat_add("reduced", 1);
}

static void setup(void)
{
    const char *why_;
    fields = iot_fields_new();
    inopt.fields = fields;
    inopt.time_index = iot_fields_add(fields, iot_common.time_field);
    int nk;
    char **keys = iot_split(iot_common.key, ',', &nk);
    inopt.key0 = iot_fields_count(fields), inopt.nkeys = nk;
    for (int i = 0; i < nk; i++)
        if (iot_fields_add(fields, keys[i]) != inopt.key0 + i)
            iot_usage("-k: '%s' is named twice or is the time field", keys[i]);
    edit = iot_recedit_new(fields, inopt.time_index);
    for (int i = 0; i < opt.nrename; i++)
        if (iot_recedit_rename_arg(edit, opt.rename[i], &why_) != 0)
            iot_usage("--rename: '%s': %s", opt.rename[i], why_);
    for (int i = 0; i < opt.ndrop; i++)
        if (iot_recedit_drop(edit, opt.drop[i], &why_) != 0)
            iot_usage("--drop: '%s': %s", opt.drop[i], why_);
    for (int i = 0; i < opt.nset; i++)
        if (iot_recedit_set_arg(edit, opt.set[i], &why_) != 0)
            iot_usage("--set: '%s': %s", opt.set[i], why_);
    if (opt.ingest_time && iot_recedit_replace(edit, opt.ingest_time, &why_) != 0)
        iot_usage("--ingest-time: '%s': %s", opt.ingest_time, why_);
    ired = iot_xcalloc((size_t)opt.nred + 1, sizeof *ired);
    for (int i = 0; i < opt.nred; i++)
        ired[i] = iot_fields_add(fields, opt.red_field[i]);
    if (opt.dedupe) {
        int nd = nk + 1, *idd;
        char **d = opt.dedupe_fields ? iot_split(opt.dedupe_fields, ',', &nd) : NULL;
        idd = iot_xcalloc((size_t)nd, sizeof *idd);
        for (int i = 0; i < nd; i++)
            idd[i] = d ? iot_fields_add(fields, d[i]) : i < nk ? inopt.key0 + i : inopt.time_index;
        dedupe = iot_dedupe_new(opt.dwin, (size_t)opt.dmax);
        iot_dedupe_identity(dedupe, idd, nd, inopt.time_index, inopt.key0, nk);
        iot_strv_free(d);
        free(idd);
    }
    if (opt.schema)
        schema = iot_schema_load(opt.schema, fields);
    if (opt.assets)
        assets = iot_assets_load(opt.assets, keys, nk, opt.aprefix);
    iot_strv_free(keys);
    if (opt.nred) {
        reducer = iot_reduce_new(opt.red, opt.nred, opt.max_gap, (size_t)opt.max_keys);
        rvals = iot_xcalloc((size_t)opt.nred, sizeof *rvals);
    } else if (opt.max_gap) {
        iot_usage("--max-gap needs --deadband or --swinging-door");
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-ingest");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    if (opt.rebase && strcmp(opt.rebase, "now") != 0)
        rebase_at = iot_cli_time("--rebase", opt.rebase);
    if (inopt.csv_cols && inopt.format == IOT_FMT_NDJSON)
        iot_usage("--csv-columns needs CSV input");
    int n = argc - optind_;
    static char *dash[] = { "-" };
    char **paths = n ? argv + optind_ : dash;
    n = n ? n : 1;
    iot_ingest_input_check(paths, n, opt.merge);
    inopt.time_unit = iot_common.time_unit;
    inopt.max_line = iot_common.max_line;
    setup();
    if (opt.replay)
        iot_pace_init(&pace, opt.speed > 0 ? opt.speed : 1);
    out = iot_out_std();

    int64_t bytes_in = iot_ingest_input_each(paths, n, opt.merge, &inopt, process, NULL);
    if (reducer) {
        iot_stat_add("reduced", iot_reduce_finish(reducer, emit, NULL));
        if (iot_reduce_overflow(reducer))
            iot_stat_add("reduce_unreduced_keys_overflow", iot_reduce_overflow(reducer));
        iot_reduce_free(reducer);
    }
    if (dedupe)
        iot_dedupe_stats(dedupe), iot_dedupe_free(dedupe);
    iot_stat_add("bytes_in", bytes_in);
    iot_stat_add("bytes_out", (int64_t)iot_out_bytes(out));
    return iot_diag_finish();
}
