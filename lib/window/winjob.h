/* winjob: one iot-window run — a record reader (aggrec), an engine (window, rolling, series or
 * merge) and a writer (winout) wired over an input, with idle advance, state file, key limits
 * and the --stats counters of each mode. */
#ifndef IOT_WINJOB_H
#define IOT_WINJOB_H
#include <stdbool.h>
#include <stdint.h>
#include "aggrec.h"
#include "core/in.h"
#include "core/out.h"
#include "series.h"
#include "window.h"

enum iot_winjob_mode { IOT_JOB_WINDOW, IOT_JOB_ROLLING, IOT_JOB_SERIES, IOT_JOB_MERGE };

struct iot_winjob {
    enum iot_winjob_mode mode;
    struct iot_aggrec_cfg rec;   /* key, time, aggregates, bad values */
    struct iot_win_cfg win;      /* window kind and times; max_keys and evict for every mode */
    const char *having;          /* final window rows: condition over their fields, or NULL */
    const char *state;           /* window: state file, or NULL */
    bool partial;                /* window: write mergeable partial rows */
    int64_t idle;                /* window: > 0 = advance event time by quiet wall time */
    int64_t roll_dur, roll_n;    /* rolling: trailing duration, else last n records */
    int64_t step, from, to;      /* series: bin step; axis [from, to) when has_range */
    int64_t max_points;          /* series: at most this many bins per key (0 = unlimited) */
    bool has_range;
    enum iot_fill fill;
};

/* Checks what the options cannot express alone (a usage error, exit 64, via iot_usage): -a and
 * --having compile, names do not clash, --to after --from. Then opens the input (paths[0..n),
 * none = stdin; see iot_in_open) and runs j over it, writing to o,
 * until the end of input or iot_stop_requested; at the end the window mode saves its state
 * (--state: open windows stay open) or emits every open window. Exits 65 when more keys than
 * max_keys arrive without evict. Counters: late_adjusted, late_dropped, late_rejected,
 * idle_advances, evicted, keys, outside_range, absent, present, bad_value_skipped. */
void iot_winjob_run(const struct iot_winjob *j, char **paths, int npaths, size_t max_line,
                    struct iot_out *o);
#endif
