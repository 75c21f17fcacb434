/* Unit tests for lib/core/rec.c: the validating scanner, field access, byte-preserving edits. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "core/buf.h"
#include "core/out.h"
#include "core/rec.h"

static int valid(const char *s) { return iot_rec_scan(NULL, s, strlen(s), NULL, NULL) == 0; }

int main(void)
{
    /* valid records */
    CHECK(valid("{}"), "empty object");
    CHECK(valid(" {\"a\" : [1, -2.5e+3, true, false, null, {\"b\":\"c\"}]} "), "nested values and spaces");
    CHECK(valid("{\"s\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\\" \\\\ \\/ \\n\"}"), "UTF-8 and escapes");
    CHECK(valid("{\"n\":0,\"m\":-0.0,\"e\":1E5}"), "number forms");
    /* invalid JSON of many kinds */
    const char *bad[] = { "", "{", "}", "[1,2]", "\"str\"", "42", "{\"a\":}", "{\"a\" 1}", "{a:1}",
        "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}",
        "{\"a\":1e}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":[1,2}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":NaN}",
        "{\"a\":Infinity}", "{'a':1}", "\xef\xbb\xbf{\"a\":1}", NULL };
    for (int i = 0; bad[i]; i++) CHECK(!valid(bad[i]), "invalid JSON refused: %s", bad[i]);
    /* invalid UTF-8 */
    const char *badutf[] = { "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe2\x82\"}", "{\"\x80\":1}", NULL };
    for (int i = 0; badutf[i]; i++) CHECK(!valid(badutf[i]), "invalid UTF-8 refused (%d)", i);
    /* NUL byte inside a line */
    CHECK(iot_rec_scan(NULL, "{\"a\":\"x\0y\"}", 11, NULL, NULL) != 0, "NUL in string refused");
    /* deep nesting */
    {
        char deep[2100];
        for (int i = 0; i < 1000; i++) deep[i] = '[';
        memcpy(deep, "{\"a\":", 5);
        deep[1000] = 0;
        CHECK(!valid(deep), "deep nesting refused, no crash");
    }
    const char *err = NULL;
    iot_rec_scan(NULL, "{\"a\" 1}", 7, NULL, &err);
    CHECK(err && strstr(err, "column 6") && strstr(err, "expected ':'"), "error names the column: %s", err ? err : "");

    /* field extraction */
    struct iot_fields *f = iot_fields_new();
    int iid = iot_fields_add(f, "deviceId"), it = iot_fields_add(f, "temperature"),
        ip = iot_fields_add(f, "properties.priority"), ix = iot_fields_add(f, "missing");
    CHECK(iot_fields_add(f, "temperature") == it, "same path, same index");
    struct iot_val v[4];
    const char *line = "{\"deviceId\":\"cnc-1\",\"temperature\":71.3,\"properties\":{\"priority\":\"high\",\"x\":[1]},\"temperature\":72}";
    CHECK(iot_rec_scan(f, line, strlen(line), v, &err) == 0, "scan ok");
    CHECK(v[iid].type == IOT_J_STR && iot_val_streq(&v[iid], "cnc-1", 5), "string field");
    double d = 0;
    CHECK(iot_val_num(&v[it], &d) == 0 && d == 72, "last duplicate wins");
    CHECK(v[ip].type == IOT_J_STR && iot_val_streq(&v[ip], "high", 4), "dotted path");
    CHECK(v[ix].type == IOT_J_ABSENT, "absent field");
    CHECK(iot_val_num(&v[iid], &d) == -1, "string is not a number");

    /* numbers: exactness of the fast path against strtod */
    const char *nums[] = { "71.3", "0.1", "-12.345", "123456789012345", "1e300", "2.2250738585072014e-308",
                           "9007199254740993", "0.30000000000000004", "1.7976931348623157e308", NULL };
    for (int i = 0; nums[i]; i++) {
        char l2[128];
        snprintf(l2, sizeof l2, "{\"temperature\":%s}", nums[i]);
        iot_rec_scan(f, l2, strlen(l2), v, NULL);
        iot_val_num(&v[it], &d);
        CHECK(d == strtod(nums[i], NULL), "number %s read exactly", nums[i]);
    }
    int64_t i64;
    const char *l3 = "{\"temperature\":9223372036854775807}";
    iot_rec_scan(f, l3, strlen(l3), v, NULL);
    CHECK(iot_val_i64(&v[it], &i64) == 0 && i64 == INT64_MAX, "int64 max exact");
    const char *l4 = "{\"temperature\":9223372036854775808}";
    iot_rec_scan(f, l4, strlen(l4), v, NULL);
    CHECK(iot_val_i64(&v[it], &i64) == -1, "int64 overflow refused");

    /* string unescaping and keys */
    struct iot_buf b = {0};
    const char *l5 = "{\"deviceId\":\"a\\\"b\\u00e9\\ud83d\\ude00\"}";
    iot_rec_scan(f, l5, strlen(l5), v, NULL);
    iot_val_str(&v[iid], &b);
    CHECK_STR(b.p, "a\"b\xc3\xa9\xf0\x9f\x98\x80", "unescaped string");
    CHECK(iot_val_streq(&v[iid], "a\"b\xc3\xa9\xf0\x9f\x98\x80", strlen("a\"b\xc3\xa9\xf0\x9f\x98\x80")), "streq with escapes");
    const char *l6 = "{\"dev\\u0069ceId\":\"k\"}";
    iot_rec_scan(f, l6, strlen(l6), v, NULL);
    CHECK(v[iid].type == IOT_J_STR, "escaped member name matched");

    /* time from values */
    int64_t ns;
    const char *l7 = "{\"temperature\":\"2026-01-01T00:00:01Z\"}";
    iot_rec_scan(f, l7, strlen(l7), v, NULL);
    CHECK(iot_val_time(&v[it], 0, &ns, NULL) == 0 && ns == 1767225601000000000LL, "time from string");
    const char *l8 = "{\"temperature\":1767225601000}";
    iot_rec_scan(f, l8, strlen(l8), v, NULL);
    CHECK(iot_val_time(&v[it], 0, &ns, NULL) == 0 && ns == 1767225601000000000LL, "time from epoch ms");
    const char *l9 = "{\"temperature\":\"1767225601\"}";
    iot_rec_scan(f, l9, strlen(l9), v, NULL);
    CHECK(iot_val_time(&v[it], 0, &ns, NULL) == 0 && ns == 1767225601000000000LL, "time from numeric string");

    /* shortest round-trip doubles */
    char nb[32];
    double rt[] = { 0.1, 71.3, 1.0 / 3, 1e21, 5e-324, -2.5, 100, 1e15, 123456789.125 };
    for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++) {
        iot_fmt_double(nb, rt[i]);
        CHECK(strtod(nb, NULL) == rt[i], "%s reads back", nb);
    }
    iot_fmt_double(nb, 0.1); CHECK_STR(nb, "0.1", "0.1 shortest");
    iot_fmt_double(nb, 71.3); CHECK_STR(nb, "71.3", "71.3 shortest");
    iot_fmt_double(nb, 0.0 / 0.0); CHECK_STR(nb, "null", "NaN written as null");
    iot_fmt_double(nb, 1.0 / 0.0); CHECK_STR(nb, "null", "Inf written as null");

    /* escaping keeps output valid JSON even for invalid UTF-8 */
    char esc[64];
    size_t n = iot_json_escape(esc, "a\xff\n\"", 4);
    esc[n] = 0;
    CHECK_STR(esc, "a\\u00ff\\n\\\"", "invalid byte escaped");
    iot_buf_free(&b);
    iot_fields_free(f);
    return unit_done();
}
