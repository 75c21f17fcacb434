/* Unit tests for the byte-preserving record edits (iot_rec_open_edit / member / close). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "core/buf.h"
#include "core/out.h"
#include "core/rec.h"

static char file[] = "/tmp/iot-test-edit-XXXXXX";

/* Drops the named top-level fields (comma list, may be empty) and appends "x":1 if add. */
static const char *edit(const char *line, const char *drop, int add)
{
    static char result[4096];
    struct iot_fields *f = iot_fields_new();
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", drop);
    int nd = 0;
    for (char *t = strtok(tmp, ","); t; t = strtok(NULL, ",")) { iot_fields_add(f, t); nd++; }
    struct iot_val v[8];
    const struct iot_val *dv[8];
    if (iot_rec_scan(f, line, strlen(line), v, NULL)) return "SCAN ERROR";
    for (int i = 0; i < nd; i++) dv[i] = &v[i];
    struct iot_out *o = iot_out_open(file, 0);
    int n = iot_rec_open_edit(o, line, strlen(line), dv, nd);
    if (add) { iot_rec_member(o, &n, "x"); iot_out_json_int(o, 1); }
    iot_rec_close(o);
    iot_out_close(o);
    FILE *fp = fopen(file, "r");
    size_t k = fread(result, 1, sizeof result - 1, fp);
    fclose(fp);
    result[k] = 0;
    if (k && result[k - 1] == '\n') result[k - 1] = 0;
    iot_fields_free(f);
    return result;
}

int main(void)
{
    int fd = mkstemp(file);
    if (fd < 0) return 1;
    const char *L = "{\"a\":1.50,\"b\":\"x\",\"c\":[1, 2]}";
    CHECK_STR(edit(L, "", 1), "{\"a\":1.50,\"b\":\"x\",\"c\":[1, 2],\"x\":1}", "append keeps bytes (1.50 stays)");
    CHECK_STR(edit(L, "a", 1), "{\"b\":\"x\",\"c\":[1, 2],\"x\":1}", "drop first");
    CHECK_STR(edit(L, "b", 1), "{\"a\":1.50,\"c\":[1, 2],\"x\":1}", "drop middle");
    CHECK_STR(edit(L, "c", 1), "{\"a\":1.50,\"b\":\"x\",\"x\":1}", "drop last");
    CHECK_STR(edit(L, "a,b", 1), "{\"c\":[1, 2],\"x\":1}", "drop first two");
    CHECK_STR(edit(L, "b,c", 1), "{\"a\":1.50,\"x\":1}", "drop last two");
    CHECK_STR(edit(L, "a,c", 1), "{\"b\":\"x\",\"x\":1}", "drop first and last");
    CHECK_STR(edit(L, "a,b,c", 1), "{\"x\":1}", "drop all then add");
    CHECK_STR(edit(L, "a,b,c", 0), "{}", "drop all");
    CHECK_STR(edit("{}", "", 1), "{\"x\":1}", "add to empty object");
    CHECK_STR(edit("{ \"a\" : 1 , \"b\" : 2 }  ", "a", 1), "{ \"b\" : 2 ,\"x\":1}", "spaces kept, trailing space after } dropped");
    CHECK_STR(edit("{\"a\":{\"x\":1},\"b\":2}", "a", 0), "{\"b\":2}", "drop an object value");
    CHECK_STR(edit("{\"a\":1,\"b\":2}", "zz", 1), "{\"a\":1,\"b\":2,\"x\":1}", "dropping an absent field changes nothing");
    unlink(file);
    return unit_done();
}
