/* model: the iot-predict model file. One JSON document: task, label, event conditions, the
 * feature spec with its fitted standardisation, the learner (trees or linear weights), the
 * decision threshold, validation metrics and a digest of the training data. Written atomically;
 * a broken file, another kind of file, or another format version is refused. */
#ifndef IOT_MODEL_H
#define IOT_MODEL_H
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "feature.h"
#include "gbdt.h"
#include "linmodel.h"
#include "core/out.h"

/* 2: operating regimes, since() fields, the model card; 3: sealed with a CRC-32C (core/state.h);
 * older files are refused */
#define IOT_MODEL_FORMAT 3

struct iot_model {
    bool classify;              /* task classify (probability) or regress */
    char *label;                /* label field, or NULL with label_from */
    char *label_from;           /* failure condition, or NULL */
    char *reset_on;             /* reset condition, or NULL */
    char *key, *time_field;     /* as used at training */
    char *output;               /* member added by score: failureProbability or rul */
    int64_t horizon;            /* ns, with label_from */
    double cap;                 /* NaN = none */
    double threshold;           /* decision threshold (classify) */
    struct iot_featspec *spec;
    struct iot_gbdt *gbdt;      /* exactly one of gbdt and lin */
    struct iot_linmodel *lin;
    json_t *metrics;            /* owned; may be NULL */
    json_t *data;               /* training data digest; owned; may be NULL */
    char *tag;                  /* --tag, free text, or NULL */
    char *written_by;           /* tool and version that wrote a loaded model, or NULL */
    double train_seconds;       /* wall-clock training time; NaN = unknown */
};

/* Writes m to path atomically (temp + fsync + rename). Errors exit 73/74. */
void iot_model_save(const struct iot_model *m, const char *path);
/* Reads path. Cannot open: message and exit 66. Not JSON, not a model, another format version
 * or a malformed part: "iot-predict: path: not a usable model (why)" and exit 65. */
struct iot_model *iot_model_load(const char *path);
/* The same from a JSON document; NULL with a reason in err. */
struct iot_model *iot_model_from_json(const json_t *j, char *err, size_t errcap);
json_t *iot_model_to_json(const struct iot_model *m);
/* Prediction for one feature row (probability or value). */
double iot_model_predict(const struct iot_model *m, const float *x);
void iot_model_free(struct iot_model *m);
/* The model card (a new reference): format, tool version, task, features, regimes, training
 * data digest and counts, cross-validation metrics, threshold, training time, tag. */
json_t *iot_model_card(const struct iot_model *m);
/* Feature importances of m as JSON lines on o, largest first: trees by total split gain (with
 * split counts), linear models by |weight| on the standardised scale; share = of the total. */
void iot_model_explain(const struct iot_model *m, struct iot_out *o);

#endif
