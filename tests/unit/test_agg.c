/* Unit tests for lib/window/agg.c: parsing, exact moments, percentiles, merge equivalence, JSON. */
#include <stdlib.h>
#include "window/agg.h"
#include "unit.h"

static struct iot_agg_state *mk(const struct iot_aggset *s)
{
    struct iot_agg_state *st = malloc(iot_agg_size(s));
    iot_agg_init(s, st);
    return st;
}
static void add1(const struct iot_aggset *s, struct iot_agg_state *st, double v, int64_t t)
{
    struct iot_agg_in in[4] = { { 1, v, (uint64_t)(v * 1000) } };
    for (int i = 1; i < s->nfields; i++) in[i] = in[0];
    iot_agg_add(s, st, in, t);
}
static double val(const struct iot_aggset *s, struct iot_agg_state *st, const char *name, int *isnull)
{
    for (int i = 0; i < s->nitems; i++)
        if (strcmp(s->items[i].name, name) == 0) {
            double v = 0;
            *isnull = iot_agg_value(s, st, i, &v);
            return v;
        }
    *isnull = 2;
    return 0;
}

/* Every item of a and b: same null-ness and the same bits. */
static int same_values(const struct iot_aggset *s, struct iot_agg_state *a, struct iot_agg_state *b)
{
    for (int i = 0; i < s->nitems; i++) {
        double x = 0, y = 0;
        int nx = iot_agg_value(s, a, i, &x), ny = iot_agg_value(s, b, i, &y);
        if (nx != ny || (!nx && memcmp(&x, &y, sizeof x) != 0)) {
            printf("# %s: %.17g vs %.17g\n", s->items[i].name, x, y);
            return 0;
        }
    }
    return 1;
}
/* A state through its JSON text and back (as --emit partial and state files carry it). */
static struct iot_agg_state *via_json(const struct iot_aggset *s, const struct iot_agg_state *st)
{
    json_t *j = iot_agg_to_json(s, st);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_t *j2 = json_loads(txt, 0, NULL);
    struct iot_agg_state *r = mk(s);
    if (iot_agg_from_json(s, r, j2)) printf("# from_json failed: %s\n", txt);
    json_decref(j); json_decref(j2); free(txt);
    return r;
}

/* Adversarial splits: one pass, reversed, every record alone merged left to right, right to
 * left and as a tree, every record through JSON: all bit-identical. */
static int splits_agree(const struct iot_aggset *s, const double *x, int n)
{
    struct iot_agg_state *one = mk(s), *rev = mk(s), *left = mk(s), *right = mk(s), *viaj = mk(s);
    struct iot_agg_state **alone = malloc((size_t)n * sizeof *alone);
    for (int i = 0; i < n; i++) {
        add1(s, one, x[i], i);
        add1(s, rev, x[n - 1 - i], n - 1 - i);
        alone[i] = mk(s);
        add1(s, alone[i], x[i], i);
    }
    for (int i = 0; i < n; i++) iot_agg_merge(s, left, alone[i]);
    for (int i = n - 1; i >= 0; i--) iot_agg_merge(s, right, alone[i]);
    for (int i = 0; i < n; i++) {
        struct iot_agg_state *r = via_json(s, alone[i]);
        iot_agg_merge(s, viaj, r);
        iot_agg_free(s, r); free(r);
    }
    for (int w = 1; w < n; w *= 2)          /* pairwise tree */
        for (int i = 0; i + w < n; i += 2 * w) iot_agg_merge(s, alone[i], alone[i + w]);
    struct iot_agg_state *back = via_json(s, one);
    int ok = same_values(s, one, rev) && same_values(s, one, left) && same_values(s, one, right) &&
             same_values(s, one, alone[0]) && same_values(s, one, viaj) && same_values(s, one, back);
    struct iot_agg_state *all[] = { one, rev, left, right, viaj, back };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) { iot_agg_free(s, all[i]); free(all[i]); }
    for (int i = 0; i < n; i++) { iot_agg_free(s, alone[i]); free(alone[i]); }
    free(alone);
    return ok;
}

int main(void)
{
    struct iot_aggset s;
    char err[200];
    int null;

    /* CHECK evaluates its condition twice: calls with effects go outside it */
    int rc = iot_aggset_parse("count(),avg(x),min(x) as lo,max(x),stdev(x),stdevp(x),var(x),varp(x),sum(x),"
                              "first(x),last(x),range(x),median(x),p95(x),pd95(x),dcount(x),rate(x),p99.9(x)",
                              &s, err, sizeof err);
    CHECK(rc == 0, "parse a full spec");
    CHECK(s.nfields == 1 && s.nitems == 18, "one field, 18 items");
    CHECK_STR(s.items[2].name, "lo", "as NAME");
    CHECK_STR(s.items[1].name, "avg_x", "default name");
    CHECK_STR(s.items[17].name, "p99_9_x", "p99.9 name");
    CHECK_NEAR(s.items[17].p, 0.999, 1e-12, "p99.9 rank");

    struct iot_aggset bad;
    rc = iot_aggset_parse("avg()", &bad, err, sizeof err);
    CHECK(rc == -1, "avg() needs a field");
    rc = iot_aggset_parse("foo(x)", &bad, err, sizeof err);
    CHECK(rc == -1 && strstr(err, "unknown"), "unknown aggregate");
    rc = iot_aggset_parse("avg(x),avg(x)", &bad, err, sizeof err);
    CHECK(rc == -1, "duplicate names refused");
    rc = iot_aggset_parse("avg(x", &bad, err, sizeof err);
    CHECK(rc == -1, "missing paren");
    rc = iot_aggset_parse("p101(x)", &bad, err, sizeof err);
    CHECK(rc == -1, "percentile above 100 refused");

    /* ASA percentile vector: {0.98, 0.93, 0.78, 0.99, 0.89}, p = 0.95 */
    double v[] = { 0.78, 0.89, 0.93, 0.98, 0.99 };
    CHECK_NEAR(iot_pct_cont(v, 5, 0.95), 0.988, 1e-12, "PERCENTILE_CONT(0.95) = 0.988");
    CHECK(iot_pct_disc(v, 5, 0.95) == 0.99, "PERCENTILE_DISC(0.95) = 0.99");
    CHECK(iot_pct_disc(v, 5, 0.4) == 0.89, "PERCENTILE_DISC(0.4) = 0.89 (cume_dist 2/5)");
    CHECK(iot_pct_cont(v, 5, 0) == 0.78 && iot_pct_cont(v, 5, 1) == 0.99, "p0 and p100 are the extremes");

    struct iot_agg_state *a = mk(&s);
    double xs[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    for (int i = 0; i < 8; i++) add1(&s, a, xs[i], 1000000000LL * (i + 1));
    CHECK(val(&s, a, "count", &null) == 8, "count");
    CHECK(val(&s, a, "avg_x", &null) == 5, "avg exact");
    CHECK(val(&s, a, "stdevp_x", &null) == 2, "stdevp of the textbook set = 2");
    CHECK_NEAR(val(&s, a, "var_x", &null), 32.0 / 7, 1e-15, "sample variance 32/7");
    CHECK(val(&s, a, "sum_x", &null) == 40, "sum");
    CHECK(val(&s, a, "range_x", &null) == 7, "range");
    CHECK(val(&s, a, "median_x", &null) == 4.5, "median interpolated");
    CHECK(val(&s, a, "dcount_x", &null) == 5, "distinct values");
    CHECK(val(&s, a, "first_x", &null) == 2 && val(&s, a, "last_x", &null) == 9, "first/last by time");
    CHECK_NEAR(val(&s, a, "rate_x", &null), 1.0, 1e-15, "rate = (9-2)/7s");

    struct iot_agg_state *one = mk(&s);
    add1(&s, one, 3, 0);
    val(&s, one, "stdev_x", &null);
    CHECK(null == -1, "stdev of one value is null");
    CHECK(val(&s, one, "stdevp_x", &null) == 0 && null == 0, "stdevp of one value is 0");
    val(&s, one, "rate_x", &null);
    CHECK(null == -1, "rate of one point is null");
    struct iot_agg_state *empty = mk(&s);
    val(&s, empty, "avg_x", &null);
    CHECK(null == -1, "avg of nothing is null");
    CHECK(val(&s, empty, "count", &null) == 0 && null == 0, "count of nothing is 0");

    /* catastrophic cancellation: large offset, tiny spread */
    struct iot_agg_state *c = mk(&s);
    for (int i = 0; i < 1000; i++) add1(&s, c, 1e9 + (i % 2 ? 0.5 : -0.5), i);
    CHECK_NEAR(val(&s, c, "varp_x", &null), 0.25, 1e-9, "variance survives a 1e9 offset");

    /* merge in any order equals one pass, bit for bit */
    struct iot_agg_state *all = mk(&s), *p1 = mk(&s), *p2 = mk(&s), *p3 = mk(&s);
    srand(42);
    for (int i = 0; i < 3000; i++) {
        double x = 20 + (rand() % 100000) / 3333.0;
        add1(&s, all, x, i);
        add1(&s, i % 3 == 0 ? p1 : i % 3 == 1 ? p2 : p3, x, i);
    }
    struct iot_agg_state *m = mk(&s);
    iot_agg_merge(&s, m, p3);
    iot_agg_merge(&s, m, p1);
    iot_agg_merge(&s, m, p2);
    int same = 1;
    for (int i = 0; i < s.nitems; i++) {
        double x, y;
        int nx = iot_agg_value(&s, all, i, &x), ny = iot_agg_value(&s, m, i, &y);
        if (nx != ny || (!nx && x != y)) { same = 0; printf("# differs: %s %.17g %.17g\n", s.items[i].name, x, y); }
    }
    CHECK(same, "merge of 3 interleaved shards in another order == one pass (every aggregate, bitwise)");

    /* JSON round trip */
    json_t *j = iot_agg_to_json(&s, all);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_t *j2 = json_loads(txt, 0, NULL);
    struct iot_agg_state *r = mk(&s);
    rc = iot_agg_from_json(&s, r, j2);
    CHECK(rc == 0, "state reads back");
    same = 1;
    for (int i = 0; i < s.nitems; i++) {
        double x, y;
        int nx = iot_agg_value(&s, all, i, &x), ny = iot_agg_value(&s, r, i, &y);
        if (nx != ny || (!nx && x != y)) same = 0;
    }
    CHECK(same, "JSON round trip is exact");
    json_t *broken = json_pack("{sIs[]}", "rows", (json_int_t)1, "f");
    iot_agg_free(&s, r);
    rc = iot_agg_from_json(&s, r, broken);
    CHECK(rc == -1, "foreign state refused");
    json_decref(broken); json_decref(j); json_decref(j2); free(txt);

    struct iot_agg_state *sts[] = { a, one, empty, c, all, p1, p2, p3, m, r };
    for (size_t i = 0; i < sizeof sts / sizeof *sts; i++) { iot_agg_free(&s, sts[i]); free(sts[i]); }
    iot_aggset_free(&s);

    /* countif: the condition text is a slot of its own, kind 2 when true */
    CHECK(iot_aggset_parse("countif(a > (1 + 2) && b == \")\"),count(a),countif(a > 1) as c2", &s, err, sizeof err) == 0,
          "countif with nested parentheses and a quoted ')' parses");
    CHECK(s.nfields == 3 && iot_aggset_cond(&s, 0) && !iot_aggset_cond(&s, 1) && iot_aggset_cond(&s, 2),
          "countif conditions are slots apart from the field a");
    CHECK_STR(s.fields[0], "a > (1 + 2) && b == \")\"", "condition text kept");
    CHECK_STR(s.items[0].name, "countif", "default name countif");
    CHECK(iot_agg_is_count(&s, 0), "countif is a count");
    {
        struct iot_agg_state *st = mk(&s);
        struct iot_agg_in in[3] = { { 2, 0, 0 }, { 1, 5, 0 }, { 0, 0, 0 } };
        iot_agg_add(&s, st, in, 1);
        in[0].kind = 0;
        iot_agg_add(&s, st, in, 2);
        double cv;
        CHECK(iot_agg_value(&s, st, 0, &cv) == 0 && cv == 1, "countif counts true rows only");
        CHECK(iot_agg_value(&s, st, 2, &cv) == 0 && cv == 0, "countif never true is 0, not null");
        iot_agg_free(&s, st); free(st);
    }
    iot_aggset_free(&s);
    CHECK(iot_aggset_parse("countif(a > 1", &s, err, sizeof err) == -1, "unbalanced countif refused");

    /* remove undoes add for counts and moments */
    CHECK(iot_aggset_parse("count(),sum(x),avg(x),stdev(x),count(x)", &s, err, sizeof err) == 0, "parse for remove");
    {
        struct iot_agg_state *run = mk(&s), *fresh = mk(&s);
        double ys[] = { 1e8 + 0.1, 3.7, -2.25, 1e-3, 42, 7.5, 1e8 - 0.3, 0.2 };
        for (int i = 0; i < 8; i++) add1(&s, run, ys[i], i);
        for (int i = 0; i < 5; i++) {
            struct iot_agg_in in[1] = { { 1, ys[i], 0 } };
            iot_agg_remove(&s, run, in);
        }
        for (int i = 5; i < 8; i++) add1(&s, fresh, ys[i], i);
        int eq = 1;
        for (int i = 0; i < s.nitems; i++) {
            double x1, x2;
            int ra = iot_agg_value(&s, run, i, &x1), rb = iot_agg_value(&s, fresh, i, &x2);
            eq &= ra == rb && (ra || x1 == x2);
        }
        CHECK(eq, "add 8, remove the first 5 == add the last 3 (bit for bit)");
        iot_agg_free(&s, run); free(run); iot_agg_free(&s, fresh); free(fresh);
    }
    iot_aggset_free(&s);
    /* exact sums and spreads (issue 11 item 4) */
    CHECK(iot_aggset_parse("sum(x),avg(x),stdev(x),stdevp(x),var(x),varp(x),count(x)", &s, err, sizeof err) == 0,
          "parse for exactness");
    {
        double c01[] = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 }, c147[] = { 1.47, 1.47, 1.47, 1.47, 1.47, 1.47 };
        const double *cs[] = { c01, c147 };
        for (int k = 0; k < 2; k++) {
            struct iot_agg_state *a1 = mk(&s), *h1 = mk(&s), *h2 = mk(&s);
            for (int i = 0; i < 6; i++) { add1(&s, a1, cs[k][i], i); add1(&s, i < 3 ? h1 : h2, cs[k][i], i); }
            iot_agg_merge(&s, h1, h2);
            CHECK(val(&s, a1, "stdev_x", &null) == 0 && null == 0 && val(&s, a1, "varp_x", &null) == 0,
                  "six readings of %g: stdev and varp exactly 0", cs[k][0]);
            CHECK(val(&s, h1, "stdev_x", &null) == 0 && same_values(&s, a1, h1),
                  "six readings of %g split 3 + 3 and merged: stdev 0, every value identical", cs[k][0]);
            CHECK(val(&s, a1, "avg_x", &null) == cs[k][0], "avg of six readings of %g is %g", cs[k][0], cs[k][0]);
            iot_agg_free(&s, a1); iot_agg_free(&s, h1); iot_agg_free(&s, h2); free(a1); free(h1); free(h2);
        }
        double big[] = { 1e300, 1e-300, -1e300, 3.5, -3.5 };
        struct iot_agg_state *b = mk(&s);
        for (int i = 0; i < 5; i++) add1(&s, b, big[i], i);
        CHECK(val(&s, b, "sum_x", &null) == 1e-300, "1e300 + 1e-300 - 1e300 + 3.5 - 3.5 = 1e-300 exactly");
        iot_agg_free(&s, b); free(b);
        CHECK(splits_agree(&s, c01, 6), "six readings of 0.1: every split agrees bitwise");
        CHECK(splits_agree(&s, c147, 6), "six readings of 1.47: every split agrees bitwise");
        double wild[64];
        srand(7);
        for (int i = 0; i < 64; i++) {
            int e = rand() % 600 - 300;
            wild[i] = ldexp((rand() % 2 ? -1.0 : 1.0) * (1 + rand() / (double)RAND_MAX), e);
        }
        CHECK(splits_agree(&s, wild, 64), "64 values from 2^-300 to 2^300 of both signs: every split agrees");
        double tiny[] = { 1e-300, 2e-300, 3e-310, 5e-324, 1.5e-200 };   /* squares below 2^-1074 */
        CHECK(splits_agree(&s, tiny, 5), "tiny and subnormal values (squares below the double range)");
        {
            struct iot_agg_state *ts = mk(&s);
            add1(&s, ts, 3e-310, 0);
            add1(&s, ts, 5e-324, 1);
            add1(&s, ts, 1e-300, 2);
            add1(&s, ts, -1e-300, 3);
            CHECK(val(&s, ts, "sum_x", &null) == 3e-310 + 5e-324, "subnormal sums are exact (3e-310 + 5e-324)");
            iot_agg_free(&s, ts); free(ts);
        }
        double rd[500];
        for (int i = 0; i < 500; i++) rd[i] = 20 + (rand() % 100000) / 3333.0 + (i % 7 ? 1e-9 : 1e6);
        CHECK(splits_agree(&s, rd, 500), "500 readings with rare 1e6 spikes: every split agrees");
        struct iot_agg_state *k3s = mk(&s);
        double k3[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3 };
        for (int i = 0; i < 3; i++) add1(&s, k3s, k3[i], i);
        CHECK(val(&s, k3s, "var_x", &null) == 1 && val(&s, k3s, "avg_x", &null) == 1e9 + 2,
              "var of 1e9+1, 1e9+2, 1e9+3 is exactly 1");
        iot_agg_free(&s, k3s); free(k3s);
        /* correctly rounded: integers below 2^62 sum exactly in __int128, whose conversion to
         * double rounds to nearest even; 2^53 + 1 + ... exercises the ties */
        int rounded = 1;
        for (int t = 0; t < 200; t++) {
            struct iot_agg_state *is = mk(&s);
            __int128 exact = 0;
            for (int i = 0; i < 5; i++) {
                int64_t k = ((int64_t)rand() << 31 ^ rand()) % (1LL << (t % 60 + 2));
                if (t % 3 == 0) k = (i == 0) ? (1LL << 53) : 1;     /* 2^53 + 1 + 1 + ...: ties */
                double d = (double)k;
                if ((int64_t)d != k) continue;                      /* only exact doubles */
                if (rand() % 2 && t % 3) d = -d;
                exact += (__int128)d;
                add1(&s, is, d, i);
            }
            if (val(&s, is, "sum_x", &null) != (double)exact) rounded = 0;
            iot_agg_free(&s, is); free(is);
        }
        CHECK(rounded, "sum is the exact sum rounded to nearest even (200 integer sums)");
        /* 300000 additions into the same chunks, each putting 52 bits into the upper one
         * ((2^53 - 1) * 2^31 sits at bit 31 of its chunk): carries must be propagated */
        struct iot_agg_state *many = mk(&s);
        double big31 = ldexp(9007199254740991.0, 31);
        for (int i = 0; i < 300000; i++) add1(&s, many, big31, i);
        CHECK(val(&s, many, "sum_x", &null) == ldexp((double)((__int128)300000 * 9007199254740991LL), 31) &&
              val(&s, many, "stdev_x", &null) == 0, "300000 x (2^53 - 1) * 2^31: exact sum, stdev 0");
        /* ties to even: 2^53 + 1 rounds down to 2^53, 2^53 + 3 up to 2^53 + 4 */
        struct iot_agg_state *t1 = mk(&s), *t3 = mk(&s);
        add1(&s, t1, 9007199254740992.0, 0); add1(&s, t1, 1, 1);
        add1(&s, t3, 9007199254740992.0, 0); add1(&s, t3, 3, 1);
        CHECK(val(&s, t1, "sum_x", &null) == 9007199254740992.0 && val(&s, t3, "sum_x", &null) == 9007199254740996.0,
              "halfway sums round to even (2^53 + 1, 2^53 + 3)");
        iot_agg_free(&s, t1); free(t1); iot_agg_free(&s, t3); free(t3);
        iot_agg_free(&s, many); free(many);
    }
    iot_aggset_free(&s);
    return unit_done();
}
