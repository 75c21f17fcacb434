/* iot-window: event-time windows, aggregates, rolling features, make-series, silent devices,
 * resumable state and shard partials. Options and wiring; lib/window/winjob.c runs the modes over
 * lib/aggrec (records), window/rolling/series/winmerge (engines) and winout (rows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/out.h"
#include "core/time.h"
#include "window/winjob.h"

enum { O_TUMBLING = 1, O_HOPPING, O_SLIDING, O_SESSION, O_COUNT, O_OFFSET, O_ALIGN, O_LABEL,
       O_AGG, O_LATENESS, O_LATE, O_IDLE, O_ABSENT, O_HAVING, O_ROLLING, O_SERIES, O_FROM, O_TO,
       O_FILL, O_STATE, O_EMIT, O_MERGE, O_MAXKEYS, O_EVICT, O_BADVALUE, O_MAXPOINTS };

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
    IOT_OPT_APPEND,
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
    { "max-points", 0, IOT_ARG, "N", "series: refuse more than N bins per key (default 1000000)", O_MAXPOINTS },
    { NULL, 0, 0, NULL, "Restarts and shards:", 0 },
    { "state", 0, IOT_ARG, "FILE", "restore open windows from FILE, save them there at exit; emit closed windows only", O_STATE },
    { "emit", 0, IOT_ARG, "final|partial", "partial: mergeable aggregate states instead of values", O_EMIT },
    { "merge", 0, IOT_NOARG, NULL, "combine partial rows from shards into final rows", O_MERGE },
    { "max-keys", 0, IOT_ARG, "N", "refuse more than N distinct keys (exit 65), or see --evict", O_MAXKEYS },
    { "evict", 0, IOT_ARG, "oldest", "beyond --max-keys, close and forget the key whose last event is oldest", O_EVICT },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-window", "[OPTION]... [FILE]...",
    "Aggregate telemetry in event-time windows (Stream Analytics and make-series semantics).",
    "Examples:\n"
    "  iot-window --tumbling 1m -a 'count(),avg(temperature),max(temperature),stdev(vibration)'\n"
    "  iot-window --hopping 10m/1m --late drop --lateness 30s -a 'p95(vibration)' day.ndjson\n"
    "  iot-window --session 5m:1h -a 'count(),first(temperature),last(temperature)'\n"
    "  iot-window --series 1h --fill linear -a 'avg(temperature)' day.ndjson\n"
    "  iot-window --tumbling 1m --max-keys 50000 --evict oldest -a 'count(),countif(temperature > 80) as hot'\n",
    opts
};

static struct iot_winjob J = { .win = { .lateness = 5 * IOT_NS_PER_S }, .fill = IOT_FILL_NULL,
                               .max_points = 1000000 };
static int nkinds;
static int64_t offset, align;
static bool has_from, has_to;

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    char *slash;
    switch (id) {
    case O_TUMBLING: J.win.kind = IOT_WIN_TUMBLING; J.win.size = iot_cli_duration("--tumbling", arg); nkinds++; break;
    case O_HOPPING: {
        slash = strchr(arg, '/');
        if (!slash) iot_usage("--hopping wants SIZE/HOP, e.g. 10m/1m");
        char *sz = strndup(arg, (size_t)(slash - arg));
        J.win.kind = IOT_WIN_HOPPING;
        J.win.size = iot_cli_duration("--hopping", sz);
        J.win.hop = iot_cli_duration("--hopping", slash + 1);
        free(sz);
        nkinds++;
        break;
    }
    case O_SLIDING: J.win.kind = IOT_WIN_SLIDING; J.win.size = iot_cli_duration("--sliding", arg); nkinds++; break;
    case O_SESSION: {
        const char *colon = strchr(arg, ':');
        char *gap = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
        J.win.kind = IOT_WIN_SESSION;
        J.win.size = iot_cli_duration("--session", gap);
        if (colon) {
            const char *m = colon + 1;
            if (strncmp(m, "max", 3) == 0) { m += 3; while (*m == ' ' || *m == '=') m++; }
            J.win.hop = iot_cli_duration("--session", m);
        }
        free(gap);
        nkinds++;
        break;
    }
    case O_COUNT: J.win.kind = IOT_WIN_COUNT; J.win.size = iot_cli_int("--count", arg, 1, INT32_MAX); nkinds++; break;
    case O_OFFSET:
        offset = arg[0] == '-' ? -iot_cli_duration0("--offset", arg + 1) : iot_cli_duration0("--offset", arg[0] == '+' ? arg + 1 : arg);
        break;
    case O_ALIGN: align = iot_cli_time("--align", arg); break;
    case O_LABEL:
        if (strcmp(arg, "end") == 0) J.win.start_edges = false;
        else if (strcmp(arg, "start") == 0) J.win.start_edges = true;
        else iot_usage("--label must be end or start");
        break;
    case O_AGG: J.rec.spec = arg; break;
    case O_HAVING: J.having = arg; break;
    case O_BADVALUE:
        if (strcmp(arg, "skip") == 0) J.rec.skip_bad = true;
        else if (strcmp(arg, "reject") == 0) J.rec.skip_bad = false;
        else iot_usage("--bad-value must be reject or skip");
        break;
    case O_LATENESS: J.win.lateness = iot_cli_duration0("--lateness", arg); break;
    case O_LATE:
        if (strcmp(arg, "adjust") == 0) J.win.late = IOT_LATE_ADJUST;
        else if (strcmp(arg, "drop") == 0) J.win.late = IOT_LATE_DROP;
        else if (strcmp(arg, "dead-letter") == 0) J.win.late = IOT_LATE_DEADLETTER;
        else iot_usage("--late must be adjust, drop or dead-letter");
        break;
    case O_IDLE: J.idle = iot_cli_duration("--idle", arg); break;
    case O_ABSENT: J.win.absent = iot_cli_duration("--absent", arg); break;
    case O_ROLLING:
        J.mode = IOT_JOB_ROLLING;
        if (arg[strspn(arg, "0123456789")] == 0) J.roll_n = iot_cli_int("--rolling", arg, 1, INT32_MAX);
        else J.roll_dur = iot_cli_duration("--rolling", arg);
        break;
    case O_SERIES: J.mode = IOT_JOB_SERIES; J.step = iot_cli_duration("--series", arg); break;
    case O_FROM: J.from = iot_cli_time("--from", arg); has_from = true; break;
    case O_TO: J.to = iot_cli_time("--to", arg); has_to = true; break;
    case O_FILL: {
        int fill = iot_fill_parse(arg);
        if (fill < 0) iot_usage("--fill must be null, zero, prev or linear");
        J.fill = (enum iot_fill)fill;
        break;
    }
    case O_MAXPOINTS: J.max_points = iot_cli_int("--max-points", arg, 1, INT64_MAX); break;
    case O_STATE: J.state = arg; break;
    case O_EMIT:
        if (strcmp(arg, "partial") == 0) J.partial = true;
        else if (strcmp(arg, "final") == 0) J.partial = false;
        else iot_usage("--emit must be final or partial");
        break;
    case O_MERGE: J.mode = IOT_JOB_MERGE; break;
    case O_EVICT:
        if (strcmp(arg, "oldest") != 0) iot_usage("--evict must be oldest");
        J.win.evict = true;
        break;
    case O_MAXKEYS: J.win.max_keys = (size_t)iot_cli_int("--max-keys", arg, 1, INT64_MAX); break;
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-window");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    if (J.mode == IOT_JOB_WINDOW && nkinds != 1)
        iot_usage(nkinds ? "give only one window kind" : "give a window: --tumbling, --hopping, --sliding, --session or --count (or --rolling, --series, --merge)");
    if (J.mode != IOT_JOB_WINDOW && nkinds)
        iot_usage("--rolling, --series and --merge do not take a window kind");
    if (J.win.kind == IOT_WIN_HOPPING && J.win.hop > J.win.size) iot_usage("--hopping: HOP must not exceed SIZE");
    if (J.partial && (J.mode != IOT_JOB_WINDOW || (J.win.kind != IOT_WIN_TUMBLING && J.win.kind != IOT_WIN_HOPPING)))
        iot_usage("--emit partial needs --tumbling or --hopping (other windows are not mergeable by bounds)");
    if (J.state && J.mode != IOT_JOB_WINDOW) iot_usage("--state works with window kinds only");
    if (J.having && J.partial) iot_usage("--having applies to final rows; use it with --merge");
    if (J.mode == IOT_JOB_SERIES && has_from != has_to) iot_usage("--series: give both --from and --to, or neither");
    if (J.win.evict && (!J.win.max_keys || J.mode == IOT_JOB_SERIES || J.mode == IOT_JOB_MERGE))
        iot_usage("--evict needs --max-keys, with a window kind or --rolling");
    J.has_range = has_from;
    J.win.offset = align + offset;
    J.rec.key = iot_common.key;
    J.rec.time_field = iot_common.time_field;
    J.rec.time_unit = iot_common.time_unit;
    iot_winjob_run(&J, argv + optind_, argc - optind_, iot_common.max_line, iot_out_std());
    return iot_diag_finish();
}
