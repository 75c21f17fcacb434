/* screen: one dashboard frame as text. Live frames home the cursor and overwrite each line,
 * erasing to its end (CSI K; xterm control sequences,
 * https://invisible-island.net/xterm/ctlseqs/ctlseqs.html), so nothing flashes; plain frames
 * (--once, not a terminal) have no escape at all. Colour only when asked (no-color.org is the
 * caller's business); the state is always in words too. Text from the stream is made safe for
 * a terminal: control bytes and invalid UTF-8 become '?'. */
#ifndef IOT_TOP_SCREEN_H
#define IOT_TOP_SCREEN_H
#include <stdbool.h>
#include "core/buf.h"
#include "board.h"

enum iot_top_sort { IOT_SORT_BUSY, IOT_SORT_NAME, IOT_SORT_ALARMS, IOT_SORT_N };
enum iot_top_filter { IOT_FILTER_ALL, IOT_FILTER_ALARMS, IOT_FILTER_OFFLINE, IOT_FILTER_N };

struct iot_screen_opts {
    int cols, rows;        /* rows 0: as many as needed (plain) */
    bool live, colour, utf8;
    enum iot_top_sort sort;
    enum iot_top_filter filter;
    double rps;            /* records per second to show; < 0: event-time rate of the input */
    bool ended;            /* the input has ended */
};

/* Appends the frame to out. */
void iot_screen_render(struct iot_buf *out, struct iot_board *b, const struct iot_screen_opts *o);
const char *iot_sort_name(enum iot_top_sort s);
const char *iot_filter_name(enum iot_top_filter f);
#endif
