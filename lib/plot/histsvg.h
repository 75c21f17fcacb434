/* histsvg: the histogram picture (hist.h holds the counts). */
#ifndef IOT_PLOT_HISTSVG_H
#define IOT_PLOT_HISTSVG_H
#include "core/out.h"
struct iot_plot_data;
struct iot_chart_opts;
/* One SVG document: a panel per field with its bars, count and value axes. Returns panels. */
int iot_hist_svg(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
#endif
