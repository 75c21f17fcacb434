/* Unit tests for lib/expr: precedence, types, three-valued logic, functions, errors. */
#include <stdlib.h>
#include "unit.h"
#include "core/expr.h"
#include "core/rec.h"

static const char *REC = "{\"deviceId\":\"cnc-01\",\"deviceType\":\"CNC-Machine\",\"temperature\":85.5,"
    "\"pressure\":101,\"vibration\":-2,\"priority\":\"high\",\"ok\":true,\"bad\":false,\"nothing\":null,"
    "\"name\":\"Caf\\u00e9 \\\"A\\\"\",\"props\":{\"site\":\"north\",\"level\":3},\"arr\":[1,2],"
    "\"num_str\":\"80\",\"empty\":\"\"}";

/* Compiles e, scans line, returns the truth value (1, 0, -1), or -9 if e does not compile. */
static int truth_of(const char *e, const char *line)
{
    struct iot_fields *f = iot_fields_new();
    char err[200];
    struct iot_expr *x = iot_expr_compile(e, f, err, sizeof err);
    if (!x) { printf("# compile error for %s: %s\n", e, err); iot_fields_free(f); return -9; }
    int n = iot_fields_count(f);
    struct iot_val *v = calloc((size_t)n + 1, sizeof *v);
    const char *serr;
    int r = iot_rec_scan(f, line, strlen(line), v, &serr) == 0 ? iot_expr_truth(x, v) : -8;
    free(v);
    iot_expr_free(x);
    iot_fields_free(f);
    return r;
}

static int num_of(const char *e, const char *line, double *out)
{
    struct iot_fields *f = iot_fields_new();
    char err[200];
    struct iot_expr *x = iot_expr_compile(e, f, err, sizeof err);
    if (!x) { iot_fields_free(f); return -9; }
    struct iot_val *v = calloc((size_t)iot_fields_count(f) + 1, sizeof *v);
    const char *serr;
    int r = iot_rec_scan(f, line, strlen(line), v, &serr) == 0 ? iot_expr_number(x, v, out) : -8;
    free(v);
    iot_expr_free(x);
    iot_fields_free(f);
    return r;
}

/* The error text for e, or "" if it compiles. */
static const char *err_of(const char *e)
{
    static char err[200];
    struct iot_fields *f = iot_fields_new();
    struct iot_expr *x = iot_expr_compile(e, f, err, sizeof err);
    if (x) err[0] = 0;
    iot_expr_free(x);
    iot_fields_free(f);
    return err;
}

#define T(e, want) do { int got_ = truth_of(e, REC); CHECK(got_ == (want), "%s -> %d", e, want); \
    if (got_ != (want)) printf("#   got %d\n", got_); } while (0)
#define NUM(e, want) do { double d_ = -12345; int rc_ = num_of(e, REC, &d_); \
    CHECK(rc_ == 0 && fabs(d_ - (want)) < 1e-9, "%s = %g", e, (double)(want)); \
    if (rc_ || fabs(d_ - (want)) >= 1e-9) printf("#   got rc %d value %g\n", rc_, d_); } while (0)
#define ERR(e, want) do { const char *g_ = err_of(e); CHECK(strstr(g_, want) != NULL, "error for [%s] has [%s]", e, want); \
    if (!strstr(g_, want)) printf("#   got: %s\n", g_); } while (0)

int main(void)
{
    /* comparisons and types */
    T("temperature > 80", 1);
    T("temperature > 80 && priority == \"high\"", 1);
    T("temperature >= 85.5 and priority = 'high'", 1);
    T("temperature < 80", 0);
    T("temperature <= 85.5", 1);
    T("temperature != 85.5", 0);
    T("temperature <> 85", 1);
    T("pressure == 101", 1);
    T("pressure == 101.0", 1);
    T("vibration < 0", 1);
    T("deviceType == 'CNC-Machine'", 1);
    T("deviceId < 'cnc-02'", 1);
    T("deviceId > 'cnc-02'", 0);
    T("ok", 1);
    T("ok == true", 1);
    T("bad", 0);
    T("bad == false", 1);
    T("nothing == null", 1);
    T("props.site == 'north'", 1);
    T("props.level * 2 == 6", 1);
    T("name == 'Café \"A\"'", 1);
    T("name == \"Caf\\u00e9 \\\"A\\\"\"", 1);
    T("empty == ''", 1);

    /* missing fields and type mismatches are undefined: never a match, never an error */
    T("missing > 3", -1);
    T("missing == null", -1);
    T("missing != 3", -1);
    T("!(missing > 3)", -1);
    T("not missing > 3", -1);
    T("props.nope.x == 1", -1);
    T("temperature == '85.5'", -1);
    T("num_str > 70", -1);
    T("num_str == 80", -1);
    T("priority > 3", -1);
    T("nothing > 3", -1);
    T("props == 3", -1);
    T("arr == arr", -1);
    T("temperature", -1);
    T("priority", -1);
    T("ok == 1", -1);
    T("temperature + 'x' > 3", -1);
    T("temperature / 0 > 3", -1);
    T("temperature % 0 > 3", -1);

    /* three-valued logic */
    T("missing > 3 && temperature > 80", -1);
    T("missing > 3 && temperature < 80", 0);
    T("temperature < 80 && missing > 3", 0);
    T("missing > 3 || temperature > 80", 1);
    T("temperature > 80 || missing > 3", 1);
    T("missing > 3 || temperature < 80", -1);
    T("!(temperature < 80)", 1);
    T("!ok", 0);
    T("!!ok", 1);
    T("!priority", -1);

    /* precedence */
    T("1 + 2 * 3 == 7", 1);
    T("(1 + 2) * 3 == 9", 1);
    T("10 - 4 - 3 == 3", 1);
    T("2 * 3 % 4 == 2", 1);
    T("-2 * 3 == -6", 1);
    T("- - 2 == 2", 1);
    T("-vibration == 2", 1);
    T("true || false && false", 1);       /* && binds tighter than || */
    T("(true || false) && false", 0);
    T("!temperature < 80", 1);            /* ! is looser than comparisons: !(t < 80) */
    T("!ok || ok", 1);
    T("not ok or ok", 1);
    T("!ok && ok", 0);
    T("temperature > 80 == true", -9);    /* chained comparisons refused */
    T("0x10 == 16", 1);
    T("1e3 == 1000", 1);
    T(".5 == 0.5", 1);

    /* in [...] */
    T("priority in ['high', 'critical']", 1);
    T("priority in ['low']", 0);
    T("priority not in ['low']", 1);
    T("priority not in ['high']", 0);
    T("pressure in [100, 101, 102]", 1);
    T("vibration in [-2]", 1);
    T("pressure in ['101']", 0);
    T("missing in [1, 2]", -1);
    T("missing not in [1, 2]", -1);
    T("nothing in [null]", 1);
    T("ok in [true]", 1);
    T("priority in []", 0);
    T("props in [1]", -1);
    T("!(priority in ['low'])", 1);

    /* exists() */
    T("exists(temperature)", 1);
    T("exists(nothing)", 1);
    T("exists(missing)", 0);
    T("!exists(missing)", 1);
    T("exists(props.site)", 1);
    T("exists(props.nope)", 0);
    T("is_defined(props)", 1);
    T("!exists(missing) && temperature > 80", 1);

    /* string functions */
    T("lower(deviceType) == 'cnc-machine'", 1);
    T("upper(priority) == 'HIGH'", 1);
    T("LOWER(deviceType) = 'cnc-machine'", 1);
    T("startswith(deviceId, 'cnc-')", 1);
    T("starts_with(deviceId, 'pump-')", 0);
    T("endswith(deviceId, '-01')", 1);
    T("contains(deviceType, 'Mach')", 1);
    T("contains(deviceType, '')", 1);
    T("contains(deviceType, 'nope')", 0);
    T("contains(temperature, '8')", -1);
    T("startswith(missing, 'a')", -1);
    T("startswith(deviceId, 'cnc-01-longer')", 0);
    T("length(deviceId) == 6", 1);
    T("length(name) == 8", 1);            /* code points, not bytes */
    T("length(temperature) == 4", -1);
    T("contains(lower(name), 'café')", 1);
    T("lower(name) == 'café \"a\"' && upper(deviceId) == 'CNC-01'", 1);  /* two scratch buffers */
    T("is_number(temperature)", 1);
    T("is_string(temperature)", 0);
    T("is_null(nothing)", 1);
    T("is_bool(ok)", 1);
    T("is_number(missing)", 0);
    T("abs(vibration) == 2", 1);
    T("floor(temperature) == 85", 1);
    T("ceil(temperature) == 86", 1);
    T("round(temperature) == 86", 1);
    T("sqrt(-1) > 0", -1);

    /* numeric results */
    NUM("temperature - 273.15 + 273.15", 85.5);
    NUM("(temperature - 32) * 5 / 9", (85.5 - 32) * 5 / 9);
    NUM("pressure % 7", 3);
    NUM("-vibration", 2);
    NUM("props.level", 3);
    NUM("sqrt(16)", 4);
    { double d; CHECK(num_of("priority", REC, &d) == -1, "a string is not a number"); }
    { double d; CHECK(num_of("missing + 1", REC, &d) == -1, "missing + 1 is undefined"); }

    /* string results */
    {
        struct iot_fields *f = iot_fields_new();
        char err[100];
        struct iot_expr *x = iot_expr_compile("upper(deviceId)", f, err, sizeof err);
        struct iot_val v[4];
        const char *serr, *s = NULL;
        size_t n = 0;
        CHECK(x && iot_rec_scan(f, REC, strlen(REC), v, &serr) == 0 && iot_expr_string(x, v, &s, &n) == 0
              && n == 6 && memcmp(s, "CNC-01", 6) == 0, "iot_expr_string gives the string");
        iot_expr_free(x);
        iot_fields_free(f);
    }

    /* several expressions share one field set; repeated evaluation gives the same answer */
    {
        struct iot_fields *f = iot_fields_new();
        char err[100];
        struct iot_expr *a = iot_expr_compile("temperature > 80", f, err, sizeof err);
        struct iot_expr *b = iot_expr_compile("temperature < 90 && lower(priority) == 'high'", f, err, sizeof err);
        CHECK(iot_fields_count(f) == 2, "fields are shared between expressions");
        struct iot_val v[2];
        const char *serr;
        int ok = 1;
        for (int i = 0; i < 1000; i++) {
            const char *line = i % 2 ? REC : "{\"temperature\":20,\"priority\":\"LOW\"}";
            iot_rec_scan(f, line, strlen(line), v, &serr);
            ok &= iot_expr_match(a, v) == (i % 2) && iot_expr_match(b, v) == (i % 2);
        }
        CHECK(ok, "1000 alternating evaluations agree");
        iot_expr_free(a);
        iot_expr_free(b);
        iot_fields_free(f);
    }

    /* backquoted and $-names */
    T("`deviceType` == 'CNC-Machine'", 1);
    T("`props`.`site` == 'north'", 1);
    /* IoT Hub routing syntax: $body.x is the record's own x */
    CHECK(truth_of("$body.temperature > 1", "{\"temperature\":2}") == 1, "$body.x is the record's x");
    CHECK(truth_of("`device-id` == 'x'", "{\"device-id\":\"x\"}") == 1, "backquoted name with '-'");

    /* errors, with columns */
    ERR("temperature >", "column 14: expected a value before the end");
    ERR("temperature > > 3", "column 15: expected a value, found '>'");
    ERR("(temperature > 3", "column 17: expected ')' before the end");
    ERR("temperature > 3)", "column 16: unbalanced ')'");
    ERR("", "column 1: empty expression");
    ERR("   ", "column 4: empty expression");
    ERR("temperature > 'abc", "column 15: unterminated string");
    ERR("t > 'a\\qb'", "column 7: bad escape");
    ERR("t ~ 3", "column 3: unexpected '~'");
    ERR("t & 3", "column 3: unexpected '&'");
    ERR("frob(t)", "column 1: unknown function 'frob'");
    ERR("lower(a, b)", "column 10: lower() takes 1 argument");
    ERR("startswith(a)", "column 13: startswith() takes 2 arguments");
    ERR("exists(3)", "column 8: exists() takes a field path");
    ERR("a in [b]", "column 7: a list after 'in' holds constants only");
    ERR("a in [1,]", "column 9: a list after 'in'");
    ERR("a in 1", "column 6: expected '['");
    ERR("a not 1", "column 3: expected 'in' after 'not'");
    ERR("a < b < c", "column 7: comparisons cannot be chained");
    ERR("a > 3 b", "column 7: expected an operator or the end, found a name");
    ERR("a.", "column 3: expected a field name after '.'");
    ERR("12abc > 1", "column 1: bad number");
    ERR("a == 1.2.3", "column 6: bad number");
    ERR("a == '\\ud800'", "lone surrogate");
    ERR("a == \x01", "column 6: unexpected control character");
    {
        char deep[1000];
        memset(deep, '(', 400);
        strcpy(deep + 400, "1");
        ERR(deep, "nested too deeply");
        memset(deep, '!', 400);
        ERR(deep, "nested too deeply");
    }
    {
        char small[8];
        struct iot_fields *f = iot_fields_new();
        CHECK(iot_expr_compile("a >", f, small, sizeof small) == NULL && strlen(small) < 8,
              "a short error buffer is not overrun");
        CHECK(iot_expr_compile("a >", f, NULL, 0) == NULL, "a NULL error buffer is allowed");
        iot_fields_free(f);
    }
    return unit_done();
}
