/* Benchmark driver: reads NDJSON and extracts 4 fields of each record (deviceId, timestamp,
 * temperature, vibration) with the validating scanner, converting the numbers and the time,
 * as every tool's hot path does. Prints lines and a checksum so the work cannot be skipped. */
#include <stdio.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/rec.h"

int main(int argc, char **argv)
{
    iot_diag_init("scan");
    struct iot_fields *f = iot_fields_new();
    int fid = iot_fields_add(f, "deviceId"), ft = iot_fields_add(f, "timestamp"),
        fx = iot_fields_add(f, "temperature"), fv = iot_fields_add(f, "vibration");
    struct iot_in *in = iot_in_open(argv + 1, argc - 1, 0);
    char *line;
    size_t len;
    struct iot_src src;
    struct iot_val v[4];
    double sum = 0;
    long long n = 0, bad = 0, idlen = 0;
    while (iot_in_next(in, &line, &len, &src)) {
        const char *err;
        int64_t ns;
        double a, b;
        if (iot_rec_scan(f, line, len, v, &err) || iot_val_time(&v[ft], 0, &ns, NULL) ||
            iot_val_num(&v[fx], &a) || iot_val_num(&v[fv], &b)) { bad++; continue; }
        idlen += (long long)v[fid].n;
        sum += a + b + (double)(ns % 1000);
        n++;
    }
    printf("records %lld bad %lld checksum %.6g %lld\n", n, bad, sum, idlen);
    return 0;
}
