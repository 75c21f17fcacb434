/* Unit tests for lib/anomaly/mvmodel: Welford scatter, Jacobi, quantiles, and T²/SPE against a
 * hand computation on 8 rows of 3 fields (x̄ = (13.5, 27, 6.75); S with det 100/343; the
 * correlation eigenvalues and Jackson–Mudholkar limit computed independently). */
#include "unit.h"
#include "anomaly/mvmodel.h"

static const double rows[8][3] = { { 10, 20, 5 }, { 11, 22, 5 }, { 12, 23, 6 }, { 13, 27, 6 },
                                   { 14, 28, 7 }, { 15, 30, 8 }, { 16, 31, 8 }, { 17, 35, 9 } };

static void test_welford(struct iot_mvacc *a)
{
    iot_mvacc_init(a, 3);
    for (int i = 0; i < 8; i++) iot_mvacc_add(a, rows[i]);
    CHECK_NEAR(a->m[0], 13.5, 1e-12, "mean x1");
    CHECK_NEAR(a->m[1], 27, 1e-12, "mean x2");
    CHECK_NEAR(a->m[2], 6.75, 1e-12, "mean x3");
    /* S = M/7 = [[6, 86/7, 25/7], [86/7, 180/7, 51/7], [25/7, 51/7, 31/14]] */
    CHECK_NEAR(a->M[0] / 7, 6, 1e-12, "S11");
    CHECK_NEAR(a->M[1] / 7, 86.0 / 7, 1e-12, "S12");
    CHECK_NEAR(a->M[3 + 1] / 7, 180.0 / 7, 1e-12, "S22");
    CHECK_NEAR(a->M[6 + 2] / 7, 31.0 / 14, 1e-12, "S33");
    CHECK_NEAR(a->M[2], a->M[6], 1e-12, "scatter symmetric");
}

static void test_jacobi(void)
{
    /* [[2,1],[1,2]]: eigenvalues 3 and 1, vectors (1,1)/√2 and (1,−1)/√2 up to sign */
    double A[4] = { 2, 1, 1, 2 }, w[2], V[4];
    CHECK(iot_jacobi_eigen(A, 2, w, V) >= 0, "jacobi 2x2 converges");
    CHECK_NEAR(w[0], 3, 1e-14, "lambda1 = 3");
    CHECK_NEAR(w[1], 1, 1e-14, "lambda2 = 1");
    CHECK_NEAR(fabs(V[0]), sqrt(0.5), 1e-14, "v1 = (1,1)/sqrt2");
    CHECK_NEAR(V[0] * V[1] + V[2] * V[3], 0, 1e-14, "eigenvectors orthogonal");
    /* diag(1, 5, 3) already diagonal: sorted 5, 3, 1 */
    double B[9] = { 1, 0, 0, 0, 5, 0, 0, 0, 3 }, w3[3], V3[9];
    CHECK(iot_jacobi_eigen(B, 3, w3, V3) == 0, "diagonal: no sweep");
    CHECK(w3[0] == 5 && w3[1] == 3 && w3[2] == 1, "sorted decreasing");
    CHECK(V3[0 * 3 + 2] == 1 && V3[1 * 3 + 0] == 1, "vectors follow the sort");
}

static void test_quantiles(void)
{
    CHECK_NEAR(iot_norm_quantile(0.975), 1.959963984540054, 1e-9, "z 0.975");
    CHECK_NEAR(iot_norm_quantile(0.99), 2.326347874040841, 1e-9, "z 0.99");
    CHECK_NEAR(iot_chi2_quantile(0.99, 3), 11.344866730144373, 1e-7, "chi2 0.99 (3)");
    CHECK_NEAR(iot_chi2_quantile(0.95, 1), 3.841458820694124, 1e-7, "chi2 0.95 (1)");
    CHECK_NEAR(iot_f_quantile(0.95, 2, 10), 4.102821015130399, 1e-7, "F 0.95 (2, 10)");
    CHECK_NEAR(iot_betainc(0.5, 2, 2), 0.5, 1e-14, "I_0.5(2,2) = 0.5");
    CHECK_NEAR(iot_betainc(0.3, 1, 1), 0.3, 1e-14, "I_x(1,1) = x");
}

static void test_model(const struct iot_mvacc *a)
{
    struct iot_mvmodel m;
    CHECK(iot_mvmodel_fit(&m, a, 0.85, 0.99, false) == 0, "fit");
    CHECK(m.q == 3 && m.k == 1, "85%% explained keeps k = 1 of 3");
    CHECK_NEAR(m.sd[1], 5.070926, 1e-6, "sd x2");
    CHECK_NEAR(m.lambda[0], 2.956336, 1e-6, "lambda1");
    CHECK_NEAR(m.lambda[1], 0.035542, 1e-6, "lambda2");
    CHECK_NEAR(m.lambda[2], 0.008122, 1e-6, "lambda3");
    CHECK_NEAR(m.P[0], 0.579821, 1e-6, "v1[0]");
    CHECK_NEAR(m.P[3], 0.577030, 1e-6, "v1[1]");
    CHECK_NEAR(m.q_limit, 0.255643, 1e-6, "Q limit, Jackson-Mudholkar 0.99");
    CHECK_NEAR(m.t2_limit, 13.777181, 1e-5, "T2 limit, F form, k = 1");
    const double A[3] = { 14, 29, 7 }, B[3] = { 12, 31, 9 };
    double t2, spe, c[3];
    iot_mvmodel_score(&m, A, &t2, &spe, c);
    CHECK_NEAR(t2, 0.066255, 1e-6, "A: T2_k");
    CHECK_NEAR(spe, 0.029576, 1e-6, "A: SPE");
    iot_mvmodel_score(&m, B, &t2, &spe, c);
    CHECK_NEAR(t2, 0.318146, 1e-6, "B: T2_k inside its limit");
    CHECK_NEAR(spe, 2.342967, 1e-6, "B: SPE beyond its limit");
    /* shares of T2/limit + SPE/limit: e^2 = (1.379903, 0.052531, 0.910533), CDC = 0.318146 v1^2 */
    double cdc[3] = { 0.318146 * 0.579821 * 0.579821, 0.318146 * 0.577030 * 0.577030,
                      0.318146 * 0.575191 * 0.575191 };
    double e2[3] = { 1.379903, 0.052531, 0.910533 }, w[3], s = 0;
    for (int j = 0; j < 3; j++) s += w[j] = cdc[j] / 13.777181 + e2[j] / 0.255643;
    CHECK_NEAR(c[0], w[0] / s, 1e-5, "B: x1's share");
    CHECK_NEAR(c[2], w[2] / s, 1e-5, "B: x3's share");
    CHECK(c[0] > c[2] && c[2] > c[1], "B: x1 then x3 moved, not x2");
    /* full model (k = p): Hotelling T2 on z-scores equals T2 on raw data (229.67) */
    struct iot_mvmodel f;
    CHECK(iot_mvmodel_fit(&f, a, 1.0, 0.99, false) == 0 && f.k == 3, "fit, all components");
    iot_mvmodel_score(&f, B, &t2, &spe, NULL);
    CHECK_NEAR(t2, 229.67, 1e-8, "B: full-space T2 = 22967/100");
    iot_mvmodel_score(&f, A, &t2, &spe, NULL);
    CHECK_NEAR(t2, 1.75, 1e-10, "A: full-space T2 = 7/4");
    CHECK_NEAR(spe, 0, 1e-20, "no residual space: SPE 0");
    /* round trip */
    json_t *j = iot_mvmodel_save(&m);
    struct iot_mvmodel r;
    CHECK(iot_mvmodel_load(&r, 3, j) == 0, "model loads");
    CHECK(memcmp(r.P, m.P, sizeof r.P) == 0 && r.q_limit == m.q_limit && r.k == m.k, "model round trip exact");
    CHECK(iot_mvmodel_load(&r, 4, j) < 0, "model of 3 fields refused for 4");
    json_object_set_new(j, "k", json_integer(0));
    CHECK(iot_mvmodel_load(&r, 3, j) < 0, "k = 0 refused");
    json_decref(j);
}

static void test_constant(void)
{
    struct iot_mvacc a;
    iot_mvacc_init(&a, 3);
    for (int i = 0; i < 8; i++) {
        double x[3] = { rows[i][0], 42, rows[i][2] };
        iot_mvacc_add(&a, x);
    }
    struct iot_mvmodel m;
    CHECK(iot_mvmodel_fit(&m, &a, 0.85, 0.99, false) == 0, "fit with a constant field");
    CHECK(m.q == 2 && !m.used[1] && m.used[0] && m.used[2], "constant field dropped");
    double t2, spe, c[3], x[3] = { 12, 1000, 9 };
    iot_mvmodel_score(&m, x, &t2, &spe, c);
    CHECK(c[1] == 0, "dropped field has no share");
    iot_mvacc_init(&a, 2);
    double one[2] = { 1, 2 };
    iot_mvacc_add(&a, one);
    iot_mvacc_add(&a, one);
    CHECK(iot_mvmodel_fit(&m, &a, 0.85, 0.99, false) == -1, "nothing varies: no model");
}

/* --limits longrun: each component's lag-1 autocorrelation from the accumulator's lag sums
 * equals the one computed directly from the baseline's scores; T² divides by λ(1+ρ)/(1−ρ). */
static void test_longrun(const struct iot_mvacc *a)
{
    struct iot_mvmodel m, iid;
    CHECK(iot_mvmodel_fit(&m, a, 0.85, 0.99, true) == 0, "fit, long-run variances");
    CHECK(iot_mvmodel_fit(&iid, a, 0.85, 0.99, false) == 0 && iid.lrf[0] == 1, "iid: factor 1");
    double u[8], uc = 0, up = 0;
    for (int i = 0; i < 8; i++) {
        u[i] = 0;
        for (int j = 0; j < 3; j++)
            u[i] += m.P[j * 3 + 0] * (rows[i][j] - m.mean[j]) / m.sd[j];
    }
    for (int i = 1; i < 8; i++) { uc += u[i] / 7; up += u[i - 1] / 7; }
    double c = 0;
    for (int i = 1; i < 8; i++) c += (u[i] - uc) * (u[i - 1] - up) / 7;
    double rho = c / m.lambda[0];
    CHECK(rho > 0.3 && rho < 0.99, "a rising baseline: its first component is autocorrelated (%g)", rho);
    CHECK_NEAR(m.lrf[0], (1 + rho) / (1 - rho), 1e-9, "factor (1+rho)/(1-rho) from the lag sums");
    double t2, spe, t2i, spei;
    const double B[3] = { 12, 31, 9 };
    iot_mvmodel_score(&m, B, &t2, &spe, NULL);
    iot_mvmodel_score(&iid, B, &t2i, &spei, NULL);
    CHECK_NEAR(t2, t2i / m.lrf[0], 1e-12, "T2 over the long-run variance");
    CHECK(spe == spei && m.q_limit >= iid.q_limit, "SPE the same, its limit not narrower (%g, %g; factors %g %g)",
          m.q_limit, iid.q_limit, m.lrf[1], m.lrf[2]);
    /* alternating rows: negative autocorrelation is clamped to 0 (factor 1) */
    struct iot_mvacc alt;
    iot_mvacc_init(&alt, 2);
    for (int i = 0; i < 20; i++) {
        double x[2] = { i % 2 ? 1 : -1, (i % 4 < 2) ? 1 : -1 };
        iot_mvacc_add(&alt, x);
    }
    CHECK(iot_mvmodel_fit(&m, &alt, 0.5, 0.99, true) == 0 && m.lrf[0] >= 1 && m.lrf[0] < 1.5, "alternating: no inflation");
}

int main(void)
{
    struct iot_mvacc a;
    test_welford(&a);
    test_jacobi();
    test_quantiles();
    test_model(&a);
    test_constant();
    test_longrun(&a);
    return unit_done();
}
