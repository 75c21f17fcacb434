/* tune: iot-predict's hyperparameter search. Random search (Bergstra & Bengio, "Random search
 * for hyper-parameter optimization", JMLR 13, 2012) over trees, depth, learning rate and the
 * ewm feature span, each trial scored by the grouped k-fold cross-validation of train (a key is
 * never in two folds). The first trial is the defaults; the others are drawn without repetition
 * from a fixed grid by a generator seeded with --seed, so the same data, seed and number of
 * trials give the same table and the same model. The search starts no trial once the budget
 * has passed (or after --trials). One JSON line per trial on standard output, then the best;
 * the best is fitted on every row and written as the model. */
#ifndef IOT_TUNE_H
#define IOT_TUNE_H
#include <stdint.h>
#include "run.h"

struct iot_tune_job {
    struct iot_predict_train_job base;  /* as train; base.f.folds >= 2 */
    int64_t budget;                     /* ns of wall clock; trials start only before it */
    int trials;                         /* at most this many (0 = until the budget) */
};

int iot_predict_tune(const struct iot_tune_job *j);
#endif
