/* histsvg: draws the streaming histograms of hist.h, one panel per field, every key pooled. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/buf.h"
#include "core/time.h"
#include "chart.h"
#include "collect.h"
#include "histsvg.h"
#include "svg.h"
#include "ticks.h"

enum { MARGIN = 8, PAD_L = 56, PAD_R = 14, HEAD = 18, GAP = 34, TOP = 40 };

int iot_hist_svg(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    const struct iot_plot_cfg *cfg = &d->cfg;
    int np = 0;
    for (int f = 0; f < cfg->nfields; f++) np += d->hist[f].n > 0;
    int pw = c->width - 2 * MARGIN - PAD_L - PAD_R, ph = c->panel_h;
    int h = TOP + (np ? np : 1) * (HEAD + ph + GAP) + 10;
    iot_out_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    iot_out_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                      "font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-labelledby=\"plot-title\">\n",
                   c->width, h, c->width, h);
    iot_out_puts(o, "<title id=\"plot-title\">");
    iot_chart_title(o, d, c);
    iot_out_printf(o, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<text x=\"%d\" y=\"20\" font-size=\"15\" font-weight=\"bold\">",
                   c->width, h, MARGIN);
    iot_chart_title(o, d, c);
    iot_out_puts(o, "</text>\n");
    if (!np)
        iot_out_printf(o, "<text class=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" fill=\"#666\">No data to draw</text>\n",
                       c->width / 2, TOP + 30);
    int row = 0;
    for (int f = 0; f < cfg->nfields; f++) {
        const struct iot_hist *hs = &d->hist[f];
        if (!hs->n) continue;
        double w = ldexp(1, hs->e), x0 = (double)hs->lo * w, x1 = (double)(hs->hi + 1) * w;
        int64_t cmax = 0;
        for (int64_t i = hs->lo; i <= hs->hi; i++) if (hs->c[i - hs->b0] > cmax) cmax = hs->c[i - hs->b0];
        struct iot_ticks xt, yt;
        iot_ticks_linear(x0, x1, pw / 80 + 1, &xt);
        iot_ticks_linear(0, (double)cmax, ph / 36 + 1, &yt);
        if (yt.step < 1) iot_ticks_linear(0, cmax < 1 ? 1 : (double)cmax, 2, &yt);
        double ax0 = xt.lo, ax1 = xt.hi, amax = fmax(fabs(ax0), fabs(ax1));
#define HX(v) (((v) - ax0) / (ax1 - ax0) * pw)
#define HY(n) (ph - (double)(n) / yt.hi * ph)
        iot_out_printf(o, "<g class=\"panel\" transform=\"translate(%d,%d)\">\n<text x=\"0\" y=\"-5\" font-weight=\"bold\">",
                       MARGIN + PAD_L, TOP + row * (HEAD + ph + GAP) + HEAD);
        iot_svg_escs(o, cfg->fields[f]);
        char a[48], b[48];
        iot_fmt_si(a, hs->min, 4);
        iot_fmt_si(b, hs->max, 4);
        iot_out_printf(o, " \xc2\xb7 %lld values, %s to %s, bins of %g</text>\n", (long long)hs->n, a, b, w);
        iot_out_puts(o, "<g stroke=\"#e4e4e4\" shape-rendering=\"crispEdges\">");
        for (int i = 0; i < yt.n; i++) {
            iot_out_printf(o, "<line x1=\"0\" x2=\"%d\" y1=\"", pw);
            iot_svg_num(o, HY(iot_ticks_at(&yt, i)));
            iot_out_puts(o, "\" y2=\"");
            iot_svg_num(o, HY(iot_ticks_at(&yt, i)));
            iot_out_puts(o, "\"/>");
        }
        iot_out_puts(o, "</g>\n<g class=\"bars\" fill=\"#0072B2\">");
        for (int64_t i = hs->lo; i <= hs->hi; i++) {
            int64_t n = hs->c[i - hs->b0];
            if (!n) continue;
            double bx = HX((double)i * w), bw = HX((double)(i + 1) * w) - bx;
            iot_out_puts(o, "<rect x=\"");
            iot_svg_num(o, bx);
            iot_out_puts(o, "\" y=\"");
            iot_svg_num(o, HY(n));
            iot_out_puts(o, "\" width=\"");
            iot_svg_num(o, bw > 1.2 ? bw - 0.5 : bw);
            iot_out_puts(o, "\" height=\"");
            iot_svg_num(o, ph - HY(n));
            iot_out_printf(o, "\"><title>[%g, %g): %lld</title></rect>", (double)i * w, (double)(i + 1) * w, (long long)n);
        }
        iot_out_printf(o, "</g>\n<rect class=\"frame\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#bbb\" shape-rendering=\"crispEdges\"/>\n", pw, ph);
        iot_out_puts(o, "<g text-anchor=\"end\" fill=\"#444\">");
        for (int i = 0; i < yt.n; i++) {
            char t[48];
            iot_fmt_axis(t, iot_ticks_at(&yt, i), yt.step, yt.hi);
            iot_out_puts(o, "<text x=\"-5\" y=\"");
            iot_svg_num(o, HY(iot_ticks_at(&yt, i)) + 4);
            iot_out_printf(o, "\">%s</text>", t);
        }
        iot_out_puts(o, "</g>\n<g text-anchor=\"middle\" fill=\"#444\">");
        for (int i = 0; i < xt.n; i++) {
            char t[48];
            iot_fmt_axis(t, iot_ticks_at(&xt, i), xt.step, amax);
            iot_out_puts(o, "<text x=\"");
            iot_svg_num(o, HX(iot_ticks_at(&xt, i)));
            iot_out_printf(o, "\" y=\"%d\">%s</text>", ph + 14, t);
        }
        iot_out_puts(o, "</g>\n</g>\n");
        row++;
#undef HX
#undef HY
    }
    iot_out_puts(o, "</svg>\n");
    return np;
}
