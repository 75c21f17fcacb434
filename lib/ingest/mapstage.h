/* mapstage: iot-ingest's map stage — computed fields (--eval NAME = EXPR, in order, each
 * seeing the ones before), a filter (--where EXPR) and a column selection (--select A,B,...),
 * over the expression language of core/expr.h (iot(7) EXPRESSIONS). */
#ifndef IOT_INGEST_MAPSTAGE_H
#define IOT_INGEST_MAPSTAGE_H
#include <stdint.h>
#include "core/buf.h"
#include "core/rec.h"
#include "recedit.h"

struct iot_map;

/* Compiles the evals ("NAME = EXPR"), the filter (may be NULL) and the selection (names, may be
 * 0 of them) against f, and tells edit to drop each computed NAME from the line (the computed
 * member replaces it). Refusals are usage errors (exit 64) naming the option and the column.
 * now: the time now() reads; fixed: keep it (--now), else it is read again every 1024 records. */
struct iot_map *iot_map_new(struct iot_fields *f, struct iot_recedit *edit, char **evals, int neval,
                            const char *where, char **select, int nselect, int64_t now, int fixed);

/* Whether the map computes or filters anything (else the caller skips iot_map_record). */
int iot_map_active(const struct iot_map *m);

/* One record: vals as scanned with f; extra: the members the caller appends (asset fields, the
 * ingest time; "a":1,"b":2 without braces), which the expressions see too. Appends the computed
 * members to extra. Returns 0 (keep), 1 (filtered out by --where) or -1 (an error in the
 * expression named *name, reason in *why: the record is to be dead-lettered). Undefined
 * results are not written and are counted per name ("undefined_NAME" in --stats). */
int iot_map_record(struct iot_map *m, const struct iot_val *vals, struct iot_buf *extra,
                   const char **name, const char **why);

/* --select: rewrites line[0..len) (a valid JSON object) as the selected members, in the order
 * given, values byte for byte, into out. Returns 0; a selected member the line lacks is left
 * out (counted "select_absent"). No-op (returns -1) without a selection. */
int iot_map_select(struct iot_map *m, const char *line, size_t len, struct iot_buf *out);

void iot_map_free(struct iot_map *m);
#endif
