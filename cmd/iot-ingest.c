/* iot-ingest: the front door. NDJSON or CSV (zstd or not) in; validated, time-normalised,
 * renamed, enriched, deduplicated, reduced NDJSON out; optional event-time merge and replay. */
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/time.h"
#include "ingest/job.h"

enum { O_FORMAT = 1, O_CSVCOLS, O_CSVDELIM, O_MERGE, O_REPLAY, O_SPEED, O_REBASE, O_SCHEMA,
       O_RENAME, O_INGEST, O_SET, O_DROP, O_ASSETS, O_APREFIX, O_UNKNOWN, O_DEDUPE, O_DWIN,
       O_DMAX, O_DEADBAND, O_SWING, O_MAXGAP, O_MAXKEYS, O_EVAL, O_WHERE, O_SELECT, O_NOW };

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
    { NULL, 0, 0, NULL, "Computed fields and selection (expressions: iot(7)):", 0 },
    { "eval", 0, IOT_ARG, "NAME=EXPR", "add or replace field NAME with the value of EXPR (repeatable, in order)", O_EVAL },
    { "where", 0, IOT_ARG, "EXPR", "keep only records where EXPR is true (the rest counted as filtered)", O_WHERE },
    { "select", 0, IOT_ARG, "FIELD,...", "write only these fields, in this order", O_SELECT },
    { "now", 0, IOT_ARG, "TIME", "the time now() and ago() read (default: the clock, read per batch)", O_NOW },
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
static struct iot_ingest_job_opts opt = { .dwin = 600 * IOT_NS_PER_S, .max_keys = 1000000 };
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
        if (strcmp(arg, "keep") == 0) opt.unknown = IOT_UNKNOWN_KEEP;
        else if (strcmp(arg, "dead-letter") == 0) opt.unknown = IOT_UNKNOWN_DEAD;
        else if (strcmp(arg, "count") == 0) opt.unknown = IOT_UNKNOWN_COUNT;
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
    case O_EVAL: add_list(&opt.eval, &opt.neval, arg, 0); break;
    case O_WHERE:
        if (opt.where) iot_usage("--where: given twice; join the conditions with &&");
        opt.where = arg;
        break;
    case O_SELECT: add_list(&opt.select, &opt.nselect, arg, ','); break;
    case O_NOW: opt.now = iot_cli_time("--now", arg); opt.fixed_now = 1; break;
    case O_MAXKEYS: opt.max_keys = iot_cli_int("--max-keys", arg, 1, INT64_MAX / 64); break;
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-ingest");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    if (opt.rebase && strcmp(opt.rebase, "now") != 0)
        opt.rebase_at = iot_cli_time("--rebase", opt.rebase);
    if (inopt.csv_cols && inopt.format == IOT_FMT_NDJSON)
        iot_usage("--csv-columns needs CSV input");
    int n = argc - optind_;
    static char *dash[] = { "-" };
    char **paths = n ? argv + optind_ : dash;
    n = n ? n : 1;
    iot_ingest_input_check(paths, n, opt.merge);
    inopt.time_unit = iot_common.time_unit;
    inopt.max_line = iot_common.max_line;
    opt.key = iot_common.key;
    opt.time_field = iot_common.time_field;
    iot_ingest_run(&opt, &inopt, paths, n);
    return iot_diag_finish();
}
