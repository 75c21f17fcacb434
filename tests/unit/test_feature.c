/* Unit tests of the streaming features: each kind against a direct computation over the
 * history, resets, standardisation, health index, spec parsing and exact state round trips. */
#include <stdlib.h>
#include "unit.h"
#include "predict/feature.h"
#include "core/rng.h"

#define NS 1000000000LL
#define DAY (86400.0 * NS)

/* direct least-squares slope of x over t (days) on indices [a, b) of the history */
static double direct_slope(const double *t, const double *x, int a, int b)
{
    double mt = 0, mx = 0, n = 0;
    for (int i = a; i < b; i++) if (!isnan(x[i])) { mt += t[i]; mx += x[i]; n++; }
    if (n < 2) return NAN;
    mt /= n; mx /= n;
    double stt = 0, stx = 0;
    for (int i = a; i < b; i++) if (!isnan(x[i])) { stt += (t[i] - mt) * (t[i] - mt); stx += (t[i] - mt) * (x[i] - mx); }
    return stt > 0 ? stx / stt : NAN;
}

static int same(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-5 * fmax(1, fabs(b));   /* features are floats */
}

int main(void)
{
    char err[200];

    /* ---- parsing ---- */
    struct iot_featspec *s = iot_featspec_parse(
        "raw(v), ewm(v, 0.3), mean(v,3), std(v,3), min(v,3), max(v,3), slope(v,3), "
        "mean(v,2h), std(v,2h), slope(v,2h), xmean(v), xslope(v), count, hour, dow, since_reset",
        err, sizeof err);
    CHECK(s != NULL, "spec parses");
    CHECK(s && s->nfeat == 16 && s->nfields == 1, "16 features over 1 field");
    CHECK_STR(s ? s->feat[1].name : NULL, "ewm(v,0.3)", "canonical ewm name");
    CHECK_STR(s ? s->feat[7].name : NULL, "mean(v,2h)", "canonical duration window");
    const char *bad[] = { "foo(v)", "ewm(v)", "ewm(v,2)", "mean(v,abc)", "count(v)", "raw(v",
                          "raw()", "raw(v),,count", "xslope(v,3)", "mean(v,0)" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct iot_featspec *b = iot_featspec_parse(bad[i], err, sizeof err);
        CHECK(b == NULL && err[0], "refused: %s (%s)", bad[i], err);
        iot_featspec_free(b);
    }

    /* ---- each feature against a direct computation over a random history ---- */
    enum { N = 300 };
    double t[N], x[N];
    int64_t tn[N];
    struct iot_rng r;
    iot_rng_seed(&r, 42, 0);
    int64_t now = 1795719205LL * NS;
    for (int i = 0; i < N; i++) {
        now += (int64_t)(iot_rng_uniform(&r) * 40 * 60) * NS;      /* gaps 0..40 min */
        tn[i] = now;
        t[i] = (double)now / DAY;
        x[i] = iot_rng_uniform(&r) < 0.1 ? NAN : 50 + 0.02 * i + iot_rng_normal(&r);
    }
    struct iot_featstate *st = iot_featstate_new(s);
    float out[16];
    int bad_at[16] = { 0 };
    int reset_at = 200;
    for (int i = 0; i < N; i++) {
        if (i == reset_at)
            iot_featstate_reset(s, st, tn[i] - NS);
        iot_feat_update(s, st, tn[i], &x[i], 0, out);
        int from = i >= reset_at ? reset_at : 0;
        /* ewm over non-missing values since the start */
        double ew = NAN;
        for (int k = 0; k <= i; k++) if (!isnan(x[k])) ew = isnan(ew) ? x[k] : 0.3 * x[k] + 0.7 * ew;
        /* last 3 non-missing events */
        int idx[3], m = 0;
        for (int k = i; k >= 0 && m < 3; k--) if (!isnan(x[k])) idx[m++] = k;
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        for (int q = 0; q < m; q++) { sum += x[idx[q]]; mn = fmin(mn, x[idx[q]]); mx = fmax(mx, x[idx[q]]); }
        double mean3 = m ? sum / m : NAN, ss = 0;
        for (int q = 0; q < m; q++) ss += (x[idx[q]] - mean3) * (x[idx[q]] - mean3);
        double std3 = m > 1 ? sqrt(ss / (m - 1)) : NAN;
        double tt[3], xx[3];
        for (int q = 0; q < m; q++) { tt[q] = t[idx[q]]; xx[q] = x[idx[q]]; }
        double slope3 = direct_slope(tt, xx, 0, m);
        /* 2 h window (t - 2h, t] */
        double s2 = 0, n2 = 0, q2 = 0;
        int a2 = i;
        while (a2 > 0 && tn[a2 - 1] > tn[i] - 2 * 3600 * NS) a2--;
        for (int k = a2; k <= i; k++) if (!isnan(x[k])) { s2 += x[k]; n2++; }
        double mean2h = n2 ? s2 / n2 : NAN;
        for (int k = a2; k <= i; k++) if (!isnan(x[k])) q2 += (x[k] - mean2h) * (x[k] - mean2h);
        double std2h = n2 > 1 ? sqrt(q2 / (n2 - 1)) : NAN;
        double slope2h = direct_slope(t, x, a2, i + 1);
        /* expanding since reset */
        double xs = 0, xn = 0;
        for (int k = from; k <= i; k++) if (!isnan(x[k])) { xs += x[k]; xn++; }
        double xmean = xn ? xs / xn : NAN, xslope = direct_slope(t, x, from, i + 1);
        double cnt = i - from + 1;
        int64_t hour = (tn[i] / NS / 3600) % 24, days = tn[i] / NS / 86400;
        double dow = (double)((days + 3) % 7 + 1);
        double since = i >= reset_at ? (double)(tn[i] - (tn[reset_at] - NS)) / DAY : NAN;
        double want[16] = { x[i], ew, mean3, std3, mn == INFINITY ? NAN : mn, mx == -INFINITY ? NAN : mx,
                            slope3, mean2h, std2h, slope2h, xmean, xslope, cnt, (double)hour, dow, since };
        for (int f = 0; f < 16; f++)
            if (!same(out[f], want[f]) && !bad_at[f]) {
                bad_at[f] = i + 1;
                printf("# %s at %d: got %.9g want %.9g\n", s->feat[f].name, i, out[f], want[f]);
            }
    }
    for (int f = 0; f < 16; f++)
        CHECK(!bad_at[f], "%s matches the direct computation", s->feat[f].name);

    /* hour and day of week of a known instant: 2026-11-26T18:53:25Z is a Thursday */
    {
        struct iot_featspec *h = iot_featspec_parse("hour,dow", err, sizeof err);
        struct iot_featstate *hs = iot_featstate_new(h);
        float o[2];
        iot_feat_update(h, hs, 1795719205LL * NS, NULL, 0, o);
        CHECK(o[0] == 18 && o[1] == 4, "hour 18, ISO weekday 4 (got %g %g)", o[0], o[1]);
        iot_featstate_free(hs);
        iot_featspec_free(h);
    }

    /* ---- state round trip: stop half way, serialise, restore, continue: identical ---- */
    {
        struct iot_featstate *a = iot_featstate_new(s), *b = iot_featstate_new(s);
        float oa[16], ob[16];
        int diff = 0;
        for (int i = 0; i < N; i++) {
            if (i == N / 2) {
                json_t *j = iot_featstate_to_json(s, b);
                char *txt = json_dumps(j, JSON_REAL_PRECISION(17));
                json_t *back = json_loads(txt, 0, NULL);
                iot_featstate_free(b);
                b = iot_featstate_new(s);
                int rc = iot_featstate_from_json(s, b, back);
                CHECK(rc == 0, "state loads");
                json_decref(j); json_decref(back); free(txt);
            }
            if (i == reset_at) {
                iot_featstate_reset(s, a, tn[i]);
                iot_featstate_reset(s, b, tn[i]);
            }
            iot_feat_update(s, a, tn[i], &x[i], 0, oa);
            iot_feat_update(s, b, tn[i], &x[i], 0, ob);
            if (memcmp(oa, ob, sizeof oa) != 0 && !diff++)
                for (int f = 0; f < 16; f++)
                    if (memcmp(&oa[f], &ob[f], sizeof *oa))
                        printf("# %d %s: %.9g vs %.9g\n", i, s->feat[f].name, oa[f], ob[f]);
        }
        CHECK(diff == 0, "restored state gives bit-identical features");
        json_t *junk = json_pack("{s:i}", "count", 3);
        int rc = iot_featstate_from_json(s, a, junk);
        CHECK(rc == -1, "malformed state refused");
        json_decref(junk);
        iot_featstate_free(a); iot_featstate_free(b);
    }
    iot_featstate_free(st);

    /* a column of a feature-major batch (scoring) gets the same values as a row (training) */
    {
        struct iot_featstate *a = iot_featstate_new(s), *b = iot_featstate_new(s);
        float oa[16], col[16 * 5];
        int same = 1;
        for (int i = 0; i < N; i++) {
            iot_feat_update(s, a, tn[i], &x[i], 0, oa);
            iot_feat_update_strided(s, b, tn[i], &x[i], 0, col + i % 5, 5);
            for (int f = 0; f < s->nfeat; f++)
                same &= memcmp(&oa[f], &col[f * 5 + i % 5], sizeof *oa) == 0;
        }
        CHECK(same, "strided (feature-major) update equals the row update bit for bit");
        iot_featstate_free(a); iot_featstate_free(b);
    }

    /* spec JSON round trip keeps the names */
    {
        json_t *j = iot_featspec_to_json(s);
        struct iot_featspec *s2 = iot_featspec_from_json(j, err, sizeof err);
        int ok = s2 && s2->nfeat == s->nfeat;
        for (int i = 0; ok && i < s->nfeat; i++) ok = strcmp(s2->feat[i].name, s->feat[i].name) == 0;
        CHECK(ok, "spec JSON round trip");
        json_decref(j);
        iot_featspec_free(s2);
        json_t *bj = json_pack("{s:[s]}", "features", "ewm(v)");
        CHECK(iot_featspec_from_json(bj, err, sizeof err) == NULL, "bad spec JSON refused");
        json_decref(bj);
    }
    iot_featspec_free(s);

    /* ---- standardisation per group and the health index ---- */
    {
        char *fields[] = { "a", "b", "c" };
        struct iot_featspec *h = iot_featspec_auto(fields, 3, true, true);
        CHECK(h->nfeat == 3 * 4 + 2, "auto: raw, ewm, xslope per field and health, count, since_reset");
        CHECK_STR(h->feat[1].name, "ewm(a,0.1)", "auto ewm name");
        CHECK_STR(h->feat[9].name, "raw(health)", "auto health channel");
        bool keep[3] = { true, true, false };
        iot_featspec_prune(h, keep);
        CHECK(h->nfields == 2 && h->nfeat == 2 * 3 + 3 + 2, "prune drops field c and its features");
        h->ngroupby = 1;
        h->groupby = malloc(sizeof *h->groupby);
        h->groupby[0] = strdup("mode");
        enum { M = 400 };
        double X[M * 2];
        const char *gk[M];
        for (int i = 0; i < M; i++) {
            double u = iot_rng_normal(&r);
            gk[i] = i % 2 ? "hot" : "cold";
            double off = i % 2 ? 100 : 0;
            X[2 * i] = off + 10 + 2 * u;          /* a and b move together: one component */
            X[2 * i + 1] = off + 5 + 3 * u;
        }
        double sd[2];
        iot_featspec_fit(h, X, M, gk, sd);
        CHECK(h->ngroups == 3, "global group plus two groups");
        int hot = iot_featspec_group(h, "hot", 3), unseen = iot_featspec_group(h, "x", 1);
        CHECK(hot > 0 && unseen == 0, "group lookup, unseen falls back to global");
        double m = 0;
        for (int i = 1; i < M; i += 2) m += X[2 * i];
        m /= M / 2;
        CHECK_NEAR(h->gmean[hot * 2], m, 1e-9, "group mean");
        CHECK(sd[0] > 40, "global sd spans both groups");
        CHECK_NEAR(h->pcw[0], sqrt(0.5), 1e-6, "health weight a = 1/sqrt 2");
        CHECK_NEAR(h->pcw[1], sqrt(0.5), 1e-6, "health weight b = 1/sqrt 2");
        struct iot_featstate *hs = iot_featstate_new(h);
        float o[11];
        double row[2] = { 100 + 10 + 2, 100 + 5 + 3 };   /* one group-sd above the hot mean */
        iot_feat_update(h, hs, 0, row, hot, o);
        double za = (row[0] - h->gmean[hot * 2]) / h->gsd[hot * 2];
        CHECK_NEAR(o[0], za, 1e-5, "raw(a) standardised within its group");
        CHECK_NEAR(o[6], za * sqrt(0.5) + (row[1] - h->gmean[hot * 2 + 1]) / h->gsd[hot * 2 + 1] * sqrt(0.5),
                   1e-5, "health = weights · z");
        json_t *j = iot_featspec_to_json(h);
        struct iot_featspec *h2 = iot_featspec_from_json(j, err, sizeof err);
        CHECK(h2 && h2->ngroups == 3 && h2->gsd[hot * 2] == h->gsd[hot * 2] && h2->pcw[1] == h->pcw[1],
              "fitted spec round trip is exact");
        json_decref(j);
        iot_featspec_free(h2);
        iot_featstate_free(hs);
        iot_featspec_free(h);
    }
    return unit_done();
}
