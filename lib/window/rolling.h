/* rolling: trailing-window features per key (the last DURATION of event time, or the last N
 * records), for annotating each record as it passes (iot-window --rolling). */
#ifndef IOT_ROLLING_H
#define IOT_ROLLING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "agg.h"

struct iot_roll;
/* dur > 0: the window of a record at time t is (t - dur, t] over its key's records kept so far:
 * records are kept in time order and forgotten once older than (newest time - dur), so a late
 * record sees what is still kept. Else the last n records in arrival order (current included).
 * max_keys 0 = unlimited; evict: a new key beyond it makes room by forgetting the key whose last
 * event is oldest (ties: smallest key bytes) instead of failing. */
struct iot_roll *iot_roll_new(const struct iot_aggset *set, int64_t dur, int64_t n,
                              size_t max_keys, bool evict);
/* Adds a record and returns the state of its trailing window (owned by roll, valid until the
 * next call), or NULL when a new key would exceed max_keys without evict.
 * Cost: count, sums, avg, var/stdev, min/max (monotonic deques), first/last, range and rate are
 * updated in O(1) amortised per record (exact sums, lib/window/xsum, so nothing drifts; the
 * rebuild from the kept records stays as a bound on work, not on error); a record
 * older than its key's newest (time windows) costs O(window). Percentiles and dcount rebuild
 * the state over the window on every record: O(window). */
struct iot_agg_state *iot_roll_add(struct iot_roll *r, const char *key, size_t klen, int64_t t,
                                   const struct iot_agg_in *in);
size_t iot_roll_evicted(const struct iot_roll *r);
void iot_roll_free(struct iot_roll *r);
#endif
