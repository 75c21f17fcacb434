/* chart: panels, axes, legend, marks; SVG and HTML. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/time.h"
#include "chart.h"
#include "svg.h"
#include "ticks.h"
#include "tz.h"

static const char *const palette[] = { "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                       "#000000", "#999999", "#F5C710" };
#define NPAL 8
#define MARK "#D55E00"
enum { MARGIN = 8, PAD_L = 56, PAD_R = 14, HEAD = 16, ROW_GAP = 10, AXIS_H = 40, LEGEND_H = 22, TITLE_H = 28 };

int iot_chart_plot_width(const struct iot_chart_opts *c, int nfields)
{
    int ncol = c->overlay || nfields < 1 ? 1 : nfields;
    int w = (c->width - 2 * MARGIN) / ncol - PAD_L - PAD_R;
    return w < 20 ? 20 : w;
}

struct panel { struct iot_plot_key *key; int field; };   /* key NULL: overlay, every key */

struct ctx {
    struct iot_out *o;
    const struct iot_plot_data *d;
    const struct iot_chart_opts *c;
    struct iot_plot_key **keys;
    size_t nkeys;
    int *fcol;              /* column of each field, -1 if the field has no data */
    int ncol, nrow, npanel, pw, ph;
    struct panel *panels;
    int64_t t0, t1;
    struct iot_ds_cell *col, *col2;
    bool any_flag, any_alert, any_band;
};

void iot_chart_key_text(struct iot_out *o, const char *key, size_t klen)
{
    size_t i = 0;
    while (i <= klen) {
        size_t j = i;
        while (j < klen && key[j] != 0x1f) j++;
        if (i) iot_out_puts(o, " / ");
        size_t s = i < j && key[i] == 0x1e ? i + 1 : i;
        iot_svg_esc(o, key + s, j - s);
        i = j + 1;
    }
}

static const char *key_colour(const struct ctx *x, size_t ki) { return palette[ki % NPAL]; }

static void series_of(const struct ctx *x, const struct panel *p, size_t idx, struct iot_plot_series **s, size_t *ki)
{
    *ki = idx;
    *s = &(p->key ? p->key : x->keys[idx])->s[p->field];
}

static size_t panel_nseries(const struct ctx *x, const struct panel *p) { return p->key ? 1 : x->nkeys; }

static double X(const struct ctx *x, int64_t t)
{
    return x->t1 > x->t0 ? (t >= x->t0 ? iot_ds_span(x->t0, t) : -iot_ds_span(t, x->t0)) / iot_ds_span(x->t0, x->t1) * x->pw
                         : x->pw / 2.0;
}

static int64_t auto_gap(const struct ctx *x, const struct iot_ds *ds)
{
    if (x->c->gap) return x->c->gap;
    if (ds->n < 2) return INT64_MAX;
    double g = 5.0 * iot_ds_span(ds->first.t, ds->last.t) / (double)(ds->n - 1);
    double px = iot_ds_span(x->t0, x->t1) / x->pw;
    if (g < px) g = px;
    return g > 9e18 ? INT64_MAX : (int64_t)g;
}

struct yscale { double lo, hi; int ph; };
static double Y(const struct yscale *y, double v) { return y->ph - (v - y->lo) / (y->hi - y->lo) * y->ph; }

/* The line: M4 points of each pixel column in time order; a new run at gaps and nulls; a run of
 * one sample is drawn as a dot (zero-length segment with round caps). */
static void draw_line(struct ctx *x, const struct iot_ds *ds, const struct yscale *ys, const char *colour)
{
    struct iot_out *o = x->o;
    iot_ds_columns(ds, x->t0, x->t1, x->col, x->pw);
    int64_t gap = auto_gap(x, ds);
    iot_out_printf(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" stroke-linejoin=\"round\" stroke-linecap=\"round\" d=\"", colour);
    struct iot_svg_path p;
    iot_svg_path_begin(&p, o);
    long run = 0;
    int64_t prev = 0;
    for (int c = 0; c < x->pw; c++) {
        struct iot_ds_pt pt[4];
        int n = iot_ds_cell_points(&x->col[c], pt);
        for (int i = 0; i < n; i++) {
            if (run && (uint64_t)pt[i].t - (uint64_t)prev > (uint64_t)gap) {
                if (run == 1) iot_out_puts(o, "l0 0");
                run = 0;
                p.open = false;
            }
            iot_svg_path_line(&p, X(x, pt[i].t), Y(ys, pt[i].v));
            run++;
            prev = pt[i].t;
        }
        if (x->col[c].nnull && run) {
            if (run == 1) iot_out_puts(o, "l0 0");
            run = 0;
            p.open = false;
        }
    }
    if (run == 1) iot_out_puts(o, "l0 0");
    iot_out_puts(o, "\"/>\n");
}

static void draw_band(struct ctx *x, const struct iot_plot_series *s, const struct yscale *ys, const char *colour)
{
    struct iot_out *o = x->o;
    iot_ds_columns(&s->lo, x->t0, x->t1, x->col, x->pw);
    iot_ds_columns(&s->hi, x->t0, x->t1, x->col2, x->pw);
    int64_t gap = auto_gap(x, &s->hi);
    iot_out_printf(o, "<path fill=\"%s\" fill-opacity=\"0.22\" stroke=\"none\" d=\"", colour);
    struct iot_svg_path p;
    iot_svg_path_begin(&p, o);
    int c = 0;
    while (c < x->pw) {
        if (!x->col[c].n || !x->col2[c].n) { c++; continue; }
        int a = c, b = c;   /* a run of columns [a, b] */
        while (b + 1 < x->pw) {
            int nx = b + 1;
            while (nx < x->pw && !(x->col[nx].n && x->col2[nx].n)) nx++;
            if (nx >= x->pw || (uint64_t)x->col2[nx].first.t - (uint64_t)x->col2[b].last.t > (uint64_t)gap) break;
            b = nx;
        }
        /* upper edge: the max series' M4 points left to right; lower edge: the min series' back */
        struct iot_ds_pt pt[4];
        for (int i = a; i <= b; i++) {
            int n = x->col[i].n && x->col2[i].n ? iot_ds_cell_points(&x->col2[i], pt) : 0;
            for (int k = 0; k < n; k++) iot_svg_path_line(&p, X(x, pt[k].t), Y(ys, pt[k].v));
        }
        for (int i = b; i >= a; i--) {
            int n = x->col[i].n && x->col2[i].n ? iot_ds_cell_points(&x->col[i], pt) : 0;
            for (int k = n - 1; k >= 0; k--) iot_svg_path_line(&p, X(x, pt[k].t), Y(ys, pt[k].v));
        }
        iot_svg_path_close(&p);
        c = b + 1;
    }
    iot_out_puts(o, "\"/>\n");
}

static void draw_marks(struct ctx *x, const struct iot_plot_series *s, const struct yscale *ys)
{
    struct iot_out *o = x->o;
    char tb[48];
    if (s->ds.nflag) {
        iot_ds_columns(&s->ds, x->t0, x->t1, x->col, x->pw);
        iot_out_printf(o, "<g class=\"anomalies\" fill=\"none\" stroke=\"" MARK "\" stroke-width=\"1.5\"><title>anomalies: %lld</title>\n",
                       (long long)s->ds.nflag);
        for (int c = 0; c < x->pw; c++) {
            if (!x->col[c].nflag) continue;
            iot_out_puts(o, "<circle r=\"3.5\" cx=\"");
            iot_svg_num(o, X(x, x->col[c].flag.t));
            iot_out_puts(o, "\" cy=\"");
            iot_svg_num(o, Y(ys, x->col[c].flag.v));
            iot_out_puts(o, "\"/>\n");
        }
        iot_out_puts(o, "</g>\n");
    }
    if (s->nalerts) {
        iot_out_puts(o, "<g class=\"alerts\" stroke=\"" MARK "\" stroke-dasharray=\"3 2\">\n");
        for (int i = 0; i < s->nalerts; i++) {
            double ax = X(x, s->alerts[i].t);
            iot_out_puts(o, "<line y1=\"0\" x1=\"");
            iot_svg_num(o, ax);
            iot_out_puts(o, "\" x2=\"");
            iot_svg_num(o, ax);
            iot_out_printf(o, "\" y2=\"%d\"><title>alert ", x->ph);
            iot_svg_escs(o, s->alerts[i].type);
            iot_time_fmt(s->alerts[i].t, tb);
            iot_out_printf(o, " %s</title></line>\n", tb);
        }
        iot_out_puts(o, "</g>\n");
    }
}

static void panel_yrange(const struct ctx *x, const struct panel *p, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < panel_nseries(x, p); i++) {
        struct iot_plot_series *s;
        size_t ki;
        series_of(x, p, i, &s, &ki);
        if (!s->on || !s->ds.n) continue;
        if (s->ds.min.v < *lo) *lo = s->ds.min.v;
        if (s->ds.max.v > *hi) *hi = s->ds.max.v;
        if (s->band) {
            if (s->lo.min.v < *lo) *lo = s->lo.min.v;
            if (s->hi.max.v > *hi) *hi = s->hi.max.v;
        }
    }
    if (*lo > *hi) *lo = *hi = 0;
}

static void draw_panel(struct ctx *x, const struct panel *p, int row, int colno, bool bottom)
{
    struct iot_out *o = x->o;
    const struct iot_plot_cfg *cfg = &x->d->cfg;
    int cell_w = (x->c->width - 2 * MARGIN) / x->ncol;
    int ox = MARGIN + colno * cell_w + PAD_L;
    int oy = TITLE_H + LEGEND_H + row * (HEAD + x->ph + ROW_GAP) + HEAD;
    double lo, hi;
    panel_yrange(x, p, &lo, &hi);
    struct iot_ticks yt;
    iot_ticks_linear(lo, hi, x->ph / 36 + 1, &yt);
    struct yscale ys = { yt.lo, yt.hi, x->ph };
    double amax = fmax(fabs(yt.lo), fabs(yt.hi));
    iot_out_printf(o, "<g class=\"panel\" transform=\"translate(%d,%d)\">\n", ox, oy);
    iot_out_printf(o, "<text x=\"0\" y=\"-4\" font-weight=\"bold\">");
    if (p->key) {
        size_t kl;
        const char *k = iot_keytab_key(p->key, &kl);
        iot_chart_key_text(o, k, kl);
        iot_out_puts(o, " \xc2\xb7 ");
    }
    iot_svg_escs(o, cfg->fields[p->field]);
    iot_out_puts(o, "</text>\n");
    /* grid and y labels */
    iot_out_puts(o, "<g stroke=\"#e4e4e4\" shape-rendering=\"crispEdges\">");
    for (int i = 0; i < yt.n; i++) {
        double y = Y(&ys, iot_ticks_at(&yt, i));
        iot_out_printf(o, "<line x1=\"0\" x2=\"%d\" y1=\"", x->pw);
        iot_svg_num(o, y);
        iot_out_puts(o, "\" y2=\"");
        iot_svg_num(o, y);
        iot_out_puts(o, "\"/>");
    }
    int64_t tt[64];
    /* ticks on the local calendar (UTC unless --tz): chosen and labelled in wall time, drawn
     * at the instants those wall times are */
    int64_t nominal, lt[64];
    int nt = iot_ticks_time(iot_tz_local(x->t0), iot_tz_local(x->t1), x->pw / 90 + 1, lt, 64, &nominal);
    int kept = 0;
    for (int i = 0; i < nt; i++) {   /* a wall time skipped by a DST jump gets no tick */
        int64_t t = iot_tz_instant(lt[i]);
        if (iot_tz_local(t) != lt[i]) continue;
        lt[kept] = lt[i];
        tt[kept++] = t;
    }
    nt = kept;
    for (int i = 0; i < nt; i++) {
        double tx = X(x, tt[i]);
        iot_out_puts(o, "<line y1=\"0\" x1=\"");
        iot_svg_num(o, tx);
        iot_out_puts(o, "\" x2=\"");
        iot_svg_num(o, tx);
        iot_out_printf(o, "\" y2=\"%d\"/>", x->ph);
    }
    /* the frame after the grid, so that the grid's end lines do not hide it */
    iot_out_printf(o, "</g>\n<rect class=\"frame\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#bbb\" shape-rendering=\"crispEdges\"/>\n", x->pw, x->ph);
    iot_out_puts(o, "<g text-anchor=\"end\" fill=\"#444\">");
    for (int i = 0; i < yt.n; i++) {
        char b[64];
        double v = iot_ticks_at(&yt, i);
        iot_out_puts(o, "<text x=\"-5\" y=\"");
        iot_svg_num(o, Y(&ys, v) + 4);
        iot_fmt_axis(b, v, yt.step, amax);
        iot_out_printf(o, "\">%s</text>", b);
    }
    iot_out_puts(o, "</g>\n");
    if (bottom) {
        iot_out_puts(o, "<g text-anchor=\"middle\" fill=\"#444\">");
        for (int i = 0; i < nt; i++) {
            char b[40];
            iot_time_label(lt[i], nominal, b);
            iot_out_puts(o, "<text x=\"");
            iot_svg_num(o, X(x, tt[i]));
            iot_out_printf(o, "\" y=\"%d\">%s</text>", x->ph + 14, b);
        }
        iot_out_puts(o, "</g>\n");
    }
    for (size_t i = 0; i < panel_nseries(x, p); i++) {
        struct iot_plot_series *s;
        size_t ki;
        series_of(x, p, i, &s, &ki);
        if (!s->on) continue;
        const char *colour = p->key ? palette[x->fcol[p->field] % NPAL] : key_colour(x, ki);
        if (s->band) draw_band(x, s, &ys, colour);
        if (s->ds.n) draw_line(x, &s->ds, &ys, colour);
        draw_marks(x, s, &ys);
    }
    iot_out_puts(o, "</g>\n");
}

static void legend_item(struct iot_out *o, int *lx, int y, const char *colour, const char *kind, const char *text, size_t tl)
{
    if (strcmp(kind, "line") == 0)
        iot_out_printf(o, "<line class=\"swatch\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>", *lx, *lx + 16, y - 4, y - 4, colour);
    else if (strcmp(kind, "circle") == 0)
        iot_out_printf(o, "<circle cx=\"%d\" cy=\"%d\" r=\"3.5\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>", *lx + 8, y - 4, colour);
    else if (strcmp(kind, "dash") == 0)
        iot_out_printf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"3 2\"/>", *lx + 8, *lx + 8, y - 11, y + 3, colour);
    else
        iot_out_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"9\" fill=\"%s\" fill-opacity=\"0.22\"/>", *lx, y - 9, colour);
    iot_out_printf(o, "<text x=\"%d\" y=\"%d\">", *lx + 20, y);
    iot_svg_esc(o, text, tl);
    iot_out_puts(o, "</text>");
    *lx += 28 + (int)(tl * 6.6);   /* ~0.6 em per character at 11 px */
}

static void draw_legend(struct ctx *x, int y)
{
    struct iot_out *o = x->o;
    const struct iot_plot_cfg *cfg = &x->d->cfg;
    int lx = MARGIN;
    iot_out_puts(o, "<g class=\"legend\" fill=\"#222\">");
    if (!x->c->overlay) {
        for (int f = 0; f < cfg->nfields; f++)
            if (x->fcol[f] >= 0)
                legend_item(o, &lx, y, palette[x->fcol[f] % NPAL], "line", cfg->fields[f], strlen(cfg->fields[f]));
    } else {
        size_t shown = 0;
        for (size_t i = 0; i < x->nkeys && lx < x->c->width - 160; i++, shown++) {
            size_t kl;
            const char *k = iot_keytab_key(x->keys[i], &kl);
            struct iot_buf b = { 0 };
            for (size_t j = 0; j < kl; j++)   /* plain text of the key; escaped by legend_item */
                if (k[j] == 0x1f) iot_buf_adds(&b, " / ");
                else if (k[j] != 0x1e) iot_buf_addc(&b, k[j]);
            legend_item(o, &lx, y, key_colour(x, i), "line", b.p ? b.p : "", b.len);
            iot_buf_free(&b);
        }
        if (shown < x->nkeys) {
            iot_out_printf(o, "<text x=\"%d\" y=\"%d\">+%zu more</text>", lx, y, x->nkeys - shown);
            lx += 70;
        }
    }
    if (x->any_band) legend_item(o, &lx, y, "#777", "band", "min\xe2\x80\x93max band", 14);
    if (x->any_flag) legend_item(o, &lx, y, MARK, "circle", "anomaly", 7);
    if (x->any_alert) legend_item(o, &lx, y, MARK, "dash", "alert", 5);
    iot_out_puts(o, "</g>\n");
}

static void layout(struct ctx *x, struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    memset(x, 0, sizeof *x);
    x->o = o;
    x->d = d;
    x->c = c;
    int nf = d->cfg.nfields;
    x->keys = iot_plot_keys(d, c->by_status ? c->stale : -1, &x->nkeys);
    x->fcol = iot_xmalloc((size_t)nf * sizeof *x->fcol);
    for (int f = 0; f < nf; f++) x->fcol[f] = -1;
    for (size_t i = 0; i < x->nkeys; i++)
        for (int f = 0; f < nf; f++) {
            struct iot_plot_series *s = &x->keys[i]->s[f];
            if (!s->on || (!s->ds.n && !s->nalerts)) continue;
            if (x->fcol[f] < 0) x->fcol[f] = 0;
            x->any_flag |= s->ds.nflag > 0;
            x->any_alert |= s->nalerts > 0;
            x->any_band |= s->band;
        }
    int nused = 0;
    for (int f = 0; f < nf; f++) if (x->fcol[f] == 0) x->fcol[f] = nused++;
    x->ncol = c->overlay || !nused ? 1 : nused;
    x->pw = iot_chart_plot_width(c, c->overlay ? 1 : nf);
    x->ph = c->panel_h;
    x->panels = iot_xcalloc((size_t)(nf * (int)x->nkeys + nf + 1), sizeof *x->panels);
    if (c->overlay) {
        for (int f = 0; f < nf; f++)
            if (x->fcol[f] >= 0) x->panels[x->npanel++] = (struct panel){ NULL, f };
        x->nrow = x->npanel;
    } else {
        for (size_t i = 0; i < x->nkeys; i++)
            for (int f = 0; f < nf; f++)
                if (x->keys[i]->s[f].on && (x->keys[i]->s[f].ds.n || x->keys[i]->s[f].nalerts))
                    x->panels[x->npanel++] = (struct panel){ x->keys[i], f };
        x->nrow = (int)x->nkeys;
    }
    x->t0 = d->tmin;
    x->t1 = d->tmax;
    if (x->t1 <= x->t0) {   /* one instant: a second either side, inside the int64 range */
        if (x->t0 > INT64_MIN + IOT_NS_PER_S) x->t0 -= IOT_NS_PER_S;
        if (x->t1 < INT64_MAX - IOT_NS_PER_S) x->t1 += IOT_NS_PER_S;
    }
    x->col = iot_xcalloc((size_t)x->pw, sizeof *x->col);
    x->col2 = iot_xcalloc((size_t)x->pw, sizeof *x->col2);
}

static void done(struct ctx *x)
{
    free(x->keys);
    free(x->fcol);
    free(x->panels);
    free(x->col);
    free(x->col2);
}

void iot_chart_title(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    if (c->title) { iot_svg_escs(o, c->title); return; }
    for (int f = 0; f < d->cfg.nfields; f++) {
        if (f) iot_out_puts(o, ", ");
        iot_svg_escs(o, d->cfg.fields[f]);
    }
    iot_out_puts(o, " by ");
    iot_svg_escs(o, d->cfg.key);
}

static void svg_body(struct ctx *x)
{
    struct iot_out *o = x->o;
    const struct iot_plot_data *d = x->d;
    const struct iot_chart_opts *c = x->c;
    int top = TITLE_H + LEGEND_H;
    int h = x->npanel ? top + x->nrow * (HEAD + x->ph + ROW_GAP) + AXIS_H : top + 80;
    iot_out_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                      "font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" role=\"img\" aria-labelledby=\"plot-title plot-desc\">\n",
                   c->width, h, c->width, h);
    iot_out_puts(o, "<title id=\"plot-title\">");
    iot_chart_title(o, d, c);
    char a[48], b[48];
    iot_time_caption(x->t0, a);
    iot_time_caption(x->t1, b);
    iot_out_printf(o, "</title>\n<desc id=\"plot-desc\">%zu keys, %lld samples, %lld anomalies, %lld alerts",
                   x->nkeys, (long long)d->values, (long long)d->flags, (long long)d->alerts);
    if (x->npanel) iot_out_printf(o, "; %s to %s", a, b);
    iot_out_puts(o, "</desc>\n");
    iot_out_printf(o, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", c->width, h);
    iot_out_printf(o, "<text x=\"%d\" y=\"20\" font-size=\"15\" font-weight=\"bold\">", MARGIN);
    iot_chart_title(o, d, c);
    iot_out_puts(o, "</text>\n");
    if (!x->npanel) {
        iot_out_printf(o, "<text class=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" fill=\"#666\">No data to draw: no numeric ",
                       c->width / 2, top + 30);
        for (int f = 0; f < d->cfg.nfields; f++) {
            if (f) iot_out_puts(o, ", ");
            iot_svg_escs(o, d->cfg.fields[f]);
        }
        iot_out_puts(o, " in the input</text>\n</svg>\n");
        return;
    }
    draw_legend(x, TITLE_H + 8);
    int *rowof = iot_xcalloc((size_t)x->npanel, sizeof *rowof);
    for (int i = 0, row = -1; i < x->npanel; i++) {
        if (c->overlay) row = i;
        else if (i == 0 || x->panels[i].key != x->panels[i - 1].key) row++;
        rowof[i] = row;
    }
    for (int i = 0; i < x->npanel; i++) {
        const struct panel *p = &x->panels[i];
        int colno = c->overlay ? 0 : x->fcol[p->field];
        /* x labels under the lowest panel of each column */
        bool bottom = true;
        for (int j = i + 1; j < x->npanel; j++)
            if ((c->overlay ? 0 : x->fcol[x->panels[j].field]) == colno) { bottom = false; break; }
        draw_panel(x, p, rowof[i], colno, bottom);
    }
    free(rowof);
    const char *zone = iot_tz_name();
    if (zone) {   /* the caption in the axis' zone */
        iot_time_caption(iot_tz_local(x->t0), a);
        iot_time_caption(iot_tz_local(x->t1), b);
        a[strlen(a) - 4] = b[strlen(b) - 4] = 0;   /* drop " UTC" */
    }
    iot_out_puts(o, "<text x=\"");
    iot_out_printf(o, "%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">time (", c->width / 2, h - 8);
    iot_svg_escs(o, zone ? zone : "UTC");
    iot_out_printf(o, "), %s to %s</text>\n", a, b);
    iot_out_puts(o, "</svg>\n");
}

int iot_chart_svg(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    struct ctx x;
    layout(&x, o, d, c);
    iot_out_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg_body(&x);
    int n = x.npanel;
    done(&x);
    return n;
}

static void td_num(struct iot_out *o, double v)
{
    char b[48];
    iot_fmt_si(b, v, 4);
    iot_out_printf(o, "<td>%s</td>", b);
}

void iot_chart_html_head(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    iot_out_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>");
    iot_chart_title(o, d, c);
    iot_out_puts(o, "</title>\n<style>\n"
        "body{font-family:\"DejaVu Sans\",sans-serif;margin:16px;color:#222;background:#fff}\n"
        "h1{font-size:18px}h2{font-size:15px;margin-top:24px}\n"
        "figure{margin:0}svg{max-width:100%;height:auto}\n"
        "table{border-collapse:collapse;font-size:12px}\n"
        "th,td{border:1px solid #ddd;padding:2px 8px;text-align:right}\n"
        "th:first-child,td:first-child,td.f{text-align:left}\n"
        "td.mark{color:#D55E00;font-weight:bold}\n"
        "p.summary{font-size:14px}\n"
        "</style>\n</head>\n<body>\n<h1>");
    iot_chart_title(o, d, c);
    iot_out_puts(o, "</h1>\n");
}

int iot_chart_html_figure(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    struct ctx x;
    layout(&x, o, d, c);
    iot_out_puts(o, "<figure>\n");
    svg_body(&x);
    iot_out_puts(o, "</figure>\n");
    if (x.nkeys) {
        iot_out_puts(o, "<h2>Numbers</h2>\n<table>\n<thead><tr><th>");
        iot_svg_escs(o, d->cfg.key);
        iot_out_puts(o, "</th><th>field</th><th>samples</th><th>min</th><th>max</th><th>last</th><th>last time (UTC)</th>"
                        "<th>anomalies</th><th>alerts</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < x.nkeys; i++)
            for (int f = 0; f < d->cfg.nfields; f++) {
                const struct iot_plot_series *s = &x.keys[i]->s[f];
                if (!s->on) continue;
                size_t kl;
                const char *k = iot_keytab_key(x.keys[i], &kl);
                iot_out_puts(o, "<tr><td>");
                iot_chart_key_text(o, k, kl);
                iot_out_puts(o, "</td><td class=\"f\">");
                iot_svg_escs(o, d->cfg.fields[f]);
                iot_out_printf(o, "</td><td>%lld</td>", (long long)s->ds.n);
                char tb[48] = "";
                if (s->ds.n) {
                    td_num(o, s->ds.min.v);
                    td_num(o, s->ds.max.v);
                    td_num(o, s->ds.last.v);
                    iot_time_fmt(s->ds.last.t, tb);
                } else iot_out_puts(o, "<td></td><td></td><td></td>");
                iot_out_printf(o, "<td>%s</td><td%s>%lld</td><td%s>%d</td></tr>\n", tb,
                               s->ds.nflag ? " class=\"mark\"" : "", (long long)s->ds.nflag,
                               s->nalerts ? " class=\"mark\"" : "", s->nalerts);
            }
        iot_out_puts(o, "</tbody>\n</table>\n");
    }
    int n = x.npanel;
    done(&x);
    return n;
}

void iot_chart_html_end(struct iot_out *o, const struct iot_plot_data *d)
{
    iot_out_printf(o, "<p>%lld records, %lld samples; drawn by iot-plot.</p>\n</body>\n</html>\n",
                   (long long)d->records, (long long)d->values);
}

int iot_chart_html(struct iot_out *o, const struct iot_plot_data *d, const struct iot_chart_opts *c)
{
    iot_chart_html_head(o, d, c);
    int n = iot_chart_html_figure(o, d, c);
    iot_chart_html_end(o, d);
    return n;
}
