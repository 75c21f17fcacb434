/* series: Kusto make-series — per key, one aggregate state per fixed step bin, gaps filled. */
#ifndef IOT_SERIES_H
#define IOT_SERIES_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "agg.h"

enum iot_fill { IOT_FILL_NULL, IOT_FILL_ZERO, IOT_FILL_PREV, IOT_FILL_LINEAR };

/* Fills the missing (miss[i] true) entries of v[0..n-1] in place: zero; prev = forward fill
 * (leading gaps stay missing, series_fill_forward); linear = series_fill_linear with
 * fill_edges (leading/trailing gaps copy the nearest value; all missing stays missing). */
void iot_series_fill(double *v, bool *miss, size_t n, enum iot_fill how);
/* "null" "zero" "prev" "linear" → fill; -1 if unknown. */
int iot_fill_parse(const char *s);

struct iot_series;
/* Bins are [origin + k*step, origin + (k+1)*step). With from/to (has_range), the axis is
 * from (inclusive) to to (exclusive) for every key and origin = from; otherwise each key's axis
 * runs from its first to its last bin with data. max_keys 0 = unlimited. */
struct iot_series *iot_series_new(const struct iot_aggset *set, int64_t step, int64_t origin,
                                  bool has_range, int64_t from, int64_t to, size_t max_keys,
                                  int64_t max_points);
/* Returns 0, 1 if t is outside [from, to) (ignored), -1 if max_keys is reached, 2 if the key's
 * axis would then span more than max_points bins (nothing added or allocated). */
int iot_series_add(struct iot_series *s, const char *key, size_t klen, int64_t t,
                   const struct iot_agg_in *in);

/* One finished series handed to the callback: n bins from `first` by step; val[i][b] and
 * miss[i][b] for aggregate item i (after filling; counts are 0 in empty bins). */
struct iot_series_row {
    const char *key; size_t klen;
    int64_t first, step; size_t n;
    double **val; bool **miss;
};
/* Emits every key's series in key byte order, then frees the content. */
void iot_series_finish(struct iot_series *s, enum iot_fill how,
                       void (*emit)(void *ctx, const struct iot_series_row *r), void *ctx);
void iot_series_free(struct iot_series *s);
#endif
