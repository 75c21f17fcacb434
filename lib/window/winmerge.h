/* winmerge: iot-window --merge. Reads partial window rows (lib/winout's partial form) from
 * several shards, combines the states of each (key, windowStart, windowEnd) and emits final rows
 * in (windowEnd, key, windowStart) order, the order one process gives. */
#ifndef IOT_WINMERGE_H
#define IOT_WINMERGE_H
#include <stddef.h>
#include "aggrec.h"
#include "window.h"

struct iot_winmerge;
/* Partials are read with r's key and aggregates (r must outlive it); max_groups 0 = unlimited. */
struct iot_winmerge *iot_winmerge_new(struct iot_aggrec *r, size_t max_groups);
/* One partial row. A line that is not one (bad JSON, times, another -a, damaged state) goes
 * through iot_reject (kinds "bad json", "bad partial"); returns 0, or -1 when a new group would
 * exceed max_groups (nothing added). */
int iot_winmerge_add(struct iot_winmerge *m, const char *line, size_t len, const struct iot_src *src);
/* Emits every group (kind IOT_ROW_WINDOW) in order and empties m. */
void iot_winmerge_finish(struct iot_winmerge *m, iot_win_emit_fn emit, void *ctx);
void iot_winmerge_free(struct iot_winmerge *m);
#endif
