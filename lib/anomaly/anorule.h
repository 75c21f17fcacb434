/* anorule: iot-anomaly's --rule text in the shared condition language (core/expr.h):
 *   NAME[/SEVERITY]: CONDITION [for DURATION] [clear CONDITION [for DURATION]]
 * NAME is letters, digits, '_', '-' or '.'; SEVERITY is critical, error, warning or info (any
 * case); without it, a NAME that is one of those gives that severity, any other warning.
 * `for` and `clear` are keywords where they stand alone between spaces outside quotes; a field of
 * that name is written `for`. Durations as elsewhere (500ms 30s 5m 1h 7d), > 0. */
#ifndef IOT_ANORULE_H
#define IOT_ANORULE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/expr.h"

enum iot_sev { IOT_SEV_INFO, IOT_SEV_WARNING, IOT_SEV_ERROR, IOT_SEV_CRITICAL };

struct iot_anorule {
    char *name;              /* owned */
    const char *severity;    /* static: "critical" ... "info" */
    enum iot_sev sev;
    struct iot_expr *e;      /* owned: the raise condition */
    int64_t for_ns;          /* 0: raise at the first matching record */
    struct iot_expr *clear;  /* owned, or NULL: clear when the condition has been false for for_ns */
    int64_t clear_for;       /* with clear: how long it must hold (0: at once) */
};

/* Compiles text, registering the fields it reads in f. Returns 0, or -1 with "column N: what is
 * wrong" (N counts from 1 in text) in err (errcap bytes) and nothing to free. */
int iot_anorule_compile(struct iot_anorule *r, const char *text, struct iot_fields *f,
                        char *err, size_t errcap);
/* The first rule of r[0..n) whose condition is true for vals, or NULL. */
const struct iot_anorule *iot_anorule_match(const struct iot_anorule *r, int n, const struct iot_val *vals);
/* Severity by name (any case) or -1. */
int iot_sev_parse(const char *s, size_t n);
const char *iot_sev_name(enum iot_sev s);
void iot_anorule_free(struct iot_anorule *r);
#endif
