/* libFuzzer target: the record scanner, field accessors, time parsing and byte-preserving edits
 * must never crash, read out of bounds or loop on any input. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "core/buf.h"
#include "core/out.h"
#include "core/key.h"
#include "core/rec.h"
#include "core/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct iot_fields *f;
    static struct iot_out *o;
    if (!f) {
        f = iot_fields_new();
        iot_fields_add(f, "deviceId");
        iot_fields_add(f, "timestamp");
        iot_fields_add(f, "temperature");
        iot_fields_add(f, "a.b");
        o = iot_out_open("/dev/null", 0);
    }
    char *line = malloc(size + 1);
    memcpy(line, data, size);
    line[size] = 0;
    struct iot_val v[4];
    const char *err;
    if (iot_rec_scan(f, line, size, v, &err) == 0) {
        struct iot_buf b = {0};
        double d;
        int64_t i, ns;
        for (int k = 0; k < 4; k++) {
            iot_val_num(&v[k], &d);
            iot_val_i64(&v[k], &i);
            iot_val_str(&v[k], &b);
            iot_key_part(&v[k], &b);
            iot_val_time(&v[k], 0, &ns, NULL);
        }
        const struct iot_val *drop[2] = { &v[0], &v[2] };
        iot_rec_open_edit(o, line, size, drop, 2);
        iot_out_flush(o);
        iot_buf_free(&b);
    }
    int64_t ns;
    iot_time_parse(line, size, &ns, NULL);
    iot_time_epoch(line, size, 0, &ns, NULL);
    iot_dur_parse(line, &ns);
    free(line);
    return 0;
}
