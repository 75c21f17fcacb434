/* Unit tests for lib/sim*.c: formatting, specs, determinism, fleet-size independence, wear,
 * malformed lines, fleet files. */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "core/rec.h"
#include "core/out.h"
#include "sim/sim.h"
#include "core/time.h"

static struct iot_sim *mk(int64_t devices, int64_t count, const char *types, bool truth)
{
    struct iot_sim_config c;
    iot_sim_config_default(&c);
    c.devices = devices;
    c.count = count;
    c.truth = truth;
    c.anomalies = 0.01;
    struct iot_sim_fleet *f = iot_sim_fleet_builtin();
    char err[256];
    if (types && iot_sim_fleet_select(f, types, err, sizeof err)) return NULL;
    return iot_sim_new(&c, f, err, sizeof err);
}

static void test_format(void)
{
    char b[64];
    b[iot_fmt_scaled(b, 713, 1)] = 0; CHECK_STR(b, "71.3", "fixed 71.3");
    b[iot_fmt_scaled(b, -5, 2)] = 0; CHECK_STR(b, "-0.05", "fixed -0.05");
    b[iot_fmt_scaled(b, 0, 1)] = 0; CHECK_STR(b, "0.0", "fixed 0.0");
    b[iot_fmt_scaled(b, 1234567, 0)] = 0; CHECK_STR(b, "1234567", "fixed integer");
    b[iot_fmt_scaled(b, 100000, 4)] = 0; CHECK_STR(b, "10.0000", "fixed 4 decimals");
    /* the fast clock agrees with the library's formatter, across days and before 1970 */
    int64_t ts[] = { 0, 1767225601000000000LL, 1767225601999000000LL, 951782400123000000LL,
                     -86400001000000LL, 4102444799999000000LL };
    int ok = 1;
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        char x[48], y[48];
        x[iot_sim_fmt_time(x, ts[i])] = 0;
        y[iot_time_fmt(ts[i], y)] = 0;
        if (strcmp(x, y) != 0) { ok = 0; printf("# %s != %s\n", x, y); }
    }
    CHECK(ok, "fmt_time matches iot_time_fmt");
}

static void test_specs(void)
{
    struct iot_sim_faults f = { 0 };
    char err[256];
    CHECK(iot_sim_faults_parse("late=0.01:30s,dup=0.001,drop=0.002,malformed=0.0001", &f, err, sizeof err) == 0
          && f.late == 0.01 && f.late_max == 30 * IOT_NS_PER_S && f.dup == 0.001 && f.drop == 0.002
          && f.malformed == 0.0001, "faults spec parsed");
    CHECK(iot_sim_faults_parse("lost=0.1", &f, err, sizeof err) == -1 && strstr(err, "lost"), "unknown fault");
    CHECK(iot_sim_faults_parse("dup=2", &f, err, sizeof err) == -1, "probability above 1");
    CHECK(iot_sim_faults_parse("dup=0.1:5s", &f, err, sizeof err) == -1, "only late takes a delay");
    CHECK(iot_sim_faults_parse("late=0.1:xyz", &f, err, sizeof err) == -1, "bad late delay");
    struct iot_sim_fleet *fl = iot_sim_fleet_builtin();
    CHECK(fl->ntypes == 4, "four built-in types");
    CHECK(iot_sim_fleet_select(fl, "Pump:40,CNC-Machine:60", err, sizeof err) == 0 && fl->ntypes == 2
          && strcmp(fl->t[0].name, "Pump") == 0 && fl->t[1].share == 60, "--types selects and orders");
    CHECK(iot_sim_fleet_select(fl, "Robot:1", err, sizeof err) == -1 && strstr(err, "Robot"), "unknown type");
    CHECK(iot_sim_fleet_select(fl, "Pump:-1", err, sizeof err) == -1, "negative share");
    iot_sim_fleet_free(fl);
}

static void test_determinism(void)
{
    struct iot_sim *a = mk(50, 20000, NULL, true), *b = mk(50, 20000, NULL, true);
    struct iot_sim_rec ra, rb;
    char la[IOT_SIM_LINE_MAX], lb[IOT_SIM_LINE_MAX];
    int same = 1, ordered = 1, valid = 1, n = 0;
    int64_t prev = INT64_MIN;
    while (iot_sim_next(a, &ra)) {
        if (!iot_sim_next(b, &rb)) { same = 0; break; }
        size_t na = iot_sim_format(a, &ra, la), nb = iot_sim_format(b, &rb, lb);
        if (na != nb || memcmp(la, lb, na) != 0) same = 0;
        if (ra.t < prev) ordered = 0;
        prev = ra.t;
        const char *e;
        if (iot_rec_scan(NULL, la, na, NULL, &e) != 0) { valid = 0; printf("# %.*s: %s\n", (int)na, la, e); }
        n++;
    }
    CHECK(n == 20000, "--count records");
    CHECK(same, "same config, same records");
    CHECK(ordered, "event-time order");
    CHECK(valid, "every line is valid JSON");
    iot_sim_free(a);
    iot_sim_free(b);

    /* device 7 alone out of a fleet of 8 and of 300: the same stream */
    struct iot_sim *s8 = mk(8, -1, NULL, true), *s300 = mk(300, -1, NULL, true);
    char x[IOT_SIM_LINE_MAX], y[IOT_SIM_LINE_MAX];
    int eq = 1, got = 0;
    struct iot_sim_rec r;
    for (int k = 0; k < 200 && eq;) {
        size_t nx = 0, ny = 0;
        while (iot_sim_next(s8, &r)) if (r.dev == 7) { nx = iot_sim_format(s8, &r, x); break; }
        while (iot_sim_next(s300, &r)) if (r.dev == 7) { ny = iot_sim_format(s300, &r, y); break; }
        if (nx != ny || memcmp(x, y, nx) != 0) eq = 0;
        k++;
        got = k;
    }
    CHECK(eq && got == 200, "a device's stream does not depend on the fleet size");
    iot_sim_free(s8);
    iot_sim_free(s300);
}

static void test_shares(void)
{
    struct iot_sim *s = mk(1000, 0, "CNC-Machine:60,Pump:40", false);
    int cnc = 0;
    for (int i = 0; i < 1000; i++) cnc += iot_sim_device(s, i)->type == 0;
    CHECK(cnc >= 590 && cnc <= 610, "60/40 shares hold (%d CNC of 1000)", cnc);
    CHECK(sizeof(struct iot_sim_dev) <= 192, "per-device state %zu bytes", sizeof(struct iot_sim_dev));
    char id[64];
    id[iot_sim_device_id(s, 42, id)] = 0;
    CHECK(strncmp(id, "cnc-000042", 10) == 0 || strncmp(id, "pump-000042", 11) == 0, "device id %s", id);
    iot_sim_free(s);
}

static void test_wear(void)
{
    /* physics without noise: vibration grows toward the failure, temperature lags */
    struct iot_sim *s = mk(20, 0, "Pump", false);
    int rising = 1, lagging = 0;
    for (int i = 0; i < 20; i++) {
        const struct iot_sim_dev *d = iot_sim_device(s, i);
        int64_t day = 86400 * IOT_NS_PER_S;
        /* same time of day, so that the daily cycle cancels */
        int64_t days = (d->t_f - d->t_p) / day;
        double v_before = iot_sim_expected(s, i, 2, d->t_p - day);
        double v_mid = iot_sim_expected(s, i, 2, d->t_p + days / 2 * day);
        double v_end = iot_sim_expected(s, i, 2, d->t_p + days * day);
        if (!(v_before <= v_mid && v_mid < v_end && v_end > 1.15 * v_before)) {
            rising = 0;
            printf("# dev %d: %g %g %g\n", i, v_before, v_mid, v_end);
        }
        double t_early = iot_sim_expected(s, i, 0, d->t_p + (d->t_f - d->t_p) / 5);
        double t_before = iot_sim_expected(s, i, 0, d->t_p - 7 * day + (d->t_f - d->t_p) / 5);
        if (fabs(t_early - t_before) < 0.5) lagging++;
    }
    CHECK(rising, "vibration drifts up between P and F");
    CHECK(lagging >= 1, "temperature lags vibration for some failure modes (%d)", lagging);
    iot_sim_free(s);
}

static void test_malform(void)
{
    struct iot_sim *s = mk(5, 200, NULL, false);
    struct iot_sim_rec r;
    int all_bad = 1, kinds = 0, n = 0;
    while (iot_sim_next(s, &r)) {
        char buf[IOT_SIM_LINE_MAX];
        size_t len = iot_sim_format(s, &r, buf);
        uint64_t h = iot_sim_hash(1, r.dev, r.seq, 99);
        len = iot_sim_malform(IOT_SIM_NDJSON, buf, len, h);
        const char *e;
        if (iot_rec_scan(NULL, buf, len, NULL, &e) == 0) { all_bad = 0; printf("# still valid: %.*s\n", (int)len, buf); }
        kinds |= 1 << (h % 6);
        n++;
    }
    CHECK(n == 200 && all_bad, "malformed lines are invalid JSON");
    CHECK(kinds == 63, "all six kinds of breakage drawn");
    iot_sim_free(s);
}

static void test_fleet_file(void)
{
    char path[] = "/tmp/test_sim_fleetXXXXXX";
    int fd = mkstemp(path);
    const char *good = "{\"types\":[{\"name\":\"Fan\",\"prefix\":\"fan\",\"sensors\":[{\"name\":\"rpm\","
                       "\"baseline\":1500,\"noise\":5,\"max\":1800,\"decimals\":0}],\"failure\":{\"shape\":2,"
                       "\"scale\":\"100d\",\"modes\":[{\"name\":\"belt\",\"lead\":[\"7d\",\"14d\"],"
                       "\"effects\":{\"rpm\":0.9}}]}},{\"name\":\"Pump\",\"share\":2}]}";
    ssize_t wr = write(fd, good, strlen(good));   /* not inside CHECK: it evaluates twice */
    CHECK(wr == (ssize_t)strlen(good), "write fleet");
    close(fd);
    char err[512] = "";
    struct iot_sim_fleet *f = iot_sim_fleet_load(path, err, sizeof err);
    CHECK(f && f->ntypes == 2 && strcmp(f->t[0].s[0].name, "rpm") == 0 && f->t[0].m[0].gain[0] == 0.9
          && f->t[1].nsensors == 3 && f->t[1].share == 2, "fleet file: new type and a built-in template %s", err);
    iot_sim_fleet_free(f);
    const char *bad[] = {
        "{\"types\":[]}",
        "{\"types\":[{\"name\":\"X y\"}]}",
        "{\"types\":[{\"name\":\"Fan\",\"sensors\":[{\"name\":\"timestamp\"}]}]}",
        "{\"types\":[{\"name\":\"Fan\",\"sensors\":[{\"name\":\"a\",\"noise\":\"x\"}]}]}",
        "{\"types\":[{\"name\":\"Fan\",\"sensors\":[{\"name\":\"a\"}],\"failure\":{\"modes\":[{\"name\":\"m\",\"effects\":{\"b\":2}}]}}]}",
        "{\"types\":[{\"name\":\"Fan\",\"sensors\":[{\"name\":\"a\",\"decimals\":9}]}]}",
        "{\"types\":[{\"name\":\"Pump\"},{\"name\":\"Pump\"}]}",
        "{\"types\":[{\"name\":\"Fan\",\"sensors\":[{\"name\":\"a\"}],\"schedule\":\"9to5\"}]}",
        "not json",
    };
    int rejected = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *fp = fopen(path, "w");
        fputs(bad[i], fp);
        fclose(fp);
        err[0] = 0;
        struct iot_sim_fleet *g = iot_sim_fleet_load(path, err, sizeof err);
        if (!g && err[0]) rejected++;
        else printf("# accepted: %s\n", bad[i]);
        iot_sim_fleet_free(g);
    }
    CHECK(rejected == (int)(sizeof bad / sizeof bad[0]), "bad fleet files rejected with a message");
    unlink(path);
}

int main(void)
{
    test_format();
    test_specs();
    test_determinism();
    test_shares();
    test_wear();
    test_malform();
    test_fleet_file();
    return unit_done();
}
