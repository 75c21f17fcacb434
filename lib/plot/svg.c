/* svg: escaping and path data. */
#include <math.h>
#include <stdint.h>
#include "svg.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, surrogates or > U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp == 0xfffe || cp == 0xffff) return 0;   /* not XML Chars */
    return len;
}

size_t iot_svg_esc(struct iot_out *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0, i = 0, run = 0;
    while (i < n) {
        unsigned c = u[i];
        const char *rep = NULL;
        size_t adv = 1;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') { rep = ""; bad++; }
            else if (c >= 0x80) {
                adv = utf8_len(u + i, n - i);
                if (!adv) { rep = "\xef\xbf\xbd"; adv = 1; bad++; }
            }
        }
        if (!rep) { i += adv; continue; }
        if (i > run) iot_out_write(o, s + run, i - run);
        iot_out_puts(o, rep);
        i += adv;
        run = i;
    }
    if (n > run) iot_out_write(o, s + run, n - run);
    return bad;
}

static void tenths(struct iot_out *o, long v)
{
    char buf[32];
    int n = 0;
    unsigned long a = v < 0 ? (unsigned long)-v : (unsigned long)v;
    if (v < 0) buf[n++] = '-';
    n += (int)iot_fmt_u64(buf + n, a / 10);
    if (a % 10) { buf[n++] = '.'; buf[n++] = (char)('0' + a % 10); }
    iot_out_write(o, buf, (size_t)n);
}

static long to_tenths(double v)
{
    if (!(v > -1e9)) return -10000000000L;   /* NaN and absurd values stay far off the canvas */
    if (v > 1e9) return 10000000000L;
    return lround(v * 10);
}

void iot_svg_num(struct iot_out *o, double v) { tenths(o, to_tenths(v)); }

void iot_svg_path_begin(struct iot_svg_path *p, struct iot_out *o)
{
    p->o = o;
    p->open = false;
    p->npts = 0;
}

void iot_svg_path_move(struct iot_svg_path *p, double x, double y)
{
    p->x = to_tenths(x);
    p->y = to_tenths(y);
    iot_out_putc(p->o, 'M');
    tenths(p->o, p->x);
    iot_out_putc(p->o, ' ');
    tenths(p->o, p->y);
    p->open = true;
    p->npts++;
}

void iot_svg_path_line(struct iot_svg_path *p, double x, double y)
{
    if (!p->open) { iot_svg_path_move(p, x, y); return; }
    long nx = to_tenths(x), ny = to_tenths(y);
    iot_out_putc(p->o, 'l');
    tenths(p->o, nx - p->x);
    iot_out_putc(p->o, ' ');
    tenths(p->o, ny - p->y);
    p->x = nx;
    p->y = ny;
    p->npts++;
}

void iot_svg_path_close(struct iot_svg_path *p)
{
    if (p->open) iot_out_putc(p->o, 'Z');
    p->open = false;
}
