/* libFuzzer target: the schema loader (lib/ingest/schema, iot-ingest --schema). Input: a schema
 * (JSON text up to the first NUL byte), then NDJSON records (one a line) to check against it.
 * A schema is compiled or refused with a usage error (iot_die, caught here: see fuzz.h), never a
 * crash; checking a record gives 0, or -1 with a reason. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "core/buf.h"
#include "core/rec.h"
#include "ingest/schema.h"

FUZZ_NO_LEAK_CHECK

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - (const char *)data) : size;
    char *text = malloc(tlen + 1);
    memcpy(text, data, tlen);
    text[tlen] = 0;
    struct iot_fields *f = iot_fields_new();
    static struct iot_schema *volatile s;
    s = NULL;
    if (setjmp(fuzz_jump) == 0) {
        fuzz_armed = 1;
        s = iot_schema_compile(text, "fuzz.json", f);
        fuzz_armed = 0;
    }
    if (s) {
        int nf = iot_fields_count(f);
        struct iot_val *v = calloc((size_t)nf + 1, sizeof *v);
        struct iot_buf why = {0};
        if (iot_schema_check(s, v, &why) < 0 && why.len == 0) abort();   /* all absent */
        const char *p = nul ? nul + 1 : (const char *)data + size, *end = (const char *)data + size;
        for (int records = 0; p < end && records < 64; records++) {
            const char *ln = memchr(p, '\n', (size_t)(end - p));
            const char *stop = ln ? ln : end;
            size_t n = (size_t)(stop - p);
            char *line = malloc(n + 1);
            memcpy(line, p, n);
            line[n] = 0;
            const char *err;
            if (iot_rec_scan(f, line, n, v, &err) == 0 && iot_schema_check(s, v, &why) < 0 && why.len == 0)
                abort();            /* a failure always says why */
            free(line);
            p = ln ? ln + 1 : end;
        }
        iot_buf_free(&why);
        free(v);
        iot_schema_free(s);
    }
    iot_fields_free(f);
    free(text);
    return 0;
}
