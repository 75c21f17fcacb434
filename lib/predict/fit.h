/* fit: iot-predict's learners behind one call (gradient-boosted trees or a linear model), the
 * grouped k-fold cross-validation with its report, and the decision threshold. */
#ifndef IOT_FIT_H
#define IOT_FIT_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "gbdt.h"
#include "linmodel.h"
#include "core/out.h"
#include "train.h"

struct iot_fit_opts {
    bool classify;              /* log loss / logistic, else squared loss / ridge */
    bool linear;                /* linear model instead of trees */
    bool progress;              /* tree progress on standard error when it is a terminal */
    bool l2_set;
    double l2;                  /* with l2_set: gbdt lambda, linear penalty (default 0.01) */
    struct iot_gbdt_params gp;  /* loss is set from classify */
    int folds;                  /* 0 = no cross-validation, else >= 2 */
    double threshold;           /* classify: NaN = the best F1 of the cross-validation, else 0.5 */
};

/* Exactly one of g and l is set. */
struct iot_learned { struct iot_gbdt *g; struct iot_linmodel *l; };

/* Fits one learner on n rows; what names it in the progress line. Exits 65 when the data
 * cannot be fitted. */
struct iot_learned iot_fit_learn(const struct iot_fit_opts *o, const float *X, size_t n, int p,
                                 const double *y, const char *what);
double iot_fit_predict(const struct iot_learned *L, const float *x);
void iot_fit_free(struct iot_learned *L);

/* Grouped k-fold cross-validation over the training rows (a key never in two folds; fewer keys
 * than folds: one fold per key, or none with one key, with a warning unless -q). Writes one
 * JSON line per fold and one for all (RMSE, MAE or AUC, precision, recall, F1 at the
 * threshold) to rep. Returns the metrics object {folds, overall} (empty without CV; a new
 * reference) and the decision threshold in *threshold. */
json_t *iot_fit_cv(const struct iot_fit_opts *o, struct iot_trainset_rows d, struct iot_out *rep,
                   double *threshold);
#endif
