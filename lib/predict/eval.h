/* eval: iot-predict's accuracy in production. Reads a scored stream (the output of score: the
 * model's member on telemetry records, failure and maintenance records passed through) and
 * replays the work orders with score's own rule (one per episode: opened at the first score
 * past the alert level, closed by a maintenance or failure record or a safe cooldown). Then:
 *   - an order is true when a failure of its key follows within the model's horizon, false
 *     when none does and the key was seen for at least the horizon after it, censored else;
 *   - a failure is caught when an order of its key opened within the horizon before it; its
 *     lead time is from the first such order to the failure;
 *   - precision = true / (true + false) orders, recall = caught / failures, false alarms per
 *     device-year = false orders / the keys' observed years.
 * One JSON line per caught failure (its lead time), then per group (--by FIELD, e.g. a device
 * type) and overall. */
#ifndef IOT_EVAL_H
#define IOT_EVAL_H
#include <stdbool.h>
#include <stdint.h>
#include "run.h"

struct iot_eval_job {
    const char *model;
    const char *by;             /* group field, or NULL */
    bool alert_set;
    double alert;               /* default: the model's threshold (classify) */
    int64_t cooldown;
    int time_unit;
    int64_t max_keys;
    struct iot_predict_io io;
};

int iot_predict_eval(const struct iot_eval_job *j);
#endif
