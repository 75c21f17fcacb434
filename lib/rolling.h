/* rolling: trailing-window features per key (the last DURATION of event time, or the last N
 * records), for annotating each record as it passes (iot-window --rolling, iot-predict). */
#ifndef IOT_ROLLING_H
#define IOT_ROLLING_H
#include <stddef.h>
#include <stdint.h>
#include "agg.h"

struct iot_roll;
/* dur > 0: the window is (t - dur, t] of the current record's time t, over records seen so far
 * in arrival order; else the last n records (current included). max_keys 0 = unlimited. */
struct iot_roll *iot_roll_new(const struct iot_aggset *set, int64_t dur, int64_t n, size_t max_keys);
/* Adds a record and returns the state of its trailing window (owned by roll, valid until the
 * next call), or NULL when a new key would exceed max_keys. Cost: O(records in the window). */
struct iot_agg_state *iot_roll_add(struct iot_roll *r, const char *key, size_t klen, int64_t t,
                                   const struct iot_agg_in *in);
void iot_roll_free(struct iot_roll *r);
#endif
