/* anorule: rule text. See anorule.h. */
#include "anorule.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/time.h"

static const char *const sev_names[] = { "info", "warning", "error", "critical" };

int iot_sev_parse(const char *s, size_t n)
{
    for (int i = 0; i < 4; i++)
        if (strlen(sev_names[i]) == n && strncasecmp(s, sev_names[i], n) == 0)
            return i;
    return -1;
}

const char *iot_sev_name(enum iot_sev s) { return sev_names[s]; }

static int fail(char *err, size_t cap, size_t col, const char *what)
{
    snprintf(err, cap, "column %zu: %s", col + 1, what);
    return -1;
}

/* Offset of the next stand-alone word w at or after from, outside quotes and backticks, or -1. */
static long find_word(const char *t, size_t from, const char *w)
{
    size_t wl = strlen(w);
    char q = 0;
    for (size_t i = from; t[i]; i++) {
        char c = t[i];
        if (q) {
            if (c == '\\' && q != '`' && t[i + 1]) i++;
            else if (c == q) q = 0;
            continue;
        }
        if (c == '"' || c == '\'' || c == '`') { q = c; continue; }
        if ((i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t') && strncmp(t + i, w, wl) == 0 &&
            (t[i + wl] == ' ' || t[i + wl] == '\t' || !t[i + wl]))
            return (long)i;
    }
    return -1;
}

/* Compiles t[a, b) as a condition; errors point into the whole rule. */
static struct iot_expr *cond(const char *t, size_t a, size_t b, struct iot_fields *f, char *err, size_t cap)
{
    char *s = strndup(t + a, b - a);
    char e[200];
    struct iot_expr *x = iot_expr_compile(s, f, e, sizeof e);
    free(s);
    if (x) return x;
    size_t col;
    int used;
    if (sscanf(e, "column %zu: %n", &col, &used) == 1)
        snprintf(err, cap, "column %zu: %s", a + col, e + used);
    else
        snprintf(err, cap, "column %zu: %s", a + 1, e);
    return NULL;
}

/* A duration t[a, b) (spaces around it allowed), > 0. */
static int duration(const char *t, size_t a, size_t b, int64_t *ns, char *err, size_t cap)
{
    while (a < b && (t[a] == ' ' || t[a] == '\t')) a++;
    while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\t')) b--;
    if (a == b) return fail(err, cap, a, "expected a duration after 'for'");
    char d[64];
    if (b - a >= sizeof d) return fail(err, cap, a, "not a duration");
    memcpy(d, t + a, b - a);
    d[b - a] = 0;
    if (iot_dur_parse(d, ns) < 0) return fail(err, cap, a, "not a duration (500ms, 30s, 5m, 1h, 7d)");
    if (*ns <= 0) return fail(err, cap, a, "a duration must be more than zero");
    return 0;
}

/* CONDITION [for DURATION] in t[a, b). */
static int part(const char *t, size_t a, size_t b, struct iot_fields *f, struct iot_expr **e,
                int64_t *ns, char *err, size_t cap)
{
    long fo = find_word(t, a, "for");
    if (fo >= (long)b) fo = -1;
    size_t ce = fo >= 0 ? (size_t)fo : b;
    *ns = 0;
    if (fo >= 0 && duration(t, (size_t)fo + 3, b, ns, err, cap) < 0) return -1;
    *e = cond(t, a, ce, f, err, cap);
    return *e ? 0 : -1;
}

int iot_anorule_compile(struct iot_anorule *r, const char *t, struct iot_fields *f, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    const char *colon = strchr(t, ':');
    if (!colon) return fail(err, errcap, strlen(t), "expected 'NAME: CONDITION'");
    size_t a = 0, b = (size_t)(colon - t);
    while (a < b && (t[a] == ' ' || t[a] == '\t')) a++;
    while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\t')) b--;
    const char *slash = memchr(t + a, '/', b - a);
    size_t ne = slash ? (size_t)(slash - t) : b;
    if (a == ne) return fail(err, errcap, a, "empty rule name");
    for (size_t i = a; i < ne; i++) {
        char c = t[i];
        if (!(c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')))
            return fail(err, errcap, i, "a rule name is letters, digits, '_', '-' or '.'");
    }
    int sev = slash ? iot_sev_parse(slash + 1, (size_t)(t + b - slash - 1))
                    : iot_sev_parse(t + a, ne - a);
    if (slash && sev < 0)
        return fail(err, errcap, (size_t)(slash + 1 - t), "severity is critical, error, warning or info");
    if (sev < 0) sev = IOT_SEV_WARNING;
    size_t c0 = (size_t)(colon - t) + 1, end = strlen(t);
    long cl = find_word(t, c0, "clear");
    struct iot_expr *e = NULL, *ce = NULL;
    int64_t for_ns, clear_for = 0;
    if (part(t, c0, cl >= 0 ? (size_t)cl : end, f, &e, &for_ns, err, errcap) < 0) return -1;
    if (cl >= 0 && part(t, (size_t)cl + 5, end, f, &ce, &clear_for, err, errcap) < 0) {
        iot_expr_free(e);
        return -1;
    }
    r->name = strndup(t + a, ne - a);
    r->sev = (enum iot_sev)sev;
    r->severity = sev_names[sev];
    r->e = e;
    r->for_ns = for_ns;
    r->clear = ce;
    r->clear_for = clear_for;
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
    iot_expr_free(r->clear);
    free(r->name);
}
