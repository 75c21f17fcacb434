/* top: the dashboard's main loop. Live (stdout a terminal, not --once): reads the stream as it
 * comes, at most one frame per refresh interval (coalescing every record since the last one),
 * keys q (quit), s (next sort), f (next filter); the records per second are wall-clock.
 * Otherwise it reads to the end of input and writes one plain frame (rates in event time). */
#ifndef IOT_TOP_TOP_H
#define IOT_TOP_TOP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/out.h"
#include "board.h"
#include "screen.h"

struct iot_top_opts {
    struct iot_board_cfg board;
    bool once;
    bool colour, utf8;
    int64_t refresh;           /* ns between frames, >= 1/6 s */
    enum iot_top_sort sort;
    enum iot_top_filter filter;
    size_t max_line;
    int cols;                  /* plain frames: width, 0 = unlimited */
    bool follow;               /* live: paths[0] is a file followed as it grows */
};

/* Runs until the end of input (plain) or q / SIGINT / SIGTERM (live). Plain frames go to out. */
void iot_top_run(const struct iot_top_opts *o, char **paths, int n, struct iot_out *out);
#endif
