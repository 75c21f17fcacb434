/* fleet: one row per key — status (colour and word, never colour alone), key, last seen, the
 * latest value of each field with a sparkline, anomaly and alert counts — as SVG, and the fleet
 * report: one HTML page with the summary, the table and the curves, worst devices first. */
#ifndef IOT_PLOT_FLEET_H
#define IOT_PLOT_FLEET_H
#include <stdbool.h>
#include "core/out.h"
#include "chart.h"
#include "collect.h"

/* The table as an SVG document (standalone: with the XML declaration). Rows are sorted worst
 * first (c->stale decides staleness). Returns the number of rows. */
int iot_fleet_svg(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c, bool standalone);
/* The fleet report page: summary counts, the table, the curves (rows worst first), numbers.
 * Returns the number of chart panels. */
int iot_fleet_report(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
#endif
