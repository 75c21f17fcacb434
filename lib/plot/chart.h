/* chart: time-series small multiples as SVG, and a self-contained HTML page around them.
 * Layout: without overlay one panel per (key, field) — a row per key (in key byte order), a
 * column per field; with overlay one panel per field and a line per key. Panels share the time
 * axis (UTC calendar ticks). Colours: Okabe & Ito, "Color Universal Design" (2008),
 * https://jfly.uni-koeln.de/color/ ; vermillion is kept for anomalies and alerts. */
#ifndef IOT_PLOT_CHART_H
#define IOT_PLOT_CHART_H
#include <stdbool.h>
#include <stdint.h>
#include "core/out.h"
#include "collect.h"

struct iot_chart_opts {
    const char *title;    /* NULL: "FIELDS by KEY" */
    int width;            /* px, the whole picture */
    int panel_h;          /* px, plot area of one panel */
    bool overlay;
    int64_t gap;          /* break a line where samples are farther apart; 0 = auto (5 × mean interval) */
    bool by_status;       /* rows worst first (see iot_plot_status), else in key order */
    int64_t stale;        /* ns; a key silent this long before the end is stale (fleet, report) */
};

/* Plot-area width in px of one panel for nfields fields: what the series' buckets are sized by. */
int iot_chart_plot_width(const struct iot_chart_opts *c, int nfields);
/* Writes one SVG document (standalone: with the XML namespace, fit to stand alone as a file).
 * No data gives an empty-state picture saying so. Returns the number of panels drawn. */
int iot_chart_svg(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
/* An HTML page: the same SVG inline, CSS, and a table of the numbers behind each panel. Nothing
 * is fetched (no script, no font, no image). Returns the number of panels. */
int iot_chart_html(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
/* The page in three pieces, for pages with more than the chart (see fleet.h): doctype, CSS and
 * the title; the chart and its table of numbers (returns the panels); the footer. */
void iot_chart_html_head(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
int iot_chart_html_figure(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
void iot_chart_html_end(struct iot_out *o, const struct iot_plot_data *d);
/* The title text (c->title or "FIELDS by KEY"), XML-escaped. */
void iot_chart_title(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c);
/* Writes the key's parts as text for people: string parts as they are, others as their JSON
 * text, joined with " / "; escaped for XML. */
void iot_chart_key_text(struct iot_out *o, const char *key, size_t klen);
#endif
