/* winout: iot-window's output records. A closed window:
 *   {KEYS..., "windowStart":T, "windowEnd":T, AGGREGATES...}
 * or, with partial, {KEYS..., "windowStart", "windowEnd", "_aggregates":SPEC, "_partial":STATE}
 * (STATE = iot_agg_to_json, exact; read back by lib/winmerge). An absence change:
 *   {KEYS..., "event":"absent"|"present", "lastSeen":T, "timestamp":T}.
 * A series: {KEYS..., "timestamp":[T...], NAME:[v...]...}. Rolling: the input line, its bytes
 * kept, with the aggregate members replaced or appended. Times are RFC 3339 UTC with ms; counts
 * integers; other values the shortest round-trip double, null when undefined. */
#ifndef IOT_WINOUT_H
#define IOT_WINOUT_H
#include <stdbool.h>
#include <stddef.h>
#include "aggrec.h"
#include "core/out.h"
#include "series.h"
#include "window.h"

struct iot_winout;
/* Writes to o with the keys and aggregates of r (both must outlive it). having (may be NULL):
 * a condition (lib/core/expr.h) over a final window row's own fields; rows that do not match are not
 * written. rolling: also registers the aggregate names as fields of r, so that members of the
 * input named like an output are replaced (call before reading). Returns NULL with a reason in
 * err when having does not compile. */
struct iot_winout *iot_winout_new(struct iot_out *o, struct iot_aggrec *r, bool partial,
                                  const char *having, bool rolling, char *err, size_t errcap);
/* An iot_win_emit_fn: ctx is the winout. Counts "absent"/"present" in --stats. */
void iot_winout_row(void *wo, const struct iot_row *row);
/* For iot_series_finish: ctx is the winout. */
void iot_winout_series(void *wo, const struct iot_series_row *row);
/* Rolling: line (just read by r) annotated with the values of st. */
void iot_winout_annotate(struct iot_winout *wo, const char *line, size_t len, struct iot_agg_state *st);
void iot_winout_free(struct iot_winout *wo);
#endif
