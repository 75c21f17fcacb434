/* Unit tests for lib/devstate/devstate.c: members of any shape, property storage (inline and
 * heap, the array growing), older values kept, keys, the state record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "core/buf.h"
#include "core/diag.h"
#include "devstate/devstate.h"

static struct iot_devstate *S;
static struct iot_src src = { "t", 0 };

static int add(const char *line)
{
    src.line++;
    return iot_devstate_add(S, line, strlen(line), &src);
}

static const char *state(void)
{
    static struct iot_buf b;
    size_t n;
    struct iot_dev **v = iot_devstate_sorted(S, &n);
    iot_buf_reset(&b);
    for (size_t i = 0; i < n; i++) {
        iot_devstate_format(S, v[i], &b);
        iot_buf_addc(&b, '\n');
    }
    free(v);
    return b.p;
}

int main(void)
{
    iot_diag_init("test_devstate");
    struct iot_devstate_cfg cfg = { .key = "deviceId", .time_field = "timestamp" };
    S = iot_devstate_new(&cfg, NULL);
    CHECK(add("{\"deviceId\":\"a\",\"timestamp\":1000000000,\"s\":\"x\\\"}{,\\\\\",\"o\":{\"k\":[1,{\"q\":\"]}\"}]},\"n\":-1.5e3}") == 0, "escapes, nesting");
    CHECK(add(" { \"timestamp\" : 1000000001 , \"deviceId\" : \"a\" , \"t\xc3\xa9\" : true , \"z\" : null } ") == 0, "spaces, escaped name");
    CHECK_STR(state(), "{\"deviceId\":\"a\",\"status\":\"online\",\"statusSince\":\"2001-09-09T01:46:40.000Z\","
              "\"firstSeen\":\"2001-09-09T01:46:40.000Z\",\"lastSeen\":\"2001-09-09T01:46:41.000Z\",\"records\":2,"
              "\"reported\":{\"n\":-1.5e3,\"o\":{\"k\":[1,{\"q\":\"]}\"}]},\"s\":\"x\\\"}{,\\\\\",\"t\xc3\xa9\":true,\"z\":null},"
              "\"reportedAt\":{\"n\":\"2001-09-09T01:46:40.000Z\",\"o\":\"2001-09-09T01:46:40.000Z\",\"s\":\"2001-09-09T01:46:40.000Z\","
              "\"t\xc3\xa9\":\"2001-09-09T01:46:41.000Z\",\"z\":\"2001-09-09T01:46:41.000Z\"},\"desired\":{},\"desiredVersion\":0}\n",
              "state record: values as written, names in order, times per field");

    /* 40 fields (the array grows past its first capacity), short and long values */
    struct iot_buf b = { 0 };
    iot_buf_adds(&b, "{\"deviceId\":\"b\",\"timestamp\":5");
    for (int i = 0; i < 40; i++) iot_buf_addf(&b, ",\"f%02d\":\"%s%d\"", i, i % 2 ? "a-long-value-that-is-stored-on-the-heap-" : "", i);
    iot_buf_addc(&b, '}');
    CHECK(add(b.p) == 0, "40 fields");
    /* the same fields again, long and short swapped */
    iot_buf_reset(&b);
    iot_buf_adds(&b, "{\"deviceId\":\"b\",\"timestamp\":6");
    for (int i = 0; i < 40; i++) iot_buf_addf(&b, ",\"f%02d\":\"%s%d\"", i, i % 2 ? "" : "a-long-value-that-is-stored-on-the-heap-", i);
    iot_buf_addc(&b, '}');
    CHECK(add(b.p) == 0, "40 fields, swapped lengths");
    const char *st = state();
    CHECK(strstr(st, "\"f00\":\"a-long-value-that-is-stored-on-the-heap-0\"") && strstr(st, "\"f01\":\"1\"") &&
          strstr(st, "\"f39\":\"39\"") && strstr(st, "\"f38\":\"a-long-value-that-is-stored-on-the-heap-38\""),
          "values survive growth and inline/heap moves");
    CHECK(add("{\"deviceId\":\"b\",\"timestamp\":5.5,\"f01\":\"old\",\"new\":1}") == 0, "an older record");
    st = state();
    CHECK(strstr(st, "\"f01\":\"1\"") && strstr(st, "\"new\":1") && strstr(st, "\"records\":3"), "an older value does not replace a newer one; a new field is kept");

    /* keys: 42 and "42" are two devices; a missing key is rejected */
    CHECK(add("{\"deviceId\":42,\"timestamp\":1}") == 0 && add("{\"deviceId\":\"42\",\"timestamp\":1}") == 0, "42 and \"42\"");
    CHECK(iot_devstate_count(S) == 4, "four devices");
    iot_diag.quiet = true;
    CHECK(add("{\"timestamp\":1}") == -1 && add("{\"deviceId\":\"c\"}") == -1 && add("{\"deviceId\":\"c\",\"timestamp\":1") == -1,
          "missing key, missing time, bad JSON are rejected");
    iot_buf_free(&b);
    iot_devstate_free(S);
    int rc = unit_done();
    return rc;
}
