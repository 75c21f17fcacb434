/* Unit tests for lib/core/cli.c option helpers and lib/core/buf.c. */
#include <stdlib.h>
#include "unit.h"
#include "core/buf.h"
#include "core/cli.h"

int main(void)
{
    int n;
    char **v = iot_split("a,b,,c", ',', &n);
    CHECK(n == 4 && strcmp(v[0], "a") == 0 && strcmp(v[2], "") == 0 && strcmp(v[3], "c") == 0 && !v[4], "split keeps empty parts");
    iot_strv_free(v);
    v = iot_split("", ',', &n);
    CHECK(n == 1 && strcmp(v[0], "") == 0, "split of empty string");
    iot_strv_free(v);
    CHECK(iot_cli_int("--n", "42", 0, 100) == 42, "int option");
    CHECK(iot_cli_duration("--d", "1m") == 60000000000LL, "duration option");
    CHECK(iot_cli_time("--t", "2026-01-01T00:00:00Z") == 1767225600000000000LL, "time option");
    struct iot_buf b = {0};
    iot_buf_json_str(&b, "a\"b\n\x01", 5);
    CHECK_STR(b.p, "\"a\\\"b\\n\\u0001\"", "buf json string");
    iot_buf_reset(&b);
    iot_buf_addf(&b, "%d-%s", 7, "x");
    iot_buf_json_num(&b, 0.5);
    CHECK_STR(b.p, "7-x0.5", "addf and number");
    for (int i = 0; i < 100000; i++) iot_buf_addc(&b, 'z');
    CHECK(b.len == 100006 && b.p[b.len] == 0, "growth keeps NUL");
    iot_buf_free(&b);
    return unit_done();
}
