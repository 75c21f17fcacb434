/* Unit tests for value expressions (lib/core/expr: iot_expr_json): int64 exactness and overflow,
 * datetimes and timespans (Kusto's arithmetic), every value function with undefined and
 * wrong-type arguments, object and array literals. */
#include <stdlib.h>
#include "unit.h"
#include "core/buf.h"
#include "core/expr.h"
#include "core/rec.h"

static const char *REC = "{\"t\":85.5,\"p\":101,\"s\":\"abc\",\"u\":\"C\\u0327edilla\",\"n\":null,\"b\":true,"
    "\"big\":9223372036854775807,\"neg\":-9223372036854775808,\"x\":1.50,\"e\":\"\","
    "\"ts\":\"2024-01-01T00:00:01Z\",\"o\":{\"k\":[1, 2]},\"num\":\"42\",\"epoch\":1700000000,"
    "\"dev\":\"cnc-01\",\"seq\":7}";
#define NOW "2024-01-08T12:00:00Z"

/* The JSON text of e on REC, "U" if undefined, "E: msg" if an error, "C: msg" if it does not compile. */
static const char *val(const char *e)
{
    static char out[512];
    struct iot_fields *f = iot_fields_new();
    char err[200];
    struct iot_expr *x = iot_expr_compile(e, f, err, sizeof err);
    if (!x) { snprintf(out, sizeof out, "C: %s", err); iot_fields_free(f); return out; }
    const char *te = iot_expr_type_error(x);
    if (te) { snprintf(out, sizeof out, "T: %s", te); iot_expr_free(x); iot_fields_free(f); return out; }
    int64_t now = 1704715200LL * 1000000000LL;   /* NOW */
    iot_expr_set_now(x, now);
    struct iot_val *v = calloc((size_t)iot_fields_count(f) + 1, sizeof *v);
    const char *serr;
    if (iot_rec_scan(f, REC, strlen(REC), v, &serr)) { snprintf(out, sizeof out, "scan: %s", serr); goto done; }
    struct iot_buf b = { 0 };
    const char *xe = NULL;
    int rc = iot_expr_json(x, v, &b, &xe);
    if (rc < 0) snprintf(out, sizeof out, "E: %s", xe);
    else if (rc == 0) snprintf(out, sizeof out, "U");
    else snprintf(out, sizeof out, "%s", b.p);
    iot_buf_free(&b);
done:
    free(v);
    iot_expr_free(x);
    iot_fields_free(f);
    return out;
}

#define V(e, want) do { char n_[300]; snprintf(n_, sizeof n_, "%s => %s", e, want); CHECK_STR(val(e), want, n_); } while (0)

int main(void)
{
    /* fields as read, byte for byte; exact integers */
    V("x", "1.50");
    V("p", "101");
    V("big", "9223372036854775807");
    V("neg", "-9223372036854775808");
    V("big - 1", "9223372036854775806");
    V("missing", "U");
    V("n", "null");
    V("o", "{\"k\":[1, 2]}");
    V("o.k", "[1, 2]");
    /* arithmetic */
    V("1 + 2", "3");
    V("p * 2", "202");
    V("p - 1.5", "99.5");
    V("7 / 2", "3.5");
    V("6 / 2", "3");
    V("-7 / 2", "-3.5");
    V("7 / 2.0", "3.5");
    V("-14 % 12", "10");
    V("14 % -12", "2");
    V("1 / 0", "U");
    V("1 % 0", "U");
    V("1.0 / 0", "U");
    V("t + 1", "86.5");
    V("s + 1", "U");
    V("n + 1", "U");
    V("-p", "-101");
    V("0.1 + 0.2", "0.30000000000000004");
    V("9007199254740993 + 0", "9007199254740993");
    /* int64 overflow is an error, never a wrap */
    V("9223372036854775807 + 1", "E: integer overflow in '+'");
    V("big + 1", "E: integer overflow in '+'");
    V("neg - 1", "E: integer overflow in '-'");
    V("big * 2", "E: integer overflow in '*'");
    V("neg / -1", "E: integer overflow in '/'");
    V("-neg", "E: integer overflow in unary '-'");
    V("abs(neg)", "E: integer overflow in abs()");
    V("pow(2, 63)", "E: integer overflow in pow()");
    V("pow(2, 62)", "4611686018427387904");
    /* type errors known at compile time */
    V("'x' + 1", "T: column 5: '+' needs numbers, datetimes or timespans, not a string");
    V("p * true", "T: column 3: '*' needs numbers, datetimes or timespans, not a boolean");
    /* comparisons and logic */
    V("1 == 1.0", "true");
    V("big == 9223372036854775806", "false");
    V("big > 9223372036854775806", "true");
    V("null == null", "true");
    V("s == 'abc' && p > 100", "true");
    V("!(p > 100)", "false");
    V("missing > 1 || true", "true");
    V("missing > 1 && true", "U");
    /* numeric functions */
    V("abs(-3)", "3");
    V("abs(-2.5)", "2.5");
    V("abs(s)", "U");
    V("round(2.15, 1)", "2.2");
    V("round(-50.55, -2)", "-100");
    V("round(0.125, 2)", "0.13");
    V("round(2.5)", "3");
    V("round(-2.5)", "-3");
    V("round(21, -1)", "20");
    V("round(s)", "U");
    V("floor(7.9)", "7");
    V("floor(7.9, 2)", "6");
    V("floor(-7)", "-7");
    V("ceil(7.1)", "8");
    V("ceil(missing)", "U");
    V("sqrt(16)", "4");
    V("sqrt(-1)", "U");
    V("sqrt(s)", "U");
    V("log(exp(2))", "2");
    V("log(0)", "U");
    V("log(s)", "U");
    V("exp(0)", "1");
    V("exp(1000)", "U");
    V("pow(2, 10)", "1024");
    V("pow(2, 0.5)", "1.4142135623730951");
    V("pow(s, 2)", "U");
    V("min(3, 1.5, p)", "1.5");
    V("max(3, 1.5, p)", "101");
    V("max(missing, n, 4)", "4");
    V("max(missing)", "U");
    V("max(1, 'a')", "U");
    V("min('b', 'a')", "\"a\"");
    V("coalesce(missing, n, e, 'x')", "\"x\"");
    V("coalesce(missing, n, 3)", "3");
    V("coalesce(missing, n)", "U");
    V("iff(p > 100, 'hot', 'ok')", "\"hot\"");
    V("iff(missing > 100, 'hot', 'ok')", "\"ok\"");
    V("case(t > 90, 'CRITICAL', t > 80, 'WARNING', 'NORMAL')", "\"WARNING\"");
    V("case(missing > 90, 'CRITICAL', 'NORMAL')", "\"NORMAL\"");
    V("case(true, 1)", "C: column 13: case() takes pairs of condition, value and then the value otherwise (an odd count, at least 3)");
    /* strings */
    V("tostring(p)", "\"101\"");
    V("tostring(x)", "\"1.50\"");
    V("tostring(missing)", "\"\"");
    V("tostring(n)", "\"\"");
    V("tostring(b)", "\"true\"");
    V("tostring(1.5 * 1h)", "\"01:30:00\"");
    V("tonumber(num) + 1", "43");
    V("tonumber('1.5e3')", "1500");
    V("tonumber('abc')", "U");
    V("tonumber(' 1')", "U");
    V("tonumber(b)", "U");
    V("tonumber(missing)", "U");
    V("concat(dev, '-', seq)", "\"cnc-01-7\"");
    V("concat(dev, '-', missing)", "\"cnc-01-\"");
    V("substring('123456', -2, 2)", "\"56\"");
    V("substring('ABCD', 0, 2)", "\"AB\"");
    V("substring('ABCD', 1)", "\"BCD\"");
    V("substring(u, 1, 2)", "\"\xcc\xa7" "e\"");
    V("substring(p, 1)", "U");
    V("substring(s, 'x')", "U");
    V("lower('AbC')", "\"abc\"");
    V("upper(s)", "\"ABC\"");
    V("upper(p)", "U");
    V("strlen(u)", "8");
    V("strlen(p)", "U");
    V("strlen(missing)", "U");
    /* time */
    V("now()", "\"" NOW "\"");
    V("ago(7d)", "\"2024-01-01T12:00:00Z\"");
    V("ago(7)", "U");
    V("1d / 1h", "24");
    V("1d / 5h", "4.8");
    V("1.5 * 1h", "\"01:30:00\"");
    V("90m", "\"01:30:00\"");
    V("2d + 1s", "\"2.00:00:01\"");
    V("-100ms", "\"-00:00:00.1\"");
    V("1h / 0s", "U");
    V("datetime(2017-10-30 23:05:01) - datetime(2017-10-30 23:00:59)", "\"00:04:02\"");
    V("datetime(2024-01-01) + 1d", "\"2024-01-02T00:00:00Z\"");
    V("datetime(2024-01-01) + datetime(2024-01-01)", "U");
    V("(now() - datetime(2024-01-01)) / 1d", "7.5");
    V("todatetime(ts) > datetime(2024-01-01)", "true");
    V("todatetime(ts) > '2024-01-01'", "U");
    V("ts > ago(8d)", "true");
    V("ts > ago(7d)", "false");
    V("todatetime(s)", "U");
    V("todatetime(epoch)", "\"2023-11-14T22:13:20Z\"");
    V("todatetime(missing)", "U");
    V("now() - ts", "\"7.11:59:59\"");
    V("bin(ts, 1h)", "\"2024-01-01T00:00:00Z\"");
    V("bin(17, 5)", "15");
    V("bin(-1, 5)", "-5");
    V("bin(7.5, 2)", "6");
    V("bin(ts, 0s)", "U");
    V("bin(s, 1h)", "U");
    V("hourofday(datetime(2024-01-01 13:59:59))", "13");
    V("hourofday(ts)", "0");
    V("hourofday(p)", "U");
    V("dayofweek(datetime(2024-01-07))", "0");
    V("dayofweek(ts)", "1");
    V("dayofweek(datetime(1969-12-31))", "3");
    V("dayofweek(s)", "U");
    V("datetime(2024-13-01)", "C: column 10: bad datetime literal (no such date)");
    /* more undefined and wrong-type arguments */
    V("pow(2, missing)", "U");
    V("substring(missing, 1)", "U");
    V("now() + 1", "U");
    V("ago(s)", "U");
    V("ago(missing)", "U");
    V("tostring(o)", "\"{\\\"k\\\":[1, 2]}\"");
    V("dayofweek(missing)", "U");
    V("hourofday(b)", "U");
    V("todatetime(b)", "U");
    V("bin(missing, 1h)", "U");
    V("iff(b, missing, 1)", "U");
    V("coalesce(missing, tonumber('x'), 33)", "33");
    V("log(-1)", "U");
    V("exp(missing)", "U");
    V("round(2.5, missing)", "U");
    V("lower(missing)", "U");
    V("concat(o, b, n)", "\"{\\\"k\\\":[1, 2]}true\"");
    V("1h * 1h", "U");
    V("1h + 1", "U");
    V("datetime(2024-01-01) * 2", "U");
    V("s - ts", "U");
    V("abs(-1h)", "\"01:00:00\"");
    /* literals */
    V("[1, 'a', missing, n]", "[1,\"a\",null,null]");
    V("{\"command\": \"slowDown\", deviceId: dev, setpoint: t * 0.9, gone: missing}",
      "{\"command\":\"slowDown\",\"deviceId\":\"cnc-01\",\"setpoint\":76.95}");
    V("{a: {b: [p, x]}}", "{\"a\":{\"b\":[101,1.50]}}");
    V("{a 1}", "C: column 4: expected ':', found a number");
    return unit_done();
}
