/* run: iot-predict's subcommands as jobs (train, score, explain, info), so that the main is
 * options and wiring only. Every setting comes in the job's options; nothing is read from the
 * command line's globals. */
#ifndef IOT_PREDICT_RUN_H
#define IOT_PREDICT_RUN_H
#include <stddef.h>
#include "fit.h"
#include "score.h"
#include "train.h"

struct iot_predict_io {
    char **inputs;          /* input files (none: standard input) */
    int ninputs;
    size_t max_line;
};

struct iot_predict_train_job {
    struct iot_train_opts t;    /* label, key, time, regimes, ... */
    struct iot_fit_opts f;      /* learner and cross-validation */
    const char *features;       /* --features TEXT|FILE or NULL (auto) */
    const char *model;          /* the model file to write */
    const char *tag;            /* --tag, or NULL */
    struct iot_predict_io io;
};

struct iot_predict_score_job {
    const char *model, *state;
    struct iot_score_opts s;
    bool unbuffered;            /* batch of 1 */
    struct iot_predict_io io;
};

/* Each returns the exit status (iot_diag_finish) or exits on a fatal error. */
int iot_predict_train(const struct iot_predict_train_job *j);
int iot_predict_score(const struct iot_predict_score_job *j);
int iot_predict_explain(const char *model);
/* The model card of MODEL as one JSON object on standard output. */
int iot_predict_info(const char *model);
#endif
