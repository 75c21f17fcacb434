/* libFuzzer target: the CSV reader (lib/ingest/csvin). Byte 0 picks the delimiter and whether
 * column names are given; the rest is fed line by line as iot_in would, with a reset (a new
 * file) at every form feed. Checks what csvin promises: a completed record is one valid JSON
 * object (iot_rec_scan accepts it) and the values bound with iot_csvin_bind are the ones
 * iot_rec_scan finds in it. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "core/buf.h"
#include "core/rec.h"
#include "ingest/csvin.h"

static const char *const names[] = { "deviceId", "timestamp", "temperature", "a.b", "" };
enum { NF = 5 };

static void check_record(const struct iot_fields *f, const struct iot_buf *out, const struct iot_val *bound)
{
    struct iot_val v[NF];
    const char *err;
    if (iot_rec_scan(f, out->p, out->len, v, &err) != 0) {
        fprintf(stderr, "csvin wrote invalid JSON (%s): %.*s\n", err, (int)out->len, out->p);
        abort();
    }
    for (int k = 0; k < NF; k++) {
        if (v[k].type != bound[k].type || v[k].n != bound[k].n ||
            (v[k].type != IOT_J_ABSENT && memcmp(v[k].p, bound[k].p, v[k].n) != 0)) {
            fprintf(stderr, "bound value %d (%s) differs from the scanned one in %.*s\n", k, names[k],
                    (int)out->len, out->p);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct iot_fields *f;
    if (!f) {
        f = iot_fields_new();
        for (int k = 0; k < NF; k++) iot_fields_add(f, names[k]);
    }
    if (size == 0) return 0;
    static const char delims[] = { ',', ';', '\t', '|' };
    char delim = delims[data[0] & 3];
    char *cols[] = { "deviceId", "temperature", "deviceId", "x" };
    struct iot_csvin *c = iot_csvin_new(delim, (data[0] & 4) ? cols : NULL, (data[0] & 4) ? 4 : 0,
                                        (data[0] & 8) ? 64 : 0);
    struct iot_val bound[NF];
    iot_csvin_bind(c, f, bound);
    struct iot_buf out = {0};
    const char *err;
    size_t len;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (stop - p == 1 && *p == '\f') {
            iot_csvin_finish(c, &err);
            iot_csvin_reset(c);
        } else {
            /* a copy of exactly the line's bytes, so ASan sees any read past its end */
            char *line = malloc((size_t)(stop - p) + 1);
            memcpy(line, p, (size_t)(stop - p));
            int r = iot_csvin_line(c, line, (size_t)(stop - p), &out, &err);
            if (r == 1) check_record(f, &out, bound);
            if (r != 0) {
                const char *raw = iot_csvin_raw(c, &len);
                if (len && !raw) abort();
                iot_csvin_first_line(c);
            }
            free(line);
        }
        p = nl ? nl + 1 : end;
    }
    if (iot_csvin_finish(c, &err) < 0)
        iot_csvin_raw(c, &len);
    iot_csvin_ncolumns(c);
    iot_csvin_free(c);
    iot_buf_free(&out);
    iot_csvin_is_number((const char *)data, size);
    iot_csvin_utf8_ok((const char *)data, size);
    return 0;
}
