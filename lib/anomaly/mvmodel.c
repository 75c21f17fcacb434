/* mvmodel: baseline models for multivariate condition monitoring. See mvmodel.h. */
#include "mvmodel.h"
#include <float.h>
#include <math.h>
#include <string.h>
#include "core/state.h"

void iot_mvacc_init(struct iot_mvacc *a, int p)
{
    memset(a, 0, sizeof *a);
    a->p = p;
}

/* Welford: d = x − m (old mean); m += d/n; M += d (x − m_new)ᵀ (exact algebra, symmetric). */
void iot_mvacc_add(struct iot_mvacc *a, const double *x)
{
    int p = a->p;
    double d[IOT_MV_MAXF], e[IOT_MV_MAXF];
    if (a->n == 0) {
        memcpy(a->K, x, (size_t)p * sizeof *x);
    } else {
        for (int i = 0; i < p; i++) {
            a->sc[i] += x[i] - a->K[i];
            a->sp[i] += a->prev[i] - a->K[i];
        }
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
                a->L[i * p + j] += (x[i] - a->K[i]) * (a->prev[j] - a->K[j]);
    }
    memcpy(a->prev, x, (size_t)p * sizeof *x);
    a->n += 1;
    for (int i = 0; i < p; i++) {
        d[i] = x[i] - a->m[i];
        a->m[i] += d[i] / a->n;
        e[i] = x[i] - a->m[i];
    }
    for (int i = 0; i < p; i++)
        for (int j = 0; j < p; j++)
            a->M[i * p + j] += d[i] * e[j];
}

/* Cyclic Jacobi (Golub & Van Loan §8.5.3): rotate away each off-diagonal a_qr in turn, the
 * angle from the smaller root t of t² + 2θt − 1 = 0 with θ = (a_rr − a_qq)/(2 a_qr). */
int iot_jacobi_eigen(double *A, int n, double *w, double *V)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            V[i * n + j] = i == j;
    double norm = 0;
    for (int i = 0; i < n * n; i++)
        norm += A[i] * A[i];
    norm = sqrt(norm);
    int sweep;
    for (sweep = 0; sweep <= 100; sweep++) {
        double off = 0;
        for (int q = 0; q < n; q++)
            for (int r = q + 1; r < n; r++)
                off += 2 * A[q * n + r] * A[q * n + r];
        if (sqrt(off) <= 1e-12 * norm || off == 0)
            break;
        if (sweep == 100)
            return -1;
        for (int q = 0; q < n; q++)
            for (int r = q + 1; r < n; r++) {
                double aqr = A[q * n + r];
                if (aqr == 0) continue;
                double th = (A[r * n + r] - A[q * n + q]) / (2 * aqr);
                double t = (th >= 0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                A[q * n + q] -= t * aqr;
                A[r * n + r] += t * aqr;
                A[q * n + r] = A[r * n + q] = 0;
                for (int i = 0; i < n; i++) {
                    if (i != q && i != r) {
                        double aiq = A[i * n + q], air = A[i * n + r];
                        A[i * n + q] = A[q * n + i] = c * aiq - s * air;
                        A[i * n + r] = A[r * n + i] = s * aiq + c * air;
                    }
                    double viq = V[i * n + q], vir = V[i * n + r];
                    V[i * n + q] = c * viq - s * vir;
                    V[i * n + r] = s * viq + c * vir;
                }
            }
    }
    for (int i = 0; i < n; i++)
        w[i] = A[i * n + i];
    for (int i = 0; i < n; i++) {      /* selection sort, decreasing, columns along */
        int b = i;
        for (int j = i + 1; j < n; j++)
            if (w[j] > w[b]) b = j;
        if (b != i) {
            double t = w[i]; w[i] = w[b]; w[b] = t;
            for (int r = 0; r < n; r++) {
                t = V[r * n + i]; V[r * n + i] = V[r * n + b]; V[r * n + b] = t;
            }
        }
        int big = 0;                   /* sign: the largest |component| positive */
        for (int r = 1; r < n; r++)
            if (fabs(V[r * n + i]) > fabs(V[big * n + i])) big = r;
        if (V[big * n + i] < 0)
            for (int r = 0; r < n; r++)
                V[r * n + i] = -V[r * n + i];
    }
    return sweep;
}

/* ---- distributions ---- */

double iot_norm_quantile(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * (1 + fabs(lo)); i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2)) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Continued fraction of I_x(a, b) (DLMF 8.17.22), evaluated by the modified Lentz method
 * (Press et al., Numerical Recipes 3rd ed., §5.2 and §6.4). */
static double betacf(double x, double a, double b)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double f = d;
    for (int m = 1; m <= 1000; m++) {
        double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        for (int half = 0; half < 2; half++) {
            d = 1 + num * d;
            if (fabs(d) < tiny) d = tiny;
            c = 1 + num / c;
            if (fabs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (half == 1 && fabs(delta - 1) < 1e-15) return f;
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        }
    }
    return f;
}

double iot_betainc(double x, double a, double b)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lbt) * betacf(x, a, b) / a;
    return 1 - exp(lbt) * betacf(1 - x, b, a) / b;
}

double iot_f_quantile(double p, double d1, double d2)
{
    /* P(F ≤ f) = I_y(d1/2, d2/2), y = d1 f/(d1 f + d2): solve for y by bisection. */
    double lo = 0, hi = 1;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (iot_betainc(mid, d1 / 2, d2 / 2) < p) lo = mid;
        else hi = mid;
    }
    double y = 0.5 * (lo + hi);
    return d2 * y / (d1 * (1 - y));
}

/* Regularised lower incomplete gamma P(a, x): series, or the continued fraction of Q for
 * x ≥ a + 1 (Numerical Recipes §6.2). */
static double gammainc(double a, double x)
{
    if (x <= 0) return 0;
    double lpre = -x + a * log(x) - lgamma(a);
    if (x < a + 1) {
        double sum = 1 / a, term = sum;
        for (int n = 1; n < 10000; n++) {
            term *= x / (a + n);
            sum += term;
            if (fabs(term) < fabs(sum) * 1e-16) break;
        }
        return sum * exp(lpre);
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 10000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16) break;
    }
    return 1 - exp(lpre) * h;
}

double iot_chi2_quantile(double p, double k)
{
    double lo = 0, hi = k + 10;
    while (gammainc(k / 2, hi / 2) < p) hi *= 2;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (gammainc(k / 2, mid / 2) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ---- the model ---- */

int iot_mvmodel_fit(struct iot_mvmodel *mo, const struct iot_mvacc *a, double explained, double conf,
                    bool longrun)
{
    int p = a->p;
    memset(mo, 0, sizeof *mo);
    mo->p = p;
    mo->n = a->n;
    int idx[IOT_MV_MAXF], q = 0;
    for (int j = 0; j < p; j++) {
        mo->mean[j] = a->m[j];
        mo->sd[j] = a->n > 1 ? sqrt(a->M[j * p + j] / (a->n - 1)) : 0;
        double floor = 1e-9 * fmax(fabs(a->m[j]), 1);
        mo->used[j] = mo->sd[j] > floor;
        if (mo->used[j]) idx[q++] = j;
    }
    mo->q = q;
    if (q == 0 || a->n < q + 2)
        return -1;
    double R[IOT_MV_MAXF * IOT_MV_MAXF];
    for (int u = 0; u < q; u++)
        for (int v = 0; v < q; v++)
            R[u * q + v] = 0.5 * (a->M[idx[u] * p + idx[v]] + a->M[idx[v] * p + idx[u]]) /
                           ((a->n - 1) * mo->sd[idx[u]] * mo->sd[idx[v]]);   /* d eᵀ: symmetric up to rounding */
    if (iot_jacobi_eigen(R, q, mo->lambda, mo->P) < 0)
        return -2;
    double total = 0;
    for (int u = 0; u < q; u++) {
        if (mo->lambda[u] < 0) mo->lambda[u] = 0;   /* rounding below 0 */
        total += mo->lambda[u];
    }
    for (int u = 0; u < q; u++)
        mo->lrf[u] = 1;
    if (longrun && a->n > 2) {
        /* lag-1 autocovariance of the standardised fields, symmetrised; ρ_a = vᵀ C1 v / λ_a */
        double m1 = a->n - 1, C1[IOT_MV_MAXF * IOT_MV_MAXF];
        for (int u = 0; u < q; u++)
            for (int v = 0; v < q; v++) {
                int i = idx[u], jj = idx[v];
                double g = (a->L[i * p + jj] - a->sc[i] * a->sp[jj] / m1) / m1;
                double h = (a->L[jj * p + i] - a->sc[jj] * a->sp[i] / m1) / m1;
                C1[u * q + v] = 0.5 * (g + h) / (mo->sd[i] * mo->sd[jj]);
            }
        for (int c = 0; c < q; c++) {
            if (!(mo->lambda[c] > 1e-12 * mo->lambda[0])) continue;
            double r = 0;
            for (int u = 0; u < q; u++)
                for (int v = 0; v < q; v++)
                    r += mo->P[u * q + c] * C1[u * q + v] * mo->P[v * q + c];
            r /= mo->lambda[c];
            r = r < 0 ? 0 : r > 0.99 ? 0.99 : r;
            mo->lrf[c] = (1 + r) / (1 - r);
        }
    }
    double cum = 0;
    int k = 0;
    while (k < q) {
        cum += mo->lambda[k++];
        if (cum >= explained * total * (1 - 1e-12)) break;
    }
    while (k > 1 && mo->lambda[k - 1] <= 1e-10 * mo->lambda[0]) k--;   /* no null directions */
    mo->k = k;
    double n = a->n;
    mo->t2_limit = k * (n + 1) * (n - 1) / (n * (n - k)) * iot_f_quantile(conf, k, n - k);
    double th[4] = { 0, 0, 0, 0 };
    for (int u = k; u < q; u++)
        for (int i = 1; i <= 3; i++)
            th[i] += pow(mo->lambda[u] * mo->lrf[u], i);
    /* a residual of zero variance (k = q, or exactly collinear fields): any SPE above rounding
     * breaks the baseline's structure; the limit floors at 1e-9 of the total variance */
    double qfloor = 1e-9 * total;
    if (th[1] <= qfloor) {
        mo->q_limit = qfloor;
    } else {
        double h0 = 1 - 2 * th[1] * th[3] / (3 * th[2] * th[2]);
        if (h0 > 0) {
            double c = iot_norm_quantile(conf);
            mo->q_limit = th[1] * pow(c * sqrt(2 * th[2] * h0 * h0) / th[1] + 1 +
                                      th[2] * h0 * (h0 - 1) / (th[1] * th[1]), 1 / h0);
        } else {
            double g = th[2] / th[1], h = th[1] * th[1] / th[2];
            mo->q_limit = g * iot_chi2_quantile(conf, h);
        }
        if (!(mo->q_limit > qfloor)) mo->q_limit = qfloor;
    }
    return 0;
}

void iot_mvmodel_score(const struct iot_mvmodel *mo, const double *x, double *t2, double *spe,
                       double *contrib)
{
    int p = mo->p, q = mo->q, k = mo->k;
    double z[IOT_MV_MAXF], t[IOT_MV_MAXF], e[IOT_MV_MAXF];
    int idx[IOT_MV_MAXF], u = 0;
    for (int j = 0; j < p; j++)
        if (mo->used[j]) {
            idx[u] = j;
            z[u++] = (x[j] - mo->mean[j]) / mo->sd[j];
        }
    double T = 0;
    for (int a = 0; a < k; a++) {
        double s = 0;
        for (int v = 0; v < q; v++)
            s += mo->P[v * q + a] * z[v];
        t[a] = s;
        T += s * s / (mo->lambda[a] * mo->lrf[a]);
    }
    double Q = 0;
    for (int v = 0; v < q; v++) {
        double r = z[v];
        for (int a = 0; a < k; a++)
            r -= mo->P[v * q + a] * t[a];
        e[v] = r;
        Q += r * r;
    }
    *t2 = T;
    *spe = Q;
    if (!contrib) return;
    double sum = 0;
    for (int j = 0; j < p; j++)
        contrib[j] = 0;
    for (int v = 0; v < q; v++) {
        double d = 0;      /* (P Λ^-1/2 t)_v */
        for (int a = 0; a < k; a++)
            d += mo->P[v * q + a] * t[a] / sqrt(mo->lambda[a] * mo->lrf[a]);
        double c = d * d / mo->t2_limit + e[v] * e[v] / mo->q_limit;
        contrib[idx[v]] = c;
        sum += c;
    }
    if (sum > 0)
        for (int j = 0; j < p; j++)
            contrib[j] /= sum;
}

/* ---- JSON ---- */

static json_t *reals(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, iot_json_real(v[i]));
    return a;
}

static int get_reals(const json_t *j, const char *key, double *v, int n)
{
    const json_t *a = json_object_get(j, key);
    if (!json_is_array(a) || json_array_size(a) != (size_t)n) return -1;
    for (int i = 0; i < n; i++) {
        const json_t *e = json_array_get(a, (size_t)i);
        if (!json_is_number(e)) return -1;
        v[i] = json_number_value(e);
        if (!isfinite(v[i])) return -1;
    }
    return 0;
}

json_t *iot_mvmodel_save(const struct iot_mvmodel *mo)
{
    json_t *used = json_array();
    for (int j = 0; j < mo->p; j++)
        json_array_append_new(used, json_boolean(mo->used[j]));
    return json_pack("{s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "p", mo->p, "k", mo->k,
                     "n", iot_json_real(mo->n), "used", used, "mean", reals(mo->mean, mo->p),
                     "sd", reals(mo->sd, mo->p), "lambda", reals(mo->lambda, mo->q), "lrf", reals(mo->lrf, mo->q),
                     "P", reals(mo->P, mo->q * mo->q), "t2Limit", iot_json_real(mo->t2_limit),
                     "qLimit", iot_json_real(mo->q_limit));
}

int iot_mvmodel_load(struct iot_mvmodel *mo, int p, const json_t *j)
{
    memset(mo, 0, sizeof *mo);
    const json_t *used = json_object_get(j, "used");
    if (!json_is_object(j) || json_integer_value(json_object_get(j, "p")) != p || p < 1 || p > IOT_MV_MAXF ||
        !json_is_array(used) || json_array_size(used) != (size_t)p)
        return -1;
    mo->p = p;
    for (int i = 0; i < p; i++) {
        const json_t *u = json_array_get(used, (size_t)i);
        if (!json_is_boolean(u)) return -1;
        mo->used[i] = json_is_true(u);
        mo->q += mo->used[i];
    }
    json_int_t k = json_integer_value(json_object_get(j, "k"));
    if (!json_is_integer(json_object_get(j, "k")) || k < 1 || k > mo->q) return -1;
    mo->k = (int)k;
    mo->n = iot_json_get_real(j, "n", NAN);
    mo->t2_limit = iot_json_get_real(j, "t2Limit", NAN);
    mo->q_limit = iot_json_get_real(j, "qLimit", NAN);
    if (!(mo->n >= mo->q + 2) || !(mo->t2_limit > 0) || !(mo->q_limit > 0) || !isfinite(mo->t2_limit) ||
        !isfinite(mo->q_limit))
        return -1;
    if (get_reals(j, "mean", mo->mean, p) || get_reals(j, "sd", mo->sd, p) ||
        get_reals(j, "lambda", mo->lambda, mo->q) || get_reals(j, "lrf", mo->lrf, mo->q) || get_reals(j, "P", mo->P, mo->q * mo->q))
        return -1;
    for (int i = 0; i < p; i++)
        if (mo->used[i] && !(mo->sd[i] > 0)) return -1;
    for (int a = 0; a < mo->k; a++)
        if (!(mo->lambda[a] > 0)) return -1;
    for (int a = 0; a < mo->q; a++)
        if (!(mo->lrf[a] >= 1)) return -1;
    return 0;
}

json_t *iot_mvacc_save(const struct iot_mvacc *a)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n", iot_json_real(a->n),
                     "mean", reals(a->m, a->p), "scatter", reals(a->M, a->p * a->p), "first", reals(a->K, a->p),
                     "prev", reals(a->prev, a->p), "sumCur", reals(a->sc, a->p), "sumPrev", reals(a->sp, a->p),
                     "lag1", reals(a->L, a->p * a->p));
}

int iot_mvacc_load(struct iot_mvacc *a, int p, const json_t *j)
{
    iot_mvacc_init(a, p);
    a->n = iot_json_get_real(j, "n", NAN);
    if (!(a->n >= 0) || get_reals(j, "mean", a->m, p) || get_reals(j, "scatter", a->M, p * p) ||
        get_reals(j, "first", a->K, p) || get_reals(j, "prev", a->prev, p) || get_reals(j, "sumCur", a->sc, p) ||
        get_reals(j, "sumPrev", a->sp, p) || get_reals(j, "lag1", a->L, p * p))
        return -1;
    return 0;
}
