/* iot-route: conditional fan-out of records to stdout, partitioned files and child commands
 * (lib/route/job.c runs the loop, route.c parses the table, lib/core/expr.c the conditions,
 * lib/route/endpoint.c writes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "route/job.h"

enum { O_ROUTE = 1, O_ROUTES, O_FALLBACK, O_FIRST, O_SHARD, O_MAX_OPEN, O_MAX_BYTES, O_MAX_AGE,
       O_APPEND, O_CHECK, O_SPOOL, O_SPOOL_MAX, O_ACK_TIMEOUT,
       O_METRICS, O_METRICS_EVERY };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Routes:", 0 },
    { "route", 'r', IOT_ARG, "ROUTE", "NAME: CONDITION => ENDPOINT[, ENDPOINT]... (repeatable; see iot-route(1))", O_ROUTE },
    { "routes", 0, IOT_ARG, "FILE", "routes from a JSON file ({\"routes\": [{name, condition, endpoints, enabled}], \"fallback\"})", O_ROUTES },
    { "fallback", 0, IOT_ARG, "ENDPOINT", "where records matching no route go (default -, stdout; drop drops and counts them)", O_FALLBACK },
    { "first", 0, IOT_NOARG, NULL, "stop at the first matching route (default: every matching route)", O_FIRST },
    { "check", 0, IOT_NOARG, NULL, "compile the routes, print them and exit", O_CHECK },
    { NULL, 0, 0, NULL, "Endpoints:", 0 },
    { "shard", 0, IOT_ARG, "N", "{shard} in templates is the key's shard 0..N-1 (Event Hubs lookup3 hash of the key)", O_SHARD },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    { "max-open", 0, IOT_ARG, "N", "open files and children at most (least recently used closed first; default 64)", O_MAX_OPEN },
    { "max-bytes", 0, IOT_ARG, "SIZE", "start a new file segment after SIZE bytes (uncompressed; k, M, G suffixes)", O_MAX_BYTES },
    { "max-age", 0, IOT_ARG, "DURATION", "start a new file segment when one has been open this long (wall clock)", O_MAX_AGE },
    { "append", 0, IOT_NOARG, NULL, "append to the named files (zstd: a new frame) instead of writing atomic segments", O_APPEND },
    { NULL, 0, 0, NULL, "MQTT and store-and-forward:", 0 },
    { "spool", 0, IOT_ARG, "DIR", "keep records an MQTT broker does not take in DIR, replay them in order when it is back", O_SPOOL },
    { "spool-max", 0, IOT_ARG, "SIZE", "spool bound per endpoint (default 1G; when full the newest records are dropped and counted)", O_SPOOL_MAX },
    { "ack-timeout", 0, IOT_ARG, "DURATION", "a PUBACK later than this means the broker is gone; also the wait at the end (default 10s)", O_ACK_TIMEOUT },
    { "metrics", 0, IOT_ARG, "FILE", "Prometheus text metrics written to FILE atomically (textfile collector)", O_METRICS },
    { "metrics-every", 0, IOT_ARG, "DURATION", "how often --metrics is rewritten (default 10s; and at exit)", O_METRICS_EVERY },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-route", "[OPTION]... [FILE]...",
    "Route records to stdout, partitioned files and commands by conditions (IoT Hub message routing).",
    "Endpoints: - (stdout), drop, file:TEMPLATE, mqtt://HOST:PORT/TOPIC-TEMPLATE (QoS 1), exec:PROG ARG...,\n"
    "sh:SHELL-COMMAND.\n"
    "Templates: {yyyy} {MM} {dd} {HH} {mm} {ss} (event time, UTC), {shard}, {FIELD}.\n"
    "Examples:\n"
    "  iot-route -r 'alerts: temperature > 80 && priority == \"high\" => file:alerts.ndjson' \\\n"
    "            -r 'lake: true => file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst' --fallback drop\n"
    "  iot-route -r 'cmd: messageType == \"command\" => exec:mosquitto_pub -l -t devices/{deviceId}/commands'\n"
    "  iot-route --spool /var/spool/iot -r 'up: true => mqtt://127.0.0.1:1883/devices/{deviceId}/telemetry'\n"
    "  iot-route --shard 4 --fallback 'file:shard-{shard}.ndjson'\n",
    opts
};

static void on_opt(int id, const char *arg, void *ctx)
{
    struct iot_routejob *a = ctx;
    switch (id) {
    case O_ROUTE:
        a->route_text = realloc(a->route_text, (size_t)(a->nroute_text + 1) * sizeof *a->route_text);
        if (!a->route_text) iot_die(IOT_EX_SOFTWARE, "out of memory");
        a->route_text[a->nroute_text++] = arg;
        break;
    case O_ROUTES: a->routes_file = arg; break;
    case O_FALLBACK: a->fallback = arg; break;
    case O_FIRST: a->first = true; break;
    case O_CHECK: a->check = true; break;
    case O_SHARD: a->shards = (int)iot_cli_int("--shard", arg, 1, 65536); break;
    case O_MAX_OPEN: a->eo.max_open = (int)iot_cli_int("--max-open", arg, 1, 100000); break;
    case O_MAX_BYTES:
        if (iot_size_parse(arg, &a->eo.max_bytes) < 0)
            iot_usage("--max-bytes: '%s' is not a size (e.g. 64M)", arg);
        break;
    case O_MAX_AGE: a->eo.max_age = iot_cli_duration("--max-age", arg); break;
    case O_APPEND: a->eo.append = true; break;
    case O_SPOOL: a->eo.spool = arg; break;
    case O_SPOOL_MAX:
        if (iot_size_parse(arg, &a->eo.spool_max) < 0) iot_usage("--spool-max: '%s' is not a size (e.g. 1G)", arg);
        break;
    case O_METRICS: a->metrics = arg; break;
    case O_METRICS_EVERY: a->metrics_every = iot_cli_duration("--metrics-every", arg); break;
    case O_ACK_TIMEOUT: a->eo.ack_timeout = iot_cli_duration("--ack-timeout", arg); break;
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-route");
    struct iot_routejob j = { .eo.spool_max = UINT64_C(1) << 30 };
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, &j);
    j.key = iot_common.key;
    j.time_field = iot_common.time_field;
    j.time_unit = iot_common.time_unit;
    j.max_line = iot_common.max_line;
    j.eo.unbuffered = iot_common.unbuffered;
    int failed = iot_routejob_run(&j, argv + optind_, argc - optind_);
    int rc = iot_diag_finish();
    free(j.route_text);
    return failed ? failed : rc;
}
