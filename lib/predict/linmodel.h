/* linmodel: linear models on standardised features with an L2 penalty: logistic regression
 * (Newton–Raphson / IRLS) for classification, ridge regression for regression. Missing
 * features (NaN) are imputed with the training mean (0 after standardisation). */
#ifndef IOT_LINMODEL_H
#define IOT_LINMODEL_H
#include <stdbool.h>
#include <stddef.h>

struct iot_linmodel {
    int p;
    bool logistic;
    double *mean, *sd;      /* [p] standardisation of the inputs */
    double *w;              /* [p] weights on standardised inputs */
    double b;               /* intercept (not penalised) */
};

/* Trains on X (n × p floats, row-major) and y (0/1 when logistic). l2 >= 0 is the penalty on
 * the weights (objective: mean loss + l2/2·|w|² ). Returns NULL with *err on bad input or a
 * singular system. Deterministic. */
struct iot_linmodel *iot_linmodel_train(const float *X, size_t n, int p, const double *y,
                                        bool logistic, double l2, const char **err);
/* Allocates an empty model of p inputs (for loading). */
struct iot_linmodel *iot_linmodel_alloc(int p, bool logistic);
/* Probability (logistic) or value of one row. */
double iot_linmodel_predict(const struct iot_linmodel *m, const float *x);
void iot_linmodel_free(struct iot_linmodel *m);
#endif
