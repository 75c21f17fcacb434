/* reduce: historian-style edge data reduction per key and per field: the exception test
 * (deadband, with the held value sent when a change passes) and the swinging-door compression
 * test (PI flavour), with a maximum gap forcing a point. See AVEVA PI Server's exception and compression docs (docs.aveva.com).
 *
 * Works on whole records: a record is passed when any reduced field needs it; the other fields
 * are carried. Whenever a record is passed, for whatever reason, every field of that key
 * re-anchors on it (last sent / last archived), so extra points never loosen a bound:
 *   deadband, step reconstruction:          |v - last passed value| <= dev
 *   deadband, linear between passed points:  error <= 2 dev
 *   swinging door, linear interpolation:     error <= dev (to floating-point rounding)
 * Records of a key must come in event-time order; a record not newer than the key's last one
 * passes straight through (PI: out-of-order events bypass compression) and voids the bound. */
#ifndef IOT_REDUCE_H
#define IOT_REDUCE_H
#include <stddef.h>
#include <stdint.h>

enum iot_reduce_kind { IOT_RED_DEADBAND = 1, IOT_RED_SWING = 2 };

/* One reduced field: dev is ExcDev (deadband) or CompDev (swinging door), >= 0. */
struct iot_reduce_field { int kind; double dev; };

/* A field's value in one record. */
enum { IOT_RV_ABSENT = 0, IOT_RV_NUM = 1, IOT_RV_OTHER = 2 };
struct iot_reduce_val { double v; int state; };
/* Fills rv[0..n) from scanned values: vals[idx[i]] (see rec.h). */
struct iot_val;
void iot_reduce_vals(struct iot_reduce_val *rv, const struct iot_val *vals, const int *idx, int n);

/* Called for each record to pass, in output order; line is the text given to push. */
typedef void (*iot_reduce_emit_fn)(void *ctx, const char *line, size_t len);

/* Parses "FIELD=DEV,..." as --deadband / --swinging-door take it, appending to *f and *names
 * (both grown with realloc; names are fresh strings) and *n. Returns 0, or -1 with a static
 * message in *why ("'x' is not FIELD=DEVIATION", a negative or non-numeric deviation). */
int iot_reduce_parse(const char *arg, int kind, struct iot_reduce_field **f, char ***names, int *n,
                     const char **why);

struct iot_reduce;
/* nf fields (copied). max_gap_ns 0 = none: a point is then forced when the gap since the
 * key's last passed point reaches max_gap (deadband: >=, ExcMax; swinging door: >, CompMax).
 * max_keys 0 = unlimited; past it, records of new keys pass unreduced (counted by
 * iot_reduce_overflow). */
struct iot_reduce *iot_reduce_new(const struct iot_reduce_field *f, int nf, int64_t max_gap_ns,
                                  size_t max_keys);

/* Feeds one record of key (klen bytes) at event time t with the values of the nf fields.
 * Records to pass are handed to emit, at once or later (a held record is kept, copied, until
 * the next record of its key decides). Returns the number of records discarded by this call
 * (0 or 1): the caller counts them as "reduced". */
int iot_reduce_push(struct iot_reduce *r, const char *key, size_t klen, int64_t t,
                    const struct iot_reduce_val *vals, const char *line, size_t len,
                    iot_reduce_emit_fn emit, void *ctx);

/* End of input: passes every key's pending swinging-door snapshot (in key insertion order);
 * deadband-only held records are discarded, as PI does. Returns the number discarded. */
int64_t iot_reduce_finish(struct iot_reduce *r, iot_reduce_emit_fn emit, void *ctx);

int64_t iot_reduce_overflow(const struct iot_reduce *r);
void iot_reduce_free(struct iot_reduce *r);
#endif
