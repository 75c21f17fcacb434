/* iot-top: a live terminal dashboard of a pipeline's stream — devices online and offline,
 * records per second, active alarms worst first, the latest values of the busiest devices with
 * sparklines. Options and wiring; lib/top/top.c runs the loop over board (state), screen
 * (frames) and term (the terminal). */
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/out.h"
#include "core/time.h"
#include "top/term.h"
#include "top/top.h"

enum { O_FIELDS = 1, O_ONCE, O_REFRESH, O_OFFLINE, O_HOLD, O_SORT, O_FILTER, O_COLOR, O_MAXKEYS, O_WIDTH, O_FOLLOW };

static const struct iot_opt opts[] = {
    { "fields", 'f', IOT_ARG, "FIELD[,FIELD]", "numeric fields to show (default temperature,vibration; at most 8)", O_FIELDS },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    { "follow", 'F', IOT_NOARG, NULL, "follow FILE as it grows, like tail -f (one plain NDJSON file)", O_FOLLOW },
    { "once", 0, IOT_NOARG, NULL, "read to the end of input and print one plain frame (for scripts)", O_ONCE },
    { "refresh", 0, IOT_ARG, "DURATION", "time between frames (default 250ms; at least 167ms, 6 a second)", O_REFRESH },
    { "offline", 0, IOT_ARG, "DURATION", "a device silent this long in event time is offline (default 30s)", O_OFFLINE },
    { "hold", 0, IOT_ARG, "DURATION", "an alarm not heard of for this long in event time is no longer active (default 5m)", O_HOLD },
    { "sort", 0, IOT_ARG, "busy|name|alarms", "device order (default busy; key s cycles)", O_SORT },
    { "filter", 0, IOT_ARG, "all|alarms|offline", "devices shown (default all; key f cycles)", O_FILTER },
    { "color", 0, IOT_ARG, "auto|always|never", "colour (default auto: a terminal and no NO_COLOR)", O_COLOR },
    { "max-keys", 0, IOT_ARG, "N", "follow at most N devices (default 100000); the rest are counted", O_MAXKEYS },
    { "width", 'w', IOT_ARG, "COLUMNS", "--once: cut lines at COLUMNS (default: no limit)", O_WIDTH },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-top", "[OPTION]... [FILE]...",
    "Live terminal dashboard of a telemetry stream: devices, rates, alarms, latest values.",
    "Keys: q quit, s next sort, f next filter.\n"
    "Examples:\n"
    "  iot-sim -n 20 -d 1h | iot-anomaly -f temperature | iot-top --sort alarms\n"
    "  iot-top --once -f temperature day.ndjson\n",
    opts
};

static struct iot_top_opts O = { .board = { .max_keys = 100000, .offline = 30 * IOT_NS_PER_S, .hold = 300 * IOT_NS_PER_S },
                                 .refresh = 250 * IOT_NS_PER_MS };
static const char *fields = "temperature,vibration", *colour = "auto";

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    switch (id) {
    case O_FIELDS: fields = arg; break;
    case O_ONCE: O.once = true; break;
    case O_FOLLOW: O.follow = true; break;
    case O_REFRESH:
        O.refresh = iot_cli_duration("--refresh", arg);
        if (O.refresh < IOT_NS_PER_S / 6) iot_usage("--refresh: at least 167ms (6 frames a second)");
        break;
    case O_OFFLINE: O.board.offline = iot_cli_duration("--offline", arg); break;
    case O_HOLD: O.board.hold = iot_cli_duration("--hold", arg); break;
    case O_SORT:
        if (!strcmp(arg, "busy")) O.sort = IOT_SORT_BUSY;
        else if (!strcmp(arg, "name")) O.sort = IOT_SORT_NAME;
        else if (!strcmp(arg, "alarms")) O.sort = IOT_SORT_ALARMS;
        else iot_usage("--sort must be busy, name or alarms");
        break;
    case O_FILTER:
        if (!strcmp(arg, "all")) O.filter = IOT_FILTER_ALL;
        else if (!strcmp(arg, "alarms")) O.filter = IOT_FILTER_ALARMS;
        else if (!strcmp(arg, "offline")) O.filter = IOT_FILTER_OFFLINE;
        else iot_usage("--filter must be all, alarms or offline");
        break;
    case O_COLOR:
        if (iot_term_colour(arg) < 0) iot_usage("--color must be auto, always or never");
        colour = arg;
        break;
    case O_MAXKEYS: O.board.max_keys = (size_t)iot_cli_int("--max-keys", arg, 1, INT32_MAX); break;
    case O_WIDTH: O.cols = (int)iot_cli_int("--width", arg, 20, 10000); break;
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-top");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    O.board.fields = iot_split(fields, ',', &O.board.nfields);
    if (O.board.nfields < 1 || O.board.nfields > IOT_BOARD_MAXF) iot_usage("--fields: give 1 to %d fields", IOT_BOARD_MAXF);
    for (int i = 0; i < O.board.nfields; i++)
        if (!O.board.fields[i][0]) iot_usage("--fields: empty field name");
    if (O.follow && (O.once || argc - optind_ != 1)) iot_usage("--follow takes one FILE and no --once");
    O.board.key = iot_common.key;
    O.board.time_field = iot_common.time_field;
    O.board.time_unit = iot_common.time_unit;
    O.max_line = iot_common.max_line;
    O.colour = iot_term_colour(colour) == 1;
    O.utf8 = iot_term_utf8();
    iot_top_run(&O, argv + optind_, argc - optind_, iot_out_std());
    iot_strv_free(O.board.fields);
    return iot_diag_finish();
}
