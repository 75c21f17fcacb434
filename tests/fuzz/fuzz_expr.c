/* libFuzzer target: the expression language (lib/core/expr) of iot-route, iot-anomaly --rule and
 * iot-predict --reset-on/--label-from. Input: an expression, a newline, then NDJSON records to
 * evaluate it on. Compiling must refuse or succeed with a message (never crash, never loop);
 * evaluation must give consistent answers: match is true exactly when truth is 1, and a value
 * written by iot_expr_json is valid JSON (wrapped as {"v":...}, the record scanner accepts it).
 * `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "core/buf.h"
#include "core/expr.h"
#include "core/rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - (const char *)data) : size;
    char *text = malloc(tlen + 1);
    memcpy(text, data, tlen);
    text[tlen] = 0;
    struct iot_fields *f = iot_fields_new();
    char err[200];
    struct iot_expr *e = iot_expr_compile(text, f, err, sizeof err);
    if (!e) {
        if (!err[0]) abort();       /* a refusal always says why */
    } else {
        int nf = iot_fields_count(f);
        struct iot_val *v = calloc((size_t)nf + 1, sizeof *v);
        const char *p = nl ? nl + 1 : (const char *)data + size, *end = (const char *)data + size;
        int records = 0;
        do {        /* at least once with every field absent */
            const char *ln = memchr(p, '\n', (size_t)(end - p));
            const char *stop = ln ? ln : end;
            size_t n = (size_t)(stop - p);
            char *line = malloc(n + 1);
            memcpy(line, p, n);
            line[n] = 0;
            const char *serr;
            int ok = records == 0 && n == 0 ? (memset(v, 0, sizeof *v * (size_t)(nf + 1)), 0)
                                            : iot_rec_scan(f, line, n, v, &serr);
            if (ok == 0) {
                bool m = iot_expr_match(e, v);
                int t = iot_expr_truth(e, v);
                if (m != (t == 1)) abort();
                double d;
                iot_expr_number(e, v, &d);
                const char *s;
                size_t sn;
                if (iot_expr_string(e, v, &s, &sn) == 0 && sn && !s) abort();
                if (iot_expr_match(e, v) != m) abort();     /* evaluation has no memory */
                struct iot_buf j = { 0 };
                const char *xe = NULL;
                iot_buf_adds(&j, "{\"v\":");
                int rc = iot_expr_json(e, v, &j, &xe);
                if (rc < 0 && !xe) abort();             /* an error always says why */
                if (rc > 0) {
                    iot_buf_addc(&j, '}');
                    if (iot_rec_scan(NULL, j.p, j.len, NULL, &serr)) abort();
                }
                iot_buf_free(&j);
            }
            free(line);
            records++;
            p = ln ? ln + 1 : end;
        } while (p < end && records < 64);
        free(v);
        iot_expr_free(e);
    }
    iot_fields_free(f);
    free(text);
    return 0;
}
