/* Unit tests for lib/schema: the JSON Schema subset checked on scanned records. */
#include <stdlib.h>
#include "unit.h"
#include "ingest/schema.h"

static struct iot_fields *f;
static struct iot_schema *s;
static struct iot_buf why;

static const char *check(const char *line)
{
    struct iot_val vals[64];
    const char *err;
    if (iot_rec_scan(f, line, strlen(line), vals, &err) != 0)
        return err;
    return iot_schema_check(s, vals, &why) == 0 ? "ok" : why.p;
}

int main(void)
{
    f = iot_fields_new();
    s = iot_schema_compile(
        "{\"type\":\"object\",\"required\":[\"deviceId\",\"timestamp\"],"
        "\"properties\":{"
        "\"deviceId\":{\"type\":\"string\",\"pattern\":\"^dev-[0-9]+$\",\"maxLength\":12},"
        "\"temperature\":{\"type\":\"number\",\"minimum\":-50,\"maximum\":200},"
        "\"count\":{\"type\":\"integer\",\"exclusiveMinimum\":0},"
        "\"status\":{\"enum\":[\"ok\",\"warn\",1,true,null]},"
        "\"flag\":{\"type\":[\"boolean\",\"null\"]},"
        "\"properties\":{\"type\":\"object\",\"required\":[\"priority\"],"
        "  \"properties\":{\"priority\":{\"enum\":[\"low\",\"high\"]}}}}}", "test.json", f);
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"temperature\":21.5}"), "ok", "valid record");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"temperature\":1e9}"),
              "temperature: 1e9 above maximum 200", "above maximum, raw text kept");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"temperature\":-50.5}"),
              "temperature: -50.5 below minimum -50", "below minimum");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"temperature\":1}"), "timestamp: missing (required)",
              "required without a property schema");
    CHECK_STR(check("{\"timestamp\":1}"), "deviceId: missing (required)", "required");
    CHECK_STR(check("{\"deviceId\":7,\"timestamp\":1}"), "deviceId: expected string, got 7", "type");
    CHECK_STR(check("{\"deviceId\":\"pump-1\",\"timestamp\":1}"),
              "deviceId: \"pump-1\" does not match pattern ^dev-[0-9]+$", "pattern");
    CHECK_STR(check("{\"deviceId\":\"dev-1234567890\",\"timestamp\":1}"),
              "deviceId: longer than maxLength 12", "maxLength");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"count\":2.0}"), "ok", "2.0 is an integer");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"count\":2.5}"),
              "count: expected integer, got 2.5", "2.5 is not an integer");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"count\":0}"),
              "count: 0 not above exclusiveMinimum 0", "exclusiveMinimum");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"status\":\"warn\"}"), "ok", "enum string");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"status\":\"w\\u0061rn\"}"), "ok",
              "enum compares unescaped strings");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"status\":1.0}"), "ok", "enum number");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"status\":null}"), "ok", "enum null");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"status\":false}"),
              "status: false not in enum", "enum miss");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"flag\":\"x\"}"),
              "flag: expected boolean or null, got \"x\"", "type array");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"properties\":{}}"),
              "properties.priority: missing (required)", "nested required");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"properties\":{\"priority\":\"mid\"}}"),
              "properties.priority: \"mid\" not in enum", "nested enum");
    CHECK_STR(check("{\"deviceId\":\"dev-1\",\"timestamp\":1,\"properties\":{\"priority\":\"low\"}}"), "ok",
              "nested ok");
    iot_schema_free(s);
    iot_fields_free(f);
    iot_buf_free(&why);
    return unit_done();
}
