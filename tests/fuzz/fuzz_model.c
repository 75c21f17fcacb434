/* libFuzzer target: the model loader (lib/predict/model, iot-predict score/explain -m). The input
 * is a model file, parsed as iot_model_load does (jansson, then iot_model_from_json, which
 * refuses with a reason and never exits). A model it accepts must work as scoring uses it: the
 * feature state is stepped over a few events (iot_feat_update for every group the spec has),
 * each feature row is predicted, the importances are written, and the model written back
 * (iot_model_to_json) loads again and predicts the same bits. `make fuzz`. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "core/out.h"
#include "predict/feature.h"
#include "predict/model.h"

static int same(double a, double b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct iot_out *o;
    if (!o) o = iot_out_open("/dev/null", 0);
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, 0, &je);
    if (!j) return 0;
    char err[256] = "";
    struct iot_model *m = iot_model_from_json(j, err, sizeof err);
    json_decref(j);
    if (!m) {
        if (!err[0]) abort();       /* a refusal always says why */
        return 0;
    }
    const struct iot_featspec *s = m->spec;
    json_t *back = iot_model_to_json(m);
    char err2[256] = "";
    struct iot_model *m2 = iot_model_from_json(back, err2, sizeof err2);
    json_decref(back);
    if (!m2) {
        fprintf(stderr, "a model written back does not load: %s\n", err2);
        abort();
    }
    double *x = calloc((size_t)s->nfields + 1, sizeof *x);
    float *row = calloc((size_t)s->nfeat + 1, sizeof *row);
    for (int g = 0; g < s->ngroups && g < 8; g++) {
        struct iot_featstate *st = iot_featstate_new(s);
        static const double v[] = { 0, 21.5, NAN, -1e300, 1e-310, 5 };
        for (int e = 0; e < 6; e++) {
            for (int f = 0; f < s->nfields; f++) x[f] = v[(e + f) % 6];
            iot_feat_update(s, st, (int64_t)e * 60000000000, x, g, row);
            if (e == 3) iot_featstate_reset(s, st, (int64_t)e * 60000000000);
            double p1 = iot_model_predict(m, row), p2 = iot_model_predict(m2, row);
            if (!same(p1, p2)) {
                fprintf(stderr, "prediction differs after a round trip: %.17g vs %.17g\n", p1, p2);
                abort();
            }
        }
        json_decref(iot_featstate_to_json(s, st));
        iot_featstate_free(st);
    }
    iot_model_explain(m, o);
    iot_out_flush(o);
    free(x);
    free(row);
    iot_model_free(m2);
    iot_model_free(m);
    return 0;
}
