/* cv: grouped k-fold assignment and the metrics of iot-predict (RMSE, MAE, AUC, precision,
 * recall, F1). */
#ifndef IOT_CV_H
#define IOT_CV_H
#include <stddef.h>
#include <stdint.h>

/* Assigns each of ngroups groups (rows[g] rows each) to one of k folds so that no group is split:
 * groups in a seeded random order, each to the fold with the fewest rows so far (ties: lowest
 * fold). Writes fold[g] in 0..k-1. Deterministic for a seed. */
void iot_cv_folds(const size_t *rows, int ngroups, int k, uint64_t seed, int *fold);

double iot_metric_rmse(const double *y, const double *p, size_t n);
double iot_metric_mae(const double *y, const double *p, size_t n);
/* Area under the ROC curve of scores p for labels y (0/1), ties counted half
 * (Mann–Whitney U / (n1·n0)). NaN when one class is absent. */
double iot_metric_auc(const double *y, const double *p, size_t n);

struct iot_cls_metrics { double precision, recall, f1; size_t tp, fp, fn, tn; };
/* Positive when p >= thr. Undefined ratios (0/0) are 0. */
struct iot_cls_metrics iot_metric_cls(const double *y, const double *p, size_t n, double thr);
/* The threshold among the scores that maximises F1 (ties: the higher threshold); 0.5 when no
 * positive label exists. */
double iot_best_f1_threshold(const double *y, const double *p, size_t n);
#endif
