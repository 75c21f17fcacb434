/* fleet: status table with sparklines; the HTML fleet report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/time.h"
#include "fleet.h"
#include "svg.h"
#include "ticks.h"

/* Status colours and words: Okabe–Ito; the word carries the state without colour. */
static const struct { const char *colour, *word; } st[] = {
    [IOT_ST_CRIT] = { "#D55E00", "CRIT" }, [IOT_ST_WARN] = { "#E69F00", "WARN" },
    [IOT_ST_STALE] = { "#999999", "STALE" }, [IOT_ST_OK] = { "#009E73", "OK" },
};
enum { ROW_H = 22, SPARK_W = 120, SPARK_H = 16, VAL_W = 64 };

static void sparkline(struct iot_out *o, const struct iot_ds *ds, int64_t t0, int64_t t1, struct iot_ds_cell *col)
{
    if (!ds->n) return;
    iot_ds_columns(ds, t0, t1, col, SPARK_W);
    double lo = ds->min.v, hi = ds->max.v;
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    double span = t1 > t0 ? iot_ds_span(t0, t1) : 1;
#define SX(t) (iot_ds_span(t0, (t)) / span * SPARK_W)
#define SY(v) (SPARK_H - ((v) - lo) / (hi - lo) * SPARK_H)
    iot_out_puts(o, "<path class=\"spark\" fill=\"none\" stroke=\"#444\" stroke-width=\"1\" stroke-linecap=\"round\" d=\"");
    struct iot_svg_path p;
    iot_svg_path_begin(&p, o);
    for (int c = 0; c < SPARK_W; c++) {
        struct iot_ds_pt pt[4];
        int n = iot_ds_cell_points(&col[c], pt);
        for (int i = 0; i < n; i++) iot_svg_path_line(&p, SX(pt[i].t), SY(pt[i].v));
    }
    if (p.npts == 1) iot_out_puts(o, "l0 0");
    iot_out_puts(o, "\"/>");
    for (int c = 0; c < SPARK_W; c++) {
        if (!col[c].nflag) continue;
        iot_out_puts(o, "<circle r=\"2\" fill=\"#D55E00\" cx=\"");
        iot_svg_num(o, SX(col[c].flag.t));
        iot_out_puts(o, "\" cy=\"");
        iot_svg_num(o, SY(col[c].flag.v));
        iot_out_puts(o, "\"/>");
    }
#undef SX
#undef SY
}

/* A remaining life in seconds for people: days, hours or minutes with one decimal. */
static void rul_text(char *b, double s)
{
    if (s >= 86400) snprintf(b, 48, "%.1f days", s / 86400);
    else if (s >= 3600) snprintf(b, 48, "%.1f h", s / 3600);
    else snprintf(b, 48, "%.0f min", s / 60);
}

static size_t key_chars(const struct iot_plot_key *k)
{
    size_t kl, n = 0;
    const char *key = iot_keytab_key(k, &kl);
    for (size_t i = 0; i < kl; i++) n += ((unsigned char)key[i] & 0xc0) != 0x80;
    return n;
}

int iot_fleet_svg(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c, bool standalone)
{
    size_t nk;
    struct iot_plot_key **keys = iot_plot_keys(d, c->stale, &nk);
    const struct iot_plot_cfg *cfg = &d->cfg;
    size_t kw = 8;
    for (size_t i = 0; i < nk; i++) if (key_chars(keys[i]) > kw) kw = key_chars(keys[i]);
    int keyw = (int)(kw > 40 ? 40 : kw) * 7 + 16;
    int x_key = 80, x_seen = x_key + keyw, x_f = x_seen + 170, fw = VAL_W + SPARK_W + 16;
    bool any_rul = false, any_prob = false;
    for (size_t i = 0; i < nk; i++) { any_rul |= keys[i]->has_rul; any_prob |= keys[i]->has_prob; }
    int x_cnt = x_f + cfg->nfields * fw, x_pred = x_cnt + 150;
    int w = x_pred + (any_rul ? 110 : 0) + (any_prob ? 110 : 0) + 8, h = 40 + ROW_H * (int)(nk + 1) + 10;
    if (standalone) iot_out_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    iot_out_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                      "font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-labelledby=\"fleet-title\">\n",
                   w, h, w, h);
    int count[4] = { 0 };
    for (size_t i = 0; i < nk; i++) count[iot_plot_status(d, keys[i], c->stale)]++;
    iot_out_printf(o, "<title id=\"fleet-title\">Fleet: %zu keys, %d critical, %d warning, %d stale, %d ok</title>\n",
                   nk, count[IOT_ST_CRIT], count[IOT_ST_WARN], count[IOT_ST_STALE], count[IOT_ST_OK]);
    iot_out_printf(o, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w, h);
    iot_out_printf(o, "<text x=\"8\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Fleet: %zu keys, %d critical, %d warning, %d stale, %d ok</text>\n",
                   nk, count[IOT_ST_CRIT], count[IOT_ST_WARN], count[IOT_ST_STALE], count[IOT_ST_OK]);
    int y = 40;
    iot_out_printf(o, "<g class=\"header\" font-weight=\"bold\" fill=\"#222\"><text x=\"8\" y=\"%d\">status</text><text x=\"%d\" y=\"%d\">",
                   y + 15, x_key, y + 15);
    iot_svg_escs(o, cfg->key);
    iot_out_printf(o, "</text><text x=\"%d\" y=\"%d\">last seen (UTC)</text>", x_seen, y + 15);
    for (int f = 0; f < cfg->nfields; f++) {
        iot_out_printf(o, "<text x=\"%d\" y=\"%d\">", x_f + f * fw, y + 15);
        iot_svg_escs(o, cfg->fields[f]);
        iot_out_puts(o, "</text>");
    }
    iot_out_printf(o, "<text x=\"%d\" y=\"%d\">anomalies</text><text x=\"%d\" y=\"%d\">alerts</text>",
                   x_cnt, y + 15, x_cnt + 80, y + 15);
    if (any_rul) iot_out_printf(o, "<text x=\"%d\" y=\"%d\">remaining life</text>", x_pred, y + 15);
    if (any_prob) iot_out_printf(o, "<text x=\"%d\" y=\"%d\">failure prob.</text>", x_pred + (any_rul ? 110 : 0), y + 15);
    iot_out_puts(o, "</g>\n");
    struct iot_ds_cell *col = iot_xcalloc(SPARK_W, sizeof *col);
    int64_t t0 = d->tmin, t1 = d->tmax > d->tmin ? d->tmax : d->tmin + 1;
    for (size_t i = 0; i < nk; i++) {
        const struct iot_plot_key *k = keys[i];
        enum iot_plot_status s = iot_plot_status(d, k, c->stale);
        y += ROW_H;
        iot_out_printf(o, "<g class=\"row %s\" transform=\"translate(0,%d)\">", st[s].word, y);
        if (i % 2) iot_out_printf(o, "<rect width=\"%d\" height=\"%d\" fill=\"#f6f6f6\"/>", w, ROW_H);
        iot_out_printf(o, "<rect class=\"status\" x=\"8\" y=\"5\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                          "<text x=\"26\" y=\"15\" font-weight=\"bold\">%s</text><text x=\"%d\" y=\"15\">",
                       st[s].colour, st[s].word, x_key);
        size_t kl;
        const char *key = iot_keytab_key(k, &kl);
        iot_chart_key_text(o, key, kl);
        char tb[48];
        iot_time_fmt(k->last_t, tb);
        iot_out_printf(o, "</text><text x=\"%d\" y=\"15\">%s</text>", x_seen, tb);
        int64_t flags = 0, alerts = 0;
        for (int f = 0; f < cfg->nfields; f++) {
            const struct iot_plot_series *se = &k->s[f];
            if (!se->on) continue;
            flags += se->ds.nflag;
            alerts += se->nalerts;
            if (!se->ds.n) continue;
            char vb[48];
            iot_fmt_si(vb, se->ds.last.v, 4);
            iot_out_printf(o, "<text x=\"%d\" y=\"15\">%s</text><g transform=\"translate(%d,3)\">",
                           x_f + f * fw, vb, x_f + f * fw + VAL_W);
            sparkline(o, &se->ds, t0, t1, col);
            iot_out_puts(o, "</g>");
        }
        iot_out_printf(o, "<text x=\"%d\" y=\"15\">%lld</text><text x=\"%d\" y=\"15\">%lld</text>",
                       x_cnt, (long long)flags, x_cnt + 80, (long long)alerts);
        if (k->has_rul) {
            char rb[48];
            rul_text(rb, k->rul);
            iot_out_printf(o, "<text class=\"rul\" x=\"%d\" y=\"15\">%s</text>", x_pred, rb);
        }
        if (k->has_prob)
            iot_out_printf(o, "<text class=\"prob\" x=\"%d\" y=\"15\">%.1f %%</text>", x_pred + (any_rul ? 110 : 0), k->prob * 100);
        iot_out_puts(o, "</g>\n");
    }
    if (!nk)
        iot_out_printf(o, "<text class=\"empty\" x=\"8\" y=\"%d\" fill=\"#666\">No data to draw</text>\n", y + ROW_H + 15);
    iot_out_puts(o, "</svg>\n");
    free(col);
    free(keys);
    return (int)nk;
}

int iot_fleet_report(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    struct iot_chart_opts rc = *c;
    rc.by_status = true;
    iot_chart_html_head(o, d, &rc);
    char a[48], b[48];
    if (d->tmin <= d->tmax) {
        iot_time_caption(d->tmin, a);
        iot_time_caption(d->tmax, b);
        iot_out_printf(o, "<p class=\"summary\">%s to %s: %lld records, %lld samples, %lld anomalies, %lld alerts.</p>\n",
                       a, b, (long long)d->records, (long long)d->values, (long long)d->flags, (long long)d->alerts);
    }
    iot_out_puts(o, "<h2>Fleet</h2>\n<figure>\n");
    iot_fleet_svg(o, d, &rc, false);
    iot_out_puts(o, "</figure>\n<h2>Devices, worst first</h2>\n");
    int n = iot_chart_html_figure(o, d, &rc);
    iot_chart_html_end(o, d);
    return n;
}
