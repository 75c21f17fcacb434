/* train: iot-predict's training set. Reads records in input order, labels them (a label field,
 * or "fails within the horizon" from failure records, with censoring), drops constant fields
 * of the auto spec, finds the operating regimes (--regimes), fits standardisation (per regime)
 * and health, then runs the model-owned features per
 * key over the rows, exactly as scoring will on a live stream. */
#ifndef IOT_TRAIN_H
#define IOT_TRAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/diag.h"
#include "feature.h"

struct iot_train_opts {
    const char *label;          /* label field, or NULL with label_from */
    const char *label_from;     /* failure condition, or NULL */
    const char *reset_on;       /* reset condition (maintenance), or NULL */
    const char *key, *time_field;
    const char *std_by;         /* --standardize-by fields, or NULL */
    const char *regimes;        /* --regimes: operating-setting fields, or NULL */
    int time_unit;              /* enum iot_time_unit: numeric times */
    uint64_t seed;              /* regime clustering */
    const double *alphas;       /* auto spec: one ewm per alpha (NULL: ewm(0.1)) */
    int nalphas;
    bool classify, standardize, health;
    int64_t horizon;            /* ns: with label_from, a failure within it labels a row 1 */
    double cap;                 /* regress: clip the label at cap; NaN = none */
    int64_t max_keys;           /* more keys or groups: exit 65 */
};

struct iot_trainset;

/* The feature spec of --features TEXT|FILE: NULL for auto (NULL or "auto"); a JSON spec file
 * when TEXT names a readable file without '('. A bad file exits 65, bad text 64. */
struct iot_featspec *iot_train_spec(const char *features);
/* A training set over spec (taken; NULL = auto: the numeric top-level fields of the first
 * 1000 lines except key, time, label, grouping and '_' fields). Options are copied; their
 * strings are borrowed. */
struct iot_trainset *iot_trainset_new(const struct iot_train_opts *o, struct iot_featspec *spec);
/* One input line (bad lines go to iot_reject). */
void iot_trainset_line(struct iot_trainset *ts, const char *line, size_t len, const struct iot_src *src);
/* Feeds every line of inputs[0..n) (none = stdin; several merged in event-time order) to ts,
 * until the end or iot_stop_requested. */
void iot_trainset_read(struct iot_trainset *ts, char **inputs, int n, size_t max_line);
/* After the last line: labels, fitting, features. Exits 65 when nothing can be trained on
 * (no fields, no features left, no labelled rows, one class only). */
void iot_trainset_finish(struct iot_trainset *ts);

/* After finish: n labelled rows of p features (row-major), labels y and key ids rk (0..nkeys-1).
 * Borrowed from ts. */
struct iot_trainset_rows { const float *X; const double *y; const int *rk; size_t n; int p, nkeys; };
struct iot_trainset_rows iot_trainset_rows(const struct iot_trainset *ts);
/* The fitted spec (borrowed from ts). */
const struct iot_featspec *iot_trainset_spec(const struct iot_trainset *ts);
/* The training data digest for the model file: FNV-1a 64 of the lines, bytes, records, rows,
 * positives, keys. A new reference. */
json_t *iot_trainset_digest(const struct iot_trainset *ts);
void iot_trainset_free(struct iot_trainset *ts);
#endif
