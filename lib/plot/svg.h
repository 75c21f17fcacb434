/* svg: the bytes of SVG and HTML documents: XML escaping (https://www.w3.org/TR/xml/#syntax,
 * section 2.4), coordinates in tenths of a pixel, compact relative paths
 * (https://www.w3.org/TR/SVG2/paths.html). Everything is written to an iot_out. */
#ifndef IOT_PLOT_SVG_H
#define IOT_PLOT_SVG_H
#include <stdbool.h>
#include <stddef.h>
#include "core/out.h"

/* Writes s[0..n) as XML character data that is also safe in a quoted attribute: & < > " '
 * become entities, control characters other than TAB/LF/CR are dropped, invalid UTF-8 bytes
 * become U+FFFD. Returns how many bytes were dropped or replaced. */
size_t iot_svg_esc(struct iot_out *o, const char *s, size_t n);
static inline size_t iot_svg_escs(struct iot_out *o, const char *s) { return iot_svg_esc(o, s, __builtin_strlen(s)); }

/* A coordinate rounded to 0.1 px, shortest text ("12", "12.5", "-0.3"). */
void iot_svg_num(struct iot_out *o, double v);

/* Path data writer: absolute M for the first point of each run, then relative l steps between
 * positions rounded to 0.1 px (deltas of rounded positions, so no drift accumulates). */
struct iot_svg_path { struct iot_out *o; long x, y; bool open; long npts; };
void iot_svg_path_begin(struct iot_svg_path *p, struct iot_out *o);
void iot_svg_path_move(struct iot_svg_path *p, double x, double y);
void iot_svg_path_line(struct iot_svg_path *p, double x, double y);   /* moves if none open */
void iot_svg_path_close(struct iot_svg_path *p);                      /* "Z" */
#endif
