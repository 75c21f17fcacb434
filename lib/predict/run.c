#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/diag.h"
#include "core/in.h"
#include "core/out.h"
#include "model.h"
#include "run.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int iot_predict_train(const struct iot_predict_train_job *j)
{
    const double t0 = now_s();
    struct iot_trainset *ts = iot_trainset_new(&j->t, iot_train_spec(j->features));
    iot_trainset_read(ts, j->io.inputs, j->io.ninputs, j->io.max_line);
    iot_trainset_finish(ts);

    struct iot_trainset_rows d = iot_trainset_rows(ts);
    double threshold;
    json_t *metrics = iot_fit_cv(&j->f, d, iot_out_open("-", 0), &threshold);
    struct iot_learned L = iot_fit_learn(&j->f, d.X, d.n, d.p, d.y, "model");
    const struct iot_train_opts *o = &j->t;
    struct iot_model M = {
        .classify = o->classify, .label = (char *)o->label, .label_from = (char *)o->label_from,
        .reset_on = (char *)o->reset_on, .key = (char *)o->key, .time_field = (char *)o->time_field,
        .output = o->classify ? "failureProbability" : "rul", .horizon = o->horizon, .cap = o->cap,
        .threshold = threshold, .spec = (struct iot_featspec *)iot_trainset_spec(ts),
        .gbdt = L.g, .lin = L.l, .metrics = metrics, .data = iot_trainset_digest(ts),
        .tag = (char *)j->tag, .train_seconds = round((now_s() - t0) * 1000) / 1000,
    };
    iot_model_save(&M, j->model);
    iot_stat_add("training_rows", (int64_t)d.n);
    iot_stat_add("features", d.p);
    json_decref(metrics);
    json_decref(M.data);
    iot_fit_free(&L);
    iot_trainset_free(ts);
    return iot_diag_finish();
}

int iot_predict_score(const struct iot_predict_score_job *j)
{
    struct iot_model *m = iot_model_load(j->model);
    struct iot_score_opts so = j->s;
    so.batch = j->unbuffered ? 1 : 64;
    struct iot_scorer *sc = iot_scorer_new(m, &so);
    struct iot_out *o = iot_out_std();   /* opened first: the state commits with its length */
    const struct iot_commit cm = { o, j->io.inputs, j->io.ninputs };
    if (j->state)
        iot_scorer_state_load(sc, j->state, &cm);
    struct iot_in *in = iot_in_open(j->io.inputs, j->io.ninputs, j->io.max_line);
    iot_in_merge_by(in, m->time_field, so.time_unit);
    char *line;
    size_t len;
    struct iot_src src;
    for (;;) {
        /* the batch goes out when full or when the input has no complete line ready */
        if (iot_scorer_pending(sc) && (iot_scorer_full(sc) || iot_in_wait(in, 0) == 0))
            iot_scorer_flush(sc, o);
        if (iot_stop_requested || !iot_in_next(in, &line, &len, &src))
            break;
        iot_scorer_line(sc, o, line, len, &src);
    }
    iot_scorer_flush(sc, o);
    iot_in_close(in);
    iot_scorer_report(sc);
    if (j->state)
        iot_scorer_state_save(sc, j->state, &cm);
    int rc = iot_diag_finish();
    iot_scorer_free(sc);
    iot_model_free(m);
    return rc;
}

int iot_predict_explain(const char *model)
{
    struct iot_model *m = iot_model_load(model);
    iot_model_explain(m, iot_out_std());
    iot_model_free(m);
    return iot_diag_finish();
}

int iot_predict_info(const char *model)
{
    struct iot_model *m = iot_model_load(model);
    json_t *card = iot_model_card(m);
    char *txt = json_dumps(card, JSON_REAL_PRECISION(17) | JSON_COMPACT);
    struct iot_out *o = iot_out_std();
    iot_out_puts(o, txt);
    iot_out_eol(o);
    free(txt);
    json_decref(card);
    iot_model_free(m);
    return iot_diag_finish();
}
