/* mvmodel: the linear algebra of multivariate condition monitoring (iot-anomaly -m t2): a
 * Welford mean/scatter accumulator, a cyclic Jacobi eigen-solver for symmetric matrices, and a
 * PCA model of a healthy baseline with Hotelling T² in the retained components and the squared
 * prediction error (SPE, Q) in the residual space, each with its control limit, and per-field
 * contributions.
 * Sources: Welford (1962), see en.wikipedia.org/wiki/Algorithms_for_calculating_variance;
 * Jacobi: Golub & Van Loan, Matrix Computations, 4th ed., §8.5 (cyclic Jacobi, the rotation
 * with the smaller root); T² limits: NIST/SEMATECH e-Handbook §6.5.4.3
 * (www.itl.nist.gov/div898/handbook/pmc/section5/pmc543.htm), Tracy, Young & Mason (1992);
 * SPE limit: Jackson & Mudholkar, Technometrics 21 (1979) 341, as in SAS/QC MVPMONITOR
 * "Computing SPE control limits" (support.sas.com/documentation/cdl/en/qcug/67522/HTML/default/
 * qcug_mvpmonitor_details02.htm); contributions: Alcala & Qin, Automatica 45 (2009) 1593. */
#ifndef IOT_MVMODEL_H
#define IOT_MVMODEL_H
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#define IOT_MV_MAXF 32            /* at most this many fields in one model */

/* Running mean and scatter matrix M = Σ (x − m)(x − m)ᵀ of p-vectors (Welford), and the lag-1
 * cross products of consecutive rows, shifted by the first row K for accuracy:
 * L = Σ_{t≥2} (x_t − K)(x_{t−1} − K)ᵀ, sc = Σ_{t≥2} (x_t − K), sp = Σ_{t≥2} (x_{t−1} − K). */
struct iot_mvacc {
    int p;
    double n;
    double m[IOT_MV_MAXF];
    double M[IOT_MV_MAXF * IOT_MV_MAXF];   /* row-major p×p (only p*p used) */
    double K[IOT_MV_MAXF], prev[IOT_MV_MAXF], sc[IOT_MV_MAXF], sp[IOT_MV_MAXF];
    double L[IOT_MV_MAXF * IOT_MV_MAXF];
};
void iot_mvacc_init(struct iot_mvacc *a, int p);
void iot_mvacc_add(struct iot_mvacc *a, const double *x);

/* Eigen-decomposition of the symmetric n×n matrix A (row-major, destroyed): eigenvalues w in
 * decreasing order, eigenvectors in the columns of V (row-major n×n), each with its largest
 * |component| positive. Returns the number of sweeps, or -1 if it did not converge in 100. */
int iot_jacobi_eigen(double *A, int n, double *w, double *V);

/* Quantiles: standard normal, F(d1, d2) and χ²(k) (k > 0 need not be an integer); 0 < p < 1. */
double iot_norm_quantile(double p);
double iot_f_quantile(double p, double d1, double d2);
double iot_chi2_quantile(double p, double k);
/* The regularised incomplete beta function I_x(a, b). */
double iot_betainc(double x, double a, double b);

/* A fitted model over the fields f with used[f] (constant ones are dropped). */
struct iot_mvmodel {
    int p;                        /* fields given */
    int q;                        /* fields used (non-constant in the baseline) */
    int k;                        /* retained components */
    double n;                     /* baseline rows */
    bool used[IOT_MV_MAXF];
    double mean[IOT_MV_MAXF], sd[IOT_MV_MAXF];   /* per given field */
    double lambda[IOT_MV_MAXF];   /* eigenvalues of the correlation matrix of the used fields */
    double lrf[IOT_MV_MAXF];      /* per component: long-run variance factor (1+ρ)/(1−ρ), or 1 */
    double P[IOT_MV_MAXF * IOT_MV_MAXF];  /* q×q eigenvectors, row-major, columns by lambda */
    double t2_limit, q_limit;     /* control limits at the model's confidence */
};

/* Fits from a baseline: standardise (n − 1 divisor), drop fields whose sd is 0 (or below
 * 1e-9·max(|mean|, 1)), eigen-decompose the correlation matrix, keep the smallest k whose
 * explained variance reaches `explained` (0..1], limits at confidence conf (e.g. 0.999):
 * T²: k(n+1)(n−1)/(n(n−k)) F_conf(k, n−k) (Phase II, new rows); SPE: Jackson–Mudholkar
 * (Box's g·χ²(h) if its h0 ≤ 0). longrun: each component's variance λ_a is taken as its long-run
 * variance λ_a(1+ρ_a)/(1−ρ_a), ρ_a the lag-1 autocorrelation of its scores in the baseline
 * (clamped to [0, 0.99]): the AR(1) spectral density at frequency 0, so that a slow component
 * whose baseline shows only part of its wandering does not alarm when it wanders (T², the SPE
 * limit and the contributions use it). Returns 0, -1 if fewer than q + 2 rows or no field varies,
 * -2 if the eigen-solver failed. */
int iot_mvmodel_fit(struct iot_mvmodel *mo, const struct iot_mvacc *a, double explained, double conf,
                    bool longrun);

/* Scores x[0..p): T² in the k retained components, SPE, and contrib[0..p): each given field's
 * share (≥ 0, sum 1 when anything moved; 0 for dropped fields) of T²/t2_limit + SPE/q_limit,
 * with the complete T² decomposition (P Λ^-1/2 t)_j² and the SPE part e_j². */
void iot_mvmodel_score(const struct iot_mvmodel *mo, const double *x, double *t2, double *spe,
                       double *contrib);

/* JSON with every double exact; load returns 0 or -1 (malformed / does not fit p). */
json_t *iot_mvmodel_save(const struct iot_mvmodel *mo);
int iot_mvmodel_load(struct iot_mvmodel *mo, int p, const json_t *j);
json_t *iot_mvacc_save(const struct iot_mvacc *a);
int iot_mvacc_load(struct iot_mvacc *a, int p, const json_t *j);
#endif
