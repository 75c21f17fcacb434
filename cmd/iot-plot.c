/* iot-plot: NDJSON in, a picture out — SVG time series (small multiples or overlaid) with
 * anomalies, alerts and window bands marked, or the same inline in a self-contained HTML page.
 * Options and wiring; lib/plot/collect.c reads the series (memory bounded by the picture),
 * lib/plot/chart.c draws them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/out.h"
#include "core/time.h"
#include "plot/chart.h"
#include "plot/collect.h"
#include "plot/fleet.h"
#include "plot/histsvg.h"
#include "plot/tz.h"

enum { O_FIELDS = 1, O_HTML, O_TITLE, O_WIDTH, O_PANELH, O_OVERLAY, O_GAP, O_MAXKEYS, O_FLEET, O_REPORT, O_STALE, O_HIST, O_TZ };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "What to draw:", 0 },
    { "fields", 'f', IOT_ARG, "FIELD[,FIELD]", "numeric fields to plot (default temperature)", O_FIELDS },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    { "tz", 0, IOT_ARG, "ZONE", "time axis in this zone, e.g. Europe/Berlin (default UTC)", O_TZ },
    { "overlay", 0, IOT_NOARG, NULL, "one panel per field with a line per key (default: a panel per key and field)", O_OVERLAY },
    { "gap", 0, IOT_ARG, "DURATION", "break lines where samples are farther apart (default 5 x the mean interval)", O_GAP },
    { "max-keys", 0, IOT_ARG, "N", "draw at most N keys, the first seen (default 64); the rest are counted", O_MAXKEYS },
    { NULL, 0, 0, NULL, "Picture:", 0 },
    { "html", 0, IOT_NOARG, NULL, "a self-contained HTML page (inline SVG and CSS, a table of the numbers)", O_HTML },
    { "fleet", 0, IOT_NOARG, NULL, "a fleet table instead: status, last seen, latest values with sparklines, counts", O_FLEET },
    { "report", 0, IOT_NOARG, NULL, "the fleet report: one HTML page with the fleet table and the curves, worst first", O_REPORT },
    { "hist", 0, IOT_OPTARG, "BINS", "histograms instead: one panel per field, every key pooled, at most BINS bins (default 64)", O_HIST },
    { "stale", 0, IOT_ARG, "DURATION", "fleet: a key silent this long before the newest record is stale (default 5m)", O_STALE },
    { "title", 0, IOT_ARG, "TEXT", "title (default: the fields and the key)", O_TITLE },
    { "width", 'w', IOT_ARG, "PX", "width of the picture (default 960)", O_WIDTH },
    { "panel-height", 0, IOT_ARG, "PX", "height of each panel's plot area (default 120)", O_PANELH },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-plot", "[OPTION]... [FILE]...",
    "Draw telemetry as SVG or a self-contained HTML page: time series, anomalies, alerts, window bands.",
    "Examples:\n"
    "  iot-sim -n 3 -d 6h | iot-plot -f temperature,vibration -o fleet.svg\n"
    "  iot-sim -n 3 -d 1d -a 0.001 | iot-anomaly -f temperature | iot-plot --html -o day.html\n"
    "  iot-anomaly -f temperature day.ndjson | iot-plot --report -f temperature,vibration -o report.html\n"
    "  iot-plot -o windows.svg ten-minute-windows.ndjson   (iot-window rows with min_, avg_, max_temperature)\n",
    opts
};

static struct iot_chart_opts C = { .width = 960, .panel_h = 120, .stale = 5 * 60 * IOT_NS_PER_S };
static const char *fields = "temperature";
static bool html, fleet, report;
static int hist;
static size_t max_keys = 64;

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    switch (id) {
    case O_FIELDS: fields = arg; break;
    case O_HTML: html = true; break;
    case O_TITLE: C.title = arg; break;
    case O_WIDTH: C.width = (int)iot_cli_int("--width", arg, 200, 20000); break;
    case O_PANELH: C.panel_h = (int)iot_cli_int("--panel-height", arg, 30, 5000); break;
    case O_OVERLAY: C.overlay = true; break;
    case O_GAP: C.gap = iot_cli_duration("--gap", arg); break;
    case O_FLEET: fleet = true; break;
    case O_REPORT: report = true; break;
    case O_HIST: hist = arg ? (int)iot_cli_int("--hist", arg, 2, 4096) : 64; break;
    case O_TZ: if (iot_tz_set(arg)) iot_usage("--tz: no zone '%s' in /usr/share/zoneinfo", arg); break;
    case O_STALE: C.stale = iot_cli_duration("--stale", arg); break;
    case O_MAXKEYS: max_keys = (size_t)iot_cli_int("--max-keys", arg, 1, 100000); break;
    }
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-plot");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    struct iot_plot_cfg cfg = { .key = iot_common.key, .time_field = iot_common.time_field,
                                .time_unit = iot_common.time_unit, .max_keys = max_keys,
                                .max_line = iot_common.max_line };
    cfg.fields = iot_split(fields, ',', &cfg.nfields);
    for (int i = 0; i < cfg.nfields; i++)
        if (!cfg.fields[i][0]) iot_usage("--fields: empty field name");
    if (cfg.nfields < 1) iot_usage("--fields: give at least one field");
    if (fleet + report + html + (hist > 0) > 1) iot_usage("give one of --html, --fleet, --report and --hist");
    cfg.hist = hist > 0;
    cfg.hist_bins = hist;
    if (cfg.nfields > 16) iot_usage("--fields: at most 16 fields");
    /* two buckets per pixel column: after the last doubling half the buckets are in use */
    cfg.cap = 2 * (size_t)iot_chart_plot_width(&C, cfg.nfields);
    struct iot_plot_data d;
    iot_plot_read(&d, &cfg, argv + optind_, argc - optind_);
    iot_plot_say(&d);
    /* the picture goes to a temporary name and is renamed into place: never half a file */
    struct iot_out *o = iot_out_open(iot_common.output, iot_common.output ? IOT_OUT_ATOMIC | IOT_OUT_NOZSTD : 0);
    int panels = hist ? iot_hist_svg(o, &d, &C) : report ? iot_fleet_report(o, &d, &C) : fleet ? iot_fleet_svg(o, &d, &C, true)
               : html ? iot_chart_html(o, &d, &C) : iot_chart_svg(o, &d, &C);
    if (!panels) iot_warn("no numeric values of %s in the input: the picture says so", fields);
    iot_stat_add("panels", panels);
    iot_out_close(o);
    iot_plot_free(&d);
    iot_strv_free(cfg.fields);
    return iot_diag_finish();
}
