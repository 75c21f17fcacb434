/* merge: k-way event-time merge of several ordered inputs, streaming, one pending record per
 * input (memory O(k)). Ties go to the input given first; within an input, records keep their
 * order — so the output is deterministic. */
#ifndef IOT_MERGE_H
#define IOT_MERGE_H
#include <stdint.h>

/* Pulls the next record of input i and reports its event time in *t. Returns 1, or 0 when
 * input i is exhausted. The record itself stays with the caller (e.g. in input i's reader). */
typedef int (*iot_merge_pull_fn)(void *ctx, int i, int64_t *t);

struct iot_merge;
struct iot_merge *iot_merge_new(int k, iot_merge_pull_fn pull, void *ctx);
/* Returns the input whose pending record comes next in (time, input) order, or -1 when every
 * input is done. The caller consumes that record before calling again: the next call pulls
 * the following record of the same input. */
int iot_merge_next(struct iot_merge *m);
/* Event time of the record last returned. */
int64_t iot_merge_time(const struct iot_merge *m);
void iot_merge_free(struct iot_merge *m);
#endif
