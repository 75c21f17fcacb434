/* anorule: iot-anomaly's --rule 'NAME: CONDITION' in the shared condition language (core/expr.h).
 * NAME is letters, digits, '_', '-' or '.'; its severity is the name when that is one of
 * critical, error, warning or info (any case), else warning. */
#ifndef IOT_ANORULE_H
#define IOT_ANORULE_H
#include <stddef.h>
#include "core/expr.h"

struct iot_anorule {
    char *name;              /* owned */
    const char *severity;    /* static */
    struct iot_expr *e;      /* owned */
};

/* Compiles text, registering the fields it reads in f. Returns 0, or -1 with "what is wrong"
 * in err (errcap bytes; the caller adds the rule text) and nothing to free. */
int iot_anorule_compile(struct iot_anorule *r, const char *text, struct iot_fields *f,
                        char *err, size_t errcap);
/* The first rule of r[0..n) whose condition is true for vals, or NULL. */
const struct iot_anorule *iot_anorule_match(const struct iot_anorule *r, int n, const struct iot_val *vals);
void iot_anorule_free(struct iot_anorule *r);
#endif
