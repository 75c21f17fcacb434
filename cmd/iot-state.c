/* iot-state: the device-state store of the warm path (Cosmos DB device state, IoT Hub device
 * twins). Options and wiring; lib/devstate/statejob.c runs lib/devstate/devstate (memory) over
 * lib/devstate/devdb (SQLite) and the NDJSON snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/out.h"
#include "core/time.h"
#include "devstate/statejob.h"

enum { O_DB = 1, O_SNAPSHOT, O_EVERY, O_BATCH, O_TEE, O_CHANGES, O_DEADBAND, O_OFFLINE, O_RETRY,
       O_MAXKEYS, O_GET, O_LIST, O_WHERE, O_DESIRED, O_IDLE };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Store:", 0 },
    { "db", 0, IOT_ARG, "FILE", "SQLite database (WAL; created with schema version 1 if absent)", O_DB },
    { "snapshot", 0, IOT_ARG, "FILE", "also write every device's state as NDJSON to FILE (atomically) at exit", O_SNAPSHOT },
    { "every", 0, IOT_ARG, "DURATION", "rewrite the --snapshot every DURATION of wall clock, e.g. 10s", O_EVERY },
    { "batch", 0, IOT_ARG, "N", "records per transaction at most (default 1000000; also commits each second and when input pauses)", O_BATCH },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    { NULL, 0, 0, NULL, "State:", 0 },
    { "offline-after", 0, IOT_ARG, "DURATION", "a device is offline when no record came for DURATION of event time", O_OFFLINE },
    { "idle", 0, IOT_ARG, "DURATION", "when input is quiet this long (wall clock), advance event time by the quiet time", O_IDLE },
    { "desired", 0, IOT_ARG, "FILE", "desired properties: every record of FILE is a desired document, read before the input", O_DESIRED },
    { "retry", 0, IOT_ARG, "DURATION", "resend setProperties after DURATION of event time while reported != desired", O_RETRY },
    { "max-keys", 0, IOT_ARG, "N", "refuse more than N devices (exit 65)", O_MAXKEYS },
    { NULL, 0, 0, NULL, "Output (commands for twin reconciliation are always written):", 0 },
    { "tee", 0, IOT_NOARG, NULL, "pass every input line through to the output", O_TEE },
    { "changes", 0, IOT_NOARG, NULL, "write a stateChange record when a device comes online, goes offline or a field changes", O_CHANGES },
    { "deadband", 0, IOT_ARG, "X", "--changes: a number changes when it moves by more than X (default 0)", O_DEADBAND },
    { NULL, 0, 0, NULL, "Queries (read --db, print NDJSON):", 0 },
    { "get", 0, IOT_ARG, "DEVICE", "the state of one device (a string id)", O_GET },
    { "list", 0, IOT_NOARG, NULL, "the state of every device, in key order", O_LIST },
    { "where", 0, IOT_ARG, "EXPR", "--list: only devices whose state record matches EXPR, e.g. 'status == \"offline\"'", O_WHERE },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-state", "[OPTION]... [FILE]...",
    "Keep each device's reported and desired state in SQLite; reconcile device twins.",
    "Examples:\n"
    "  iot-sim | iot-state --db state.sqlite --offline-after 1m\n"
    "  sqlite3 state.sqlite \"SELECT device, status, last_seen FROM devices\"\n"
    "  iot-state --db state.sqlite --get pump-000000\n"
    "  iot-state --db state.sqlite --list --where 'reported.temperature > 80'\n"
    "  ... | iot-state --db state.sqlite --tee --changes --deadband 0.5 | iot-route ...\n",
    opts
};

static struct iot_statejob J = { .batch = 1000000 };

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    switch (id) {
    case O_DB: J.db = arg; break;
    case O_SNAPSHOT: J.snapshot = arg; break;
    case O_EVERY: J.every = iot_cli_duration("--every", arg); break;
    case O_BATCH: J.batch = (size_t)iot_cli_int("--batch", arg, 1, INT32_MAX); break;
    case O_OFFLINE: J.st.offline_after = iot_cli_duration("--offline-after", arg); break;
    case O_IDLE: J.idle = iot_cli_duration("--idle", arg); break;
    case O_DESIRED: J.desired = arg; break;
    case O_RETRY: J.st.retry = iot_cli_duration("--retry", arg); break;
    case O_MAXKEYS: J.st.max_keys = (size_t)iot_cli_int("--max-keys", arg, 1, INT64_MAX); break;
    case O_TEE: J.tee = true; break;
    case O_CHANGES: J.st.changes = true; break;
    case O_DEADBAND:
        J.st.deadband = iot_cli_double("--deadband", arg);
        if (!(J.st.deadband >= 0)) iot_usage("--deadband must be a number >= 0");
        break;
    case O_GET: J.get = arg; break;
    case O_LIST: J.list = true; break;
    case O_WHERE: J.where = arg; break;
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-state");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    bool query = J.get || J.list;
    if (J.get && J.list) iot_usage("give --get or --list, not both");
    if (J.where && !J.list) iot_usage("--where goes with --list");
    if (query && !J.db) iot_usage("--get and --list read a database: give --db FILE");
    if (query && optind_ < argc) iot_usage("--get and --list read no input files");
    if (!query && !J.db && !J.snapshot) iot_usage("give --db FILE and/or --snapshot FILE (or --get/--list)");
    if (query && (J.desired || J.idle)) iot_usage("--desired and --idle go with a run over input, not a query");
    if (J.idle && !J.st.offline_after) iot_usage("--idle needs --offline-after (it moves event time on for offline detection)");
    if (J.every && !J.snapshot) iot_usage("--every goes with --snapshot");
    J.st.key = iot_common.key;
    J.st.time_field = iot_common.time_field;
    J.st.time_unit = iot_common.time_unit;
    if (query) iot_statejob_query(&J, iot_out_std());
    else iot_statejob_run(&J, argv + optind_, argc - optind_, iot_common.max_line, iot_out_std());
    return iot_diag_finish();
}
