/* mvjob: iot-anomaly -m t2, multivariate condition monitoring. Per key, a baseline of healthy
 * records (the first --baseline N records or DURATION of each key, or a model file learned
 * earlier with --learn) gives a PCA model (mvmodel.h); every later record with all fields is
 * scored by Hotelling T² in the retained components and SPE in the residual space, each over
 * its control limit, smoothed by a causal trailing median of `window` records; a fault state is
 * raised when either smoothed ratio reaches 1 and held until both stay below 1 for `hold`
 * records. State per key: O(p²) doubles for p fields. */
#ifndef IOT_MVJOB_H
#define IOT_MVJOB_H
#include <stdbool.h>
#include <stdint.h>
#include "core/out.h"

#define IOT_MV_MAXWIN 64

struct iot_mvjob {
    char *const *fields;          /* model fields, 2..IOT_MV_MAXF */
    int nf;
    bool alerts;                  /* one alert record when a fault state is raised */
    bool quiet;
    int64_t baseline_n;           /* > 0: the first N records of each key are the baseline */
    int64_t baseline_ns;          /* > 0: instead, the first DURATION of event time of each key */
    const char *learn;            /* write a model file learned from the whole input, no output */
    const char *model;            /* load models from this file (keys without one: --baseline) */
    const char *model_by;         /* models looked up by this field's value (the file's -k), or NULL */
    double explained;             /* (0, 1]: variance the retained components explain (0.85) */
    double confidence;            /* (0, 1): control limit level (0.999) */
    int window;                   /* 1..IOT_MV_MAXWIN, trailing median (5) */
    bool longrun;                 /* long-run (autocorrelation-aware) component variances */
    int hold;                     /* records below the limits that end a fault state (>= 1) */
    const char *state;
    int64_t max_keys;
    const char *key;
    const char *time_field;
    int time_unit;
};

/* Reads paths[0..n) (none: stdin) and writes annotated records or alerts to o (nothing with
 * learn). Bad lines are rejected through core/diag. Counters: mv_missing (records without all
 * fields, scored on none), mv_baseline (records learned), mv_nomodel (records of a key with no
 * model), mv_dropped (constant fields left out of a model), alerts. A broken or foreign model or
 * state file: exit 65. */
void iot_mvjob_run(const struct iot_mvjob *j, char **paths, int npaths, size_t max_line,
                   struct iot_out *o);
#endif
