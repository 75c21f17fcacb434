/* iot-sim: simulates a fleet of industrial devices (lib/sim*.c does the work). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/out.h"
#include "sim/sim.h"
#include "core/time.h"

enum { O_DEVICES = 1, O_TYPES, O_FLEET, O_SEED, O_START, O_DURATION, O_COUNT, O_INTERVAL,
       O_JITTER, O_RATE, O_SPEED, O_LIVE, O_EVENTS, O_TRUTH, O_ANOMALIES, O_FAULTS, O_MTBF,
       O_LEAD, O_ASSETS, O_FORMAT, O_LIST, O_COMMANDS };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Fleet:", 0 },
    { "devices", 'n', IOT_ARG, "N", "number of devices (default 10)", O_DEVICES },
    { "types", 0, IOT_ARG, "TYPE:SHARE,...", "device types and their shares, e.g. CNC-Machine:60,Pump:40 (default: all four built-ins alike)", O_TYPES },
    { "fleet", 0, IOT_ARG, "FILE", "device types from a JSON fleet file (sensors, limits, failure model)", O_FLEET },
    { "list-types", 0, IOT_NOARG, NULL, "print the device types and their sensors, then exit", O_LIST },
    { "seed", 's', IOT_ARG, "N", "random seed (default 1); same seed and options, same output", O_SEED },
    { "assets", 0, IOT_ARG, "FILE", "also write the asset registry (site, line, model, install date) to FILE", O_ASSETS },
    { NULL, 0, 0, NULL, "Time:", 0 },
    { "start", 0, IOT_ARG, "TIME", "first timestamp (RFC 3339, epoch, or now; default 2026-01-01T00:00:00Z)", O_START },
    { "duration", 'd', IOT_ARG, "DURATION", "simulated time span, e.g. 7d (default 1h in batch mode, unbounded live)", O_DURATION },
    { "count", 'c', IOT_ARG, "N", "stop after N records", O_COUNT },
    { "interval", 'i', IOT_ARG, "DURATION", "time between a device's samples (default 1s)", O_INTERVAL },
    { "jitter", 0, IOT_ARG, "FRACTION", "random delay of each sample, as a fraction of the interval (0..0.5, default 0.05)", O_JITTER },
    { "rate", 'r', IOT_ARG, "EV/S", "live: write this many records per wall-clock second", O_RATE },
    { "speed", 0, IOT_ARG, "X", "live: event time runs X times faster than the wall clock", O_SPEED },
    { "live", 0, IOT_NOARG, NULL, "timestamps start now and output follows the wall clock", O_LIVE },
    { NULL, 0, 0, NULL, "Wear, anomalies, faults:", 0 },
    { "events", 'e', IOT_NOARG, NULL, "emit failure and maintenance records inline", O_EVENTS },
    { "truth", 0, IOT_NOARG, NULL, "add ground truth to records: _anomaly, _anomalySensor, _rul, _fault", O_TRUTH },
    { "mtbf", 0, IOT_ARG, "DURATION", "mean time between failures of every device type (default per type)", O_MTBF },
    { "lead", 0, IOT_ARG, "MIN[:MAX]", "degradation lead time before a failure (default per failure mode)", O_LEAD },
    { "anomalies", 'a', IOT_ARG, "P", "probability per sample that an anomaly starts (spike, dip, shift, stuck, dropout)", O_ANOMALIES },
    { "faults", 0, IOT_ARG, "SPEC", "delivery faults, e.g. late=0.01:30s,dup=0.001,drop=0.001,malformed=0.0001", O_FAULTS },
    { NULL, 0, 0, NULL, "Commands:", 0 },
    { "commands", 0, IOT_ARG, "FILE|-", "obey NDJSON commands (setpoint, throttle, stop, start, maintenance, setProperties, reboot) from FILE (followed as it grows), a FIFO or stdin; each gets a commandAck record", O_COMMANDS },
    { NULL, 0, 0, NULL, "Output:", 0 },
    { "format", 'f', IOT_ARG, "FMT", "ndjson (default) or csv", O_FORMAT },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-sim", "[OPTION]...",
    "Simulate a fleet of industrial devices: telemetry, wear to failure, anomalies, delivery faults.",
    "Examples:\n"
    "  iot-sim --devices 1000 --duration 1d > day.ndjson\n"
    "  iot-sim --types CNC-Machine:60,Pump:40 --events --truth --mtbf 30d -d 60d -i 10m\n"
    "  iot-sim --live --devices 50 --faults late=0.01:30s,dup=0.001 | iot-ingest\n",
    opts
};

struct args {
    struct iot_sim_config c;
    const char *types, *fleet, *assets, *commands;
    double rate, speed;
    bool live, duration_set, start_set, list, interval_set;
};


static void on_opt(int id, const char *arg, void *ctx)
{
    struct args *a = ctx;
    char err[512];
    switch (id) {
    case O_DEVICES: a->c.devices = iot_cli_int("--devices", arg, 1, IOT_SIM_MAX_DEVICES); break;
    case O_TYPES: a->types = arg; break;
    case O_FLEET: a->fleet = arg; break;
    case O_LIST: a->list = true; break;
    case O_SEED: a->c.seed = (uint64_t)iot_cli_int("--seed", arg, 0, INT64_MAX); break;
    case O_ASSETS: a->assets = arg; break;
    case O_COMMANDS: a->commands = arg; break;
    case O_START: a->c.start = iot_cli_time("--start", arg); a->start_set = true; break;
    case O_DURATION: a->c.duration = iot_cli_duration("--duration", arg); a->duration_set = true; break;
    case O_COUNT: a->c.count = iot_cli_int("--count", arg, 0, INT64_MAX); break;
    case O_INTERVAL:
        a->c.interval = iot_cli_duration("--interval", arg);
        a->interval_set = true;
        if (a->c.interval < IOT_NS_PER_MS) iot_usage("--interval must be at least 1ms");
        break;
    case O_JITTER:
        a->c.jitter = iot_cli_double("--jitter", arg);
        if (!(a->c.jitter >= 0 && a->c.jitter <= 0.5)) iot_usage("--jitter must be within 0..0.5");
        break;
    case O_RATE:
        a->rate = iot_cli_double("--rate", arg);
        if (!(a->rate > 0)) iot_usage("--rate must be > 0");
        break;
    case O_SPEED:
        a->speed = iot_cli_double("--speed", arg);
        if (!(a->speed > 0)) iot_usage("--speed must be > 0");
        break;
    case O_LIVE: a->live = true; break;
    case O_EVENTS: a->c.events = true; break;
    case O_TRUTH: a->c.truth = true; break;
    case O_MTBF: a->c.mtbf = iot_cli_duration("--mtbf", arg); break;
    case O_LEAD: {
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%s", arg);
        char *colon = strchr(tmp, ':');
        if (colon) *colon = 0;
        a->c.lead_min = iot_cli_duration("--lead", tmp);
        a->c.lead_max = colon ? iot_cli_duration("--lead", colon + 1) : a->c.lead_min;
        if (a->c.lead_max < a->c.lead_min) iot_usage("--lead: MAX is below MIN");
        break;
    }
    case O_ANOMALIES:
        a->c.anomalies = iot_cli_double("--anomalies", arg);
        if (!(a->c.anomalies >= 0 && a->c.anomalies <= 1)) iot_usage("--anomalies must be within 0..1");
        break;
    case O_FAULTS:
        if (iot_sim_faults_parse(arg, &a->c.faults, err, sizeof err)) iot_usage("%s", err);
        if (a->c.faults.late > 0 && a->c.faults.late_max == 0) a->c.faults.late_max = 30 * IOT_NS_PER_S;
        break;
    case O_FORMAT:
        if (strcmp(arg, "ndjson") == 0 || strcmp(arg, "json") == 0) a->c.format = IOT_SIM_NDJSON;
        else if (strcmp(arg, "csv") == 0) a->c.format = IOT_SIM_CSV;
        else iot_usage("--format: expected ndjson or csv, not '%s'", arg);
        break;
    }
}

static void list_types(const struct iot_sim_fleet *f)
{
    struct iot_out *o = iot_out_std();
    for (int k = 0; k < f->ntypes; k++) {
        const struct iot_sim_type *t = &f->t[k];
        iot_out_printf(o, "%s (%s-NNNNNN, %s)\n", t->name, t->prefix, t->schedule ? "24x5" : "24x7");
        for (int j = 0; j < t->nsensors; j++) {
            const struct iot_sim_sensor *se = &t->s[j];
            char lo[32] = "-", hi[32] = "-";
            if (!isnan(se->lo)) snprintf(lo, sizeof lo, "%g", se->lo);
            if (!isnan(se->hi)) snprintf(hi, sizeof hi, "%g", se->hi);
            iot_out_printf(o, "  %-12s %-5s baseline %g, noise %g, min %s, max %s\n", se->name,
                           se->unit, se->baseline, se->noise, lo, hi);
        }
        for (int j = 0; j < t->nmodes; j++)
            iot_out_printf(o, "  failure: %s (lead %lld-%lld days)\n", t->m[j].name,
                           (long long)(t->m[j].lead_min / (86400 * IOT_NS_PER_S)),
                           (long long)(t->m[j].lead_max / (86400 * IOT_NS_PER_S)));
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-sim");
    struct args a = { 0 };
    iot_sim_config_default(&a.c);
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, &a);
    if (optind_ < argc) iot_usage("unexpected operand '%s'", argv[optind_]);
    char err[512];
    if (a.fleet && access(a.fleet, R_OK) != 0) iot_die(IOT_EX_NOINPUT, "%s: %s", a.fleet, strerror(errno));
    struct iot_sim_fleet *f = a.fleet ? iot_sim_fleet_load(a.fleet, err, sizeof err) : iot_sim_fleet_builtin();
    if (!f) iot_die(IOT_EX_DATAERR, "%s", err);
    if (a.types && iot_sim_fleet_select(f, a.types, err, sizeof err)) {
        iot_sim_fleet_free(f);
        iot_usage("%s", err);
    }
    if (a.list) {
        list_types(f);
        iot_sim_fleet_free(f);
        return iot_diag_finish();
    }
    bool live = a.live || a.rate > 0 || a.speed > 0;
    if (a.live) {
        if (a.start_set) iot_usage("--live and --start exclude each other");
        a.c.start = iot_time_now();
        a.c.live = a.speed == 0 || a.speed == 1;
        if (a.rate == 0 && a.speed == 0) a.speed = 1;
        /* --rate R: devices sample every devices/R s, so that event time keeps up with the clock */
        if (a.rate > 0 && !a.interval_set) {
            a.c.interval = (int64_t)((double)a.c.devices * 1e9 / a.rate);
            if (a.c.interval < IOT_NS_PER_MS) a.c.interval = IOT_NS_PER_MS;
        }
    }
    if (!a.duration_set && a.c.count < 0 && !live) a.c.duration = 3600 * IOT_NS_PER_S;
    struct iot_sim *s = iot_sim_new(&a.c, f, err, sizeof err);
    if (!s) iot_usage("%s", err);
    if (a.assets) {
        struct iot_out *ao = iot_out_open(a.assets, IOT_OUT_ATOMIC);
        iot_sim_write_assets(s, ao);
        iot_out_close(ao);
    }
    if (a.commands && a.c.format == IOT_SIM_CSV) iot_usage("--commands needs --format ndjson (acks are records of their own)");
    struct iot_sim_cmds *cmds = a.commands ? iot_sim_cmds_open(a.commands) : NULL;
    iot_sim_run(s, iot_out_std(), a.rate, a.speed, cmds);
    iot_sim_cmds_free(cmds);
    iot_sim_free(s);
    return iot_diag_finish();
}
