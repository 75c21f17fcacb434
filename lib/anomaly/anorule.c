/* anorule: rule text. See anorule.h. */
#include "anorule.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

static const char *severity_of(const char *name)
{
    static const char *const s[] = { "critical", "error", "warning", "info" };
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, s[i]) == 0)
            return s[i];
    return "warning";
}

int iot_anorule_compile(struct iot_anorule *r, const char *t, struct iot_fields *f, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    const char *colon = strchr(t, ':');
    if (!colon) { snprintf(err, errcap, "expected 'NAME: EXPR'"); return -1; }
    const char *a = t, *b = colon;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    if (a == b) { snprintf(err, errcap, "empty rule name"); return -1; }
    for (const char *c = a; c < b; c++)
        if (!(c[0] == '_' || c[0] == '-' || c[0] == '.' || (c[0] >= '0' && c[0] <= '9') ||
              ((c[0] | 32) >= 'a' && (c[0] | 32) <= 'z'))) {
            snprintf(err, errcap, "a rule name is letters, digits, '_', '-' or '.'");
            return -1;
        }
    r->e = iot_expr_compile(colon + 1, f, err, errcap);
    if (!r->e) return -1;
    r->name = strndup(a, (size_t)(b - a));
    r->severity = severity_of(r->name);
    return 0;
}

const struct iot_anorule *iot_anorule_match(const struct iot_anorule *r, int n, const struct iot_val *vals)
{
    for (int i = 0; i < n; i++)
        if (iot_expr_match(r[i].e, vals))
            return &r[i];
    return NULL;
}

void iot_anorule_free(struct iot_anorule *r)
{
    iot_expr_free(r->e);
    free(r->name);
}
