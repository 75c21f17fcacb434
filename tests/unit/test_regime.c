/* Unit tests of operating regimes: k chosen by the silhouette rule (six jittered conditions give
 * six regimes, pure jitter gives one), assignment, far values, missing settings, and the per-regime
 * standardisation round-tripping exactly through the model's JSON. */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "core/rng.h"
#include "predict/feature.h"
#include "predict/model.h"
#include "predict/regime.h"

static const double COND[6][3] = { { 0, 0.00, 100 }, { 10, 0.25, 100 }, { 20, 0.70, 100 },
                                   { 25, 0.62, 60 }, { 35, 0.84, 100 }, { 42, 0.84, 100 } };
static char *FIELDS[] = { "alt", "mach", "tra", NULL };

/* n rows of settings: condition c[i] drawn at random, jitter as in the C-MAPSS files */
static double *settings(size_t n, int nc, int *c, struct iot_rng *g)
{
    double *X = malloc(n * 3 * sizeof *X);
    for (size_t i = 0; i < n; i++) {
        c[i] = nc == 1 ? 0 : (int)iot_rng_below(g, 6);
        X[i * 3 + 0] = COND[c[i]][0] + 0.008 * iot_rng_uniform(g);
        X[i * 3 + 1] = COND[c[i]][1] + 0.002 * iot_rng_uniform(g);
        X[i * 3 + 2] = COND[c[i]][2];
    }
    return X;
}

static json_t *roundtrip(json_t *j)
{
    char *t = json_dumps(j, JSON_REAL_PRECISION(17) | JSON_COMPACT);
    json_t *back = json_loads(t, 0, NULL);
    free(t);
    return back;
}

int main(void)
{
    struct iot_rng g;
    iot_rng_seed(&g, 5, 0);
    const size_t n = 6000;
    int *c = malloc(n * sizeof *c);
    double *X = settings(n, 6, c, &g);
    struct iot_regimes *R = iot_regimes_fit(FIELDS, 3, X, n, 1);
    CHECK(R && R->k == 6, "six jittered conditions: k = 6 (got %d)", R ? R->k : -1);
    CHECK(R && R->silhouette > 0.95, "silhouette near 1 (%.4f)", R ? R->silhouette : NAN);
    /* the partition is the conditions: one regime per condition, every row */
    int map[6] = { -1, -1, -1, -1, -1, -1 }, bad = 0, used[16] = { 0 };
    for (size_t i = 0; i < n; i++) {
        bool far;
        int r = iot_regimes_assign(R, X + i * 3, &far);
        if (far || r < 0) bad++;
        else if (map[c[i]] < 0) { map[c[i]] = r; if (used[r]++) bad++; }
        else if (map[c[i]] != r) bad++;
    }
    CHECK(bad == 0, "every training row in the regime of its condition, none far (%d wrong)", bad);
    /* numbering is stable: centroids in lexicographic order, so condition 0 (sea level) is 0 */
    CHECK(map[0] == 0 && map[5] == 5, "regimes numbered by their settings (%d, %d)", map[0], map[5]);
    long total = 0;
    for (int r = 0; r < R->k; r++) total += (long)R->rows[r];
    CHECK(total == (long)n, "rows per regime add up (%ld)", total);

    /* far and missing */
    bool far;
    double near[3] = { 20.004, 0.701, 100 }, off[3] = { 30, 0.5, 80 }, miss[3] = { 20, NAN, 100 };
    CHECK(iot_regimes_assign(R, near, &far) == map[2] && !far, "a new value of a known condition");
    int r = iot_regimes_assign(R, off, &far);
    CHECK(r >= 0 && far, "an unknown operating point: nearest regime, flagged far");
    CHECK(iot_regimes_assign(R, miss, &far) == -1 && !far, "a missing setting: no regime");

    /* exact JSON round trip */
    json_t *j = iot_regimes_to_json(R), *back = roundtrip(j);
    char err[128] = "";
    struct iot_regimes *R2 = iot_regimes_from_json(back, err, sizeof err);
    CHECK(R2 && R2->k == R->k && R2->nset == 3, "regimes from JSON (%s)", err);
    int same = R2 != NULL;
    for (int q = 0; same && q < R->k * 3; q++) same = R->cent[q] == R2->cent[q];
    for (int q = 0; same && q < 3; q++) same = R->mu[q] == R2->mu[q] && R->sd[q] == R2->sd[q];
    CHECK(same, "centroids and setting scales are exact after the round trip");
    json_t *j2 = iot_regimes_to_json(R2);
    CHECK(json_equal(j, j2), "to_json(from_json(x)) == x");
    json_decref(j2); json_decref(back); json_decref(j);
    json_t *broken = json_pack("{s:[s],s:[]}", "fields", "a", "regimes");
    CHECK(!iot_regimes_from_json(broken, err, sizeof err), "malformed regimes refused (%s)", err);
    json_decref(broken);
    iot_regimes_free(R2);

    /* one operating point with jitter: no cluster structure, one regime */
    int *c1 = malloc(n * sizeof *c1);
    double *X1 = settings(n, 1, c1, &g);
    struct iot_regimes *R1 = iot_regimes_fit(FIELDS, 3, X1, n, 1);
    CHECK(R1 && R1->k == 1 && isnan(R1->silhouette), "pure jitter: k = 1 (got %d)", R1 ? R1->k : -1);
    iot_regimes_free(R1);
    struct iot_regimes *Rs = iot_regimes_fit(FIELDS, 3, X, n, 1);
    json_t *ja = iot_regimes_to_json(R), *jb = iot_regimes_to_json(Rs);
    CHECK(json_equal(ja, jb), "same data and seed: the same regimes");
    json_decref(ja); json_decref(jb);
    iot_regimes_free(Rs);

    /* per-regime standardisation of a sensor x = 10 * condition + noise, through the spec's JSON */
    char e2[128];
    struct iot_featspec *s = iot_featspec_parse("raw(x)", e2, sizeof e2);
    s->standardize = true;
    s->regimes = R;
    double *x = malloc(n * sizeof *x), sum[6] = { 0 }, ss[6] = { 0 }, cnt[6] = { 0 };
    const char **gk = malloc(n * sizeof *gk);
    char keys[6][16];
    for (int q = 0; q < 6; q++) iot_featspec_regime_key(q, keys[q]);
    for (size_t i = 0; i < n; i++) {
        x[i] = 10 * c[i] + iot_rng_normal(&g);
        int rr = iot_regimes_assign(R, X + i * 3, &far);
        gk[i] = keys[rr];
        sum[rr] += x[i]; ss[rr] += x[i] * x[i]; cnt[rr]++;
    }
    iot_featspec_fit(s, x, n, gk, NULL);
    iot_featspec_set_regimes(s, R);
    json_t *sj = iot_featspec_to_json(s), *sb = roundtrip(sj);
    struct iot_featspec *s2 = iot_featspec_from_json(sb, e2, sizeof e2);
    CHECK(s2 && s2->regimes && s2->regimes->k == 6, "the spec keeps its regimes through JSON");
    int ok = s2 != NULL;
    for (int q = 0; ok && q < 6; q++) {
        int g1 = iot_featspec_regime_group(s, q), g2 = iot_featspec_regime_group(s2, q);
        double m = sum[q] / cnt[q], sd = sqrt((ss[q] - cnt[q] * m * m) / (cnt[q] - 1));
        ok = g1 > 0 && g1 == g2 && s->gmean[g1] == s2->gmean[g2] && s->gsd[g1] == s2->gsd[g2] &&
             fabs(s->gmean[g1] - m) < 1e-9 && fabs(s->gsd[g1] - sd) < 1e-6;
    }
    CHECK(ok, "regime r: mean and sd of its training rows, exact after the round trip");
    /* the same raw value becomes the same z-score through both specs */
    struct iot_featstate *st1 = iot_featstate_new(s), *st2 = iot_featstate_new(s2);
    float f1, f2;
    double v = 31.5;
    int g1 = iot_featspec_regime_group(s, map[3]);
    iot_feat_update(s, st1, 0, &v, g1, &f1);
    iot_feat_update(s2, st2, 0, &v, iot_featspec_regime_group(s2, map[3]), &f2);
    CHECK(f1 == f2 && fabs(f1 - (v - s->gmean[g1]) / s->gsd[g1]) < 1e-5, "scoring a value of regime 3: %g", f1);
    CHECK(iot_featspec_regime_group(s2, -1) == 0, "no regime: the global statistics");
    iot_featstate_free(st1); iot_featstate_free(st2);

    /* through the model file itself: save, load, the same regime and z-score */
    struct iot_linmodel *lm = iot_linmodel_alloc(1, false);
    lm->mean[0] = 0; lm->sd[0] = 1; lm->w[0] = 1; lm->b = 0;
    struct iot_model M = { .label = "y", .key = "deviceId", .time_field = "timestamp",
                           .output = "rul", .cap = NAN, .threshold = NAN, .spec = s, .lin = lm,
                           .train_seconds = NAN };
    char path[] = "/tmp/test_regime_model_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temp file");
    close(fd);
    iot_model_save(&M, path);
    struct iot_model *L = iot_model_load(path);
    unlink(path);
    const struct iot_featspec *ls = L->spec;
    ok = ls->regimes && ls->regimes->k == R->k;
    for (int q = 0; ok && q < R->k * 3; q++) ok = ls->regimes->cent[q] == R->cent[q];
    for (int q = 0; ok && q < R->k; q++) ok = ls->regimes->radius[q] == R->radius[q];
    CHECK(ok, "the model file keeps the regimes exactly");
    ok = true;
    for (size_t i = 0; ok && i < n; i += 97) {
        bool far1, far2;
        int a = iot_regimes_assign(R, X + i * 3, &far1), b = iot_regimes_assign(ls->regimes, X + i * 3, &far2);
        float z1, z2;
        struct iot_featstate *u1 = iot_featstate_new(s), *u2 = iot_featstate_new(ls);
        iot_feat_update(s, u1, 0, &x[i], iot_featspec_regime_group(s, a), &z1);
        iot_feat_update(ls, u2, 0, &x[i], iot_featspec_regime_group(ls, b), &z2);
        ok = a == b && far1 == far2 && z1 == z2;
        iot_featstate_free(u1); iot_featstate_free(u2);
    }
    CHECK(ok, "after save and load: the same regime and the same standardised value per row");
    iot_model_free(L);
    iot_linmodel_free(lm);
    json_decref(sj); json_decref(sb);
    iot_featspec_free(s2);
    iot_featspec_free(s);       /* frees R too */
    free(x); free(gk); free(X); free(c); free(X1); free(c1);
    return unit_done();
}
