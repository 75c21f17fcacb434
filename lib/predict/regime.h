/* regime: operating regimes for iot-predict (--regimes FIELD[,FIELD...]). The operating-setting
 * fields (load, speed setpoint, altitude/Mach/throttle...) are standardised by their training
 * mean and sd, then clustered by k-means (k-means++ seeding, Arthur & Vassilvitskii, SODA 2007;
 * Lloyd iterations). k is chosen by the silhouette coefficient (Rousseeuw, J. Comput. Appl. Math.
 * 20, 1987; https://scikit-learn.org/stable/modules/clustering.html#silhouette-coefficient):
 *
 *   k = the k in 2..16 with the largest mean silhouette on a seeded sample of the training
 *       rows, when that maximum is at least 0.7; otherwise k = 1 (one regime: the settings have
 *       no cluster structure, e.g. pure jitter around one operating point).
 *
 * Each regime keeps its centroid and radius (the largest distance of its training rows, in
 * standardised units). A value farther than max(3 × radius, 0.25) from its nearest centroid is
 * in no known regime: it is still given the nearest one and the caller counts it. */
#ifndef IOT_REGIME_H
#define IOT_REGIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define IOT_REGIME_MAX_K 16
#define IOT_REGIME_MIN_SILHOUETTE 0.7

struct iot_regimes {
    int nset;               /* setting fields */
    char **fields;          /* [nset] their paths (NULL-terminated) */
    double *mu, *sd;        /* [nset] standardisation of the settings (sd 1 when constant) */
    int k;                  /* regimes, 1..IOT_REGIME_MAX_K */
    double *cent;           /* [k * nset] centroids, standardised units, sorted */
    double *radius;         /* [k] largest distance of a training row to its centroid */
    int64_t *rows;          /* [k] training rows in each regime */
    double silhouette;      /* of the chosen k; NaN when k = 1 */
};

/* Fits regimes on n rows of raw settings X (n × nset, NaN = missing; rows with a missing
 * setting are left out). fields is copied. seed makes the sampling and seeding reproducible.
 * Returns NULL when no row has every setting. */
struct iot_regimes *iot_regimes_fit(char *const *fields, int nset, const double *X, size_t n,
                                    uint64_t seed);
/* The nearest regime of raw settings x[nset]; -1 when a setting is missing (NaN). *far is set
 * when x is in no known regime (beyond max(3 × radius, 0.25) of the nearest centroid). */
int iot_regimes_assign(const struct iot_regimes *R, const double *x, bool *far);
/* Exact JSON round trip (the model file). from_json: NULL with "what is wrong" in err. */
json_t *iot_regimes_to_json(const struct iot_regimes *R);
struct iot_regimes *iot_regimes_from_json(const json_t *j, char *err, size_t errcap);
void iot_regimes_free(struct iot_regimes *R);
#endif
