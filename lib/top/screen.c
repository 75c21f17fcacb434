/* screen: dashboard frames. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/time.h"
#include "screen.h"

const char *iot_sort_name(enum iot_top_sort s) { return s == IOT_SORT_NAME ? "name" : s == IOT_SORT_ALARMS ? "alarms" : "busy"; }
const char *iot_filter_name(enum iot_top_filter f) { return f == IOT_FILTER_ALARMS ? "alarms" : f == IOT_FILTER_OFFLINE ? "offline" : "all"; }

/* A line being built: visible columns counted so that it can be cut at the screen width. */
struct line { struct iot_buf *b; int col, max; const struct iot_screen_opts *o; };

static void sgr(struct line *l, const char *code)
{
    if (l->o->colour) iot_buf_addf(l->b, "\x1b[%sm", code);
}

/* Appends text, cut at the width; terminal-unsafe bytes become '?'. */
static void put(struct line *l, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n && l->col < l->max;) {
        size_t len = 1;
        unsigned c = u[i];
        if (c >= 0x80) {
            len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            for (size_t k = 1; len && k < len; k++) if (i + k >= n || (u[i + k] & 0xc0) != 0x80) len = 0;
            if (!len) { iot_buf_addc(l->b, '?'); i++; l->col++; continue; }
            iot_buf_add(l->b, s + i, len);
        } else iot_buf_addc(l->b, c < 0x20 || c == 0x7f ? '?' : (char)c);
        i += len;
        l->col++;
    }
}
static void puts_(struct line *l, const char *s) { put(l, s, strlen(s)); }
static void pad(struct line *l, int to) { while (l->col < to && l->col < l->max) { iot_buf_addc(l->b, ' '); l->col++; } }
static void printf_(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct line *l, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(l, tmp, n < 0 ? 0 : (size_t)n >= sizeof tmp ? sizeof tmp - 1 : (size_t)n);
}

static void begin(struct line *l, struct iot_buf *b, const struct iot_screen_opts *o)
{
    l->b = b;
    l->col = 0;
    l->max = o->cols > 0 ? o->cols : 1 << 30;
    l->o = o;
}
static void end(struct line *l)
{
    if (l->o->colour) iot_buf_adds(l->b, "\x1b[0m");
    if (l->o->live) iot_buf_adds(l->b, "\x1b[K\r\n");
    else iot_buf_addc(l->b, '\n');
}

static void key_text(struct line *l, const struct iot_dev *d)
{
    size_t kl;
    const char *k = iot_keytab_key(d, &kl);
    for (size_t i = 0, s = 0; i <= kl; i++)
        if (i == kl || k[i] == 0x1f) {
            if (s) puts_(l, "/");
            size_t a = s < kl && k[s] == 0x1e ? s + 1 : s;
            put(l, k + a, i - a);
            s = i + 1;
        }
}

static void spark(struct line *l, const struct iot_dev *d, int f, int width)
{
    static const char *blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                    "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
    static const char ascii[] = "_.-=+*#@";
    float h[IOT_BOARD_HIST];
    int n = iot_board_hist(d, f, h);
    if (n > width) { memmove(h, h + n - width, (size_t)width * sizeof *h); n = width; }
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) { if (h[i] < lo) lo = h[i]; if (h[i] > hi) hi = h[i]; }
    for (int i = 0; i < n && l->col < l->max; i++) {
        double r = hi > lo ? ((double)h[i] - lo) / ((double)hi - lo) : 0.5;
        int k = isfinite(r) ? (int)(r * 7.999) : 3;
        k = k < 0 ? 0 : k > 7 ? 7 : k;
        if (l->o->utf8) { iot_buf_adds(l->b, blocks[k]); l->col++; }
        else put(l, ascii + k, 1);
    }
}

static const struct iot_board *sort_b;
static enum iot_top_sort sort_mode;
static int cmp_dev(const void *pa, const void *pb)
{
    const struct iot_dev *a = *(struct iot_dev *const *)pa, *b = *(struct iot_dev *const *)pb;
    if (sort_mode == IOT_SORT_ALARMS && (a->alarms > 0) != (b->alarms > 0)) return b->alarms > 0 ? 1 : -1;
    if (sort_mode != IOT_SORT_NAME && a->n != b->n) return a->n < b->n ? 1 : -1;
    size_t la, lb;
    const char *ka = iot_keytab_key(a, &la), *kb = iot_keytab_key(b, &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int cmp_alarm(const void *pa, const void *pb)
{
    const struct iot_alarm *a = pa, *b = pb;
    if (a->sev != b->sev) return a->sev - b->sev;
    if (a->last_t != b->last_t) return a->last_t < b->last_t ? 1 : -1;
    return strcmp(a->type, b->type);
}

static const char *const sev_word[] = { "CRIT", "MAJOR", "WARN", "INFO" };
static const char *const sev_sgr[] = { "1;31", "31", "33", "34" };

static void hhmmss(char *buf, int64_t t)
{
    char tmp[48];
    iot_time_fmt(t, tmp);
    memcpy(buf, tmp + 11, 8);   /* HH:MM:SS of the RFC 3339 text */
    buf[8] = 0;
}

void iot_screen_render(struct iot_buf *out, struct iot_board *b, const struct iot_screen_opts *o)
{
    struct line l;
    iot_board_expire(b);
    size_t nd;
    struct iot_dev **devs = (struct iot_dev **)iot_keytab_sorted(b->devs, &nd);
    size_t online = 0;
    for (size_t i = 0; i < nd; i++) online += iot_board_online(b, devs[i]);
    if (o->live) iot_buf_adds(out, "\x1b[H");
    int rows = 0, maxrows = o->rows > 0 ? o->rows : 1 << 30;
    /* header */
    begin(&l, out, o);
    sgr(&l, "1");
    puts_(&l, "iot-top");
    sgr(&l, "0");
    double rps = o->rps;
    if (rps < 0) rps = b->max_t > b->min_t ? (double)(b->records - 1) * 1e9 / (double)((uint64_t)b->max_t - (uint64_t)b->min_t) : 0;
    printf_(&l, "  %zu devices: %zu online, %zu offline  %.1f rec/s  %d active alarms", nd, online, nd - online, rps, b->nalarms);
    if (b->max_t >= b->min_t) {
        char tb[48];
        iot_time_fmt(b->max_t, tb);
        printf_(&l, "  event time %s", tb);
    }
    if (o->ended) puts_(&l, "  (input ended)");
    end(&l);
    rows++;
    /* alarms, worst first */
    qsort(b->alarms, (size_t)b->nalarms, sizeof *b->alarms, cmp_alarm);
    int amax = o->rows > 0 ? (o->rows - 6) / 3 : b->nalarms;
    if (amax < 1) amax = 1;
    begin(&l, out, o);
    sgr(&l, "1");
    printf_(&l, "ALARMS (%d)", b->nalarms);
    end(&l);
    rows++;
    for (int i = 0; i < b->nalarms && i < amax && rows < maxrows - 3; i++, rows++) {
        const struct iot_alarm *a = &b->alarms[i];
        char s1[16], s2[16];
        hhmmss(s1, a->since);
        hhmmss(s2, a->last_t);
        begin(&l, out, o);
        sgr(&l, sev_sgr[a->sev]);
        printf_(&l, "  %-5s ", sev_word[a->sev]);
        sgr(&l, "0");
        key_text(&l, a->dev);
        pad(&l, 28);
        puts_(&l, " ");
        puts_(&l, a->type);
        if (a->field[0]) { puts_(&l, " "); puts_(&l, a->field); }
        pad(&l, 52);
        printf_(&l, " since %s  last %s  x%lld", s1, s2, (long long)a->count);
        end(&l);
    }
    if (b->nalarms > amax) {
        begin(&l, out, o);
        printf_(&l, "  ... %d more", b->nalarms - amax);
        end(&l);
        rows++;
    }
    /* devices */
    sort_b = b;
    sort_mode = o->sort;
    qsort(devs, nd, sizeof *devs, cmp_dev);
    begin(&l, out, o);
    sgr(&l, "1");
    printf_(&l, "DEVICES (sort: %s, filter: %s)", iot_sort_name(o->sort), iot_filter_name(o->filter));
    end(&l);
    rows++;
    begin(&l, out, o);
    sgr(&l, "2");
    puts_(&l, "  DEVICE");
    pad(&l, 26);
    puts_(&l, "STATE    REC/S ALARMS");
    for (int f = 0; f < b->cfg.nfields; f++) { printf_(&l, "  %-26.26s", b->cfg.fields[f]); }
    end(&l);
    rows++;
    size_t shown = 0, eligible = 0;
    for (size_t i = 0; i < nd; i++) {
        const struct iot_dev *d = devs[i];
        bool on = iot_board_online(b, d);
        if (o->filter == IOT_FILTER_ALARMS && !d->alarms) continue;
        if (o->filter == IOT_FILTER_OFFLINE && on) continue;
        eligible++;
        if (rows >= maxrows - 2) continue;
        begin(&l, out, o);
        puts_(&l, "  ");
        key_text(&l, d);
        pad(&l, 25);
        puts_(&l, " ");
        sgr(&l, on ? "32" : "90");
        puts_(&l, on ? "online " : "OFFLINE");
        sgr(&l, "0");
        printf_(&l, " %6.1f ", iot_board_rate(d));
        if (d->alarms) sgr(&l, "1;31");
        printf_(&l, "%6d", d->alarms);
        if (d->alarms) sgr(&l, "0");
        for (int f = 0; f < b->cfg.nfields; f++) {
            puts_(&l, "  ");
            if (d->hlen[f]) {
                printf_(&l, "%9.4g ", d->last[f]);
                spark(&l, d, f, 16);
            } else printf_(&l, "%9s ", "-");
            pad(&l, 47 + (f + 1) * 28);   /* columns stay aligned */
        }
        end(&l);
        rows++;
        shown++;
    }
    if (shown < eligible) {
        begin(&l, out, o);
        printf_(&l, "  ... %zu more devices", eligible - shown);
        end(&l);
        rows++;
    }
    if (o->live) {
        begin(&l, out, o);
        sgr(&l, "7");
        puts_(&l, " q quit  s sort  f filter ");
        sgr(&l, "0");
        end(&l);
        iot_buf_adds(out, "\x1b[J");   /* erase whatever the last frame left below */
    }
    free(devs);
}
