/* route: route text and JSON route files into a table of compiled routes. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "route.h"

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

/* Re-bases "column N: ..." from compiling a piece that starts at offset off of the whole text. */
static void shift_column(char *err, size_t errcap, size_t off)
{
    size_t col;
    int used = 0;
    if (sscanf(err, "column %zu: %n", &col, &used) == 1 && used > 0) {
        char rest[900];
        snprintf(rest, sizeof rest, "%s", err + used);
        snprintf(err, errcap, "column %zu: %.880s", col + off, rest);
    }
}

static int add_route(struct iot_routes *rt, const char *name, size_t nn, const char *cond, size_t cn,
                     size_t cond_off, char **eps_text, int neps, bool enabled, struct iot_fields *f,
                     struct iot_eps *eps, char *err, size_t errcap)
{
    char auto_name[32];
    if (!name) {
        nn = (size_t)snprintf(auto_name, sizeof auto_name, "r%d", rt->n + 1);
        name = auto_name;
    }
    if (!name_ok(name, nn)) {
        snprintf(err, errcap, "route name '%.*s': use 1 to 64 of A-Z a-z 0-9 . _ -", (int)(nn > 80 ? 80 : nn), name);
        return -1;
    }
    for (int i = 0; i < rt->n; i++)
        if (strlen(rt->r[i].name) == nn && memcmp(rt->r[i].name, name, nn) == 0) {
            snprintf(err, errcap, "route '%.*s' is defined twice", (int)nn, name);
            return -1;
        }
    if (neps == 0) {
        snprintf(err, errcap, "route '%.*s' has no endpoint", (int)nn, name);
        return -1;
    }
    struct iot_route r = { 0 };
    r.enabled = enabled;
    while (cn && (cond[0] == ' ' || cond[0] == '\t')) { cond++; cn--; cond_off++; }
    while (cn && (cond[cn - 1] == ' ' || cond[cn - 1] == '\t')) cn--;
    r.cond_text = iot_xmalloc(cn + 1);
    memcpy(r.cond_text, cond, cn);
    r.cond_text[cn] = 0;
    if (cn && strcmp(r.cond_text, "*") != 0) {
        char sub[1024];
        r.cond = iot_expr_compile(r.cond_text, f, sub, sizeof sub);
        if (!r.cond) {
            shift_column(sub, sizeof sub, cond_off);
            snprintf(err, errcap, "route '%.*s': %s", (int)nn, name, sub);
            free(r.cond_text);
            return -1;
        }
    }
    r.ep = iot_xcalloc((size_t)neps, sizeof *r.ep);
    for (int i = 0; i < neps; i++) {
        char sub[1024];
        struct iot_ep *ep = iot_eps_add(eps, eps_text[i], sub, sizeof sub);
        if (!ep) {
            snprintf(err, errcap, "route '%.*s': %s", (int)nn, name, sub);
            iot_expr_free(r.cond);
            free(r.cond_text);
            free(r.ep);
            return -1;
        }
        bool dup = false;
        for (int k = 0; k < r.nep; k++) dup |= r.ep[k] == ep;
        if (!dup) r.ep[r.nep++] = ep;
    }
    r.name = iot_xmalloc(nn + 1);
    memcpy(r.name, name, nn);
    r.name[nn] = 0;
    rt->r = iot_xrealloc(rt->r, (size_t)(rt->n + 1) * sizeof *rt->r);
    rt->r[rt->n++] = r;
    return 0;
}

static bool word_is(const char *s, const char *w)
{
    size_t n = strlen(w);
    return strncmp(s, w, n) == 0 && (s[n] == 0 || s[n] == ',' || s[n] == ' ' || s[n] == '\t');
}

/* A comma followed by one of these starts the next endpoint; other commas belong to a command. */
static bool starts_endpoint(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return strncmp(s, "file:", 5) == 0 || strncmp(s, "exec:", 5) == 0 || strncmp(s, "sh:", 3) == 0
           || word_is(s, "-") || word_is(s, "drop") || word_is(s, "stdout");
}

int iot_routes_add_text(struct iot_routes *rt, const char *text, struct iot_fields *f,
                        struct iot_eps *eps, char *err, size_t errcap)
{
    /* "=>" outside quotes */
    const char *arrow = NULL;
    char q = 0;
    for (const char *p = text; *p; p++) {
        if (q) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == q) q = 0;
        } else if (*p == '\'' || *p == '"') {
            q = *p;
        } else if (p[0] == '=' && p[1] == '>') {
            arrow = p;
            break;
        }
    }
    if (!arrow) {
        snprintf(err, errcap, "column %zu: expected '=>' and the endpoints (NAME: CONDITION => ENDPOINT, ...)",
                 strlen(text) + 1);
        return -1;
    }
    /* optional "NAME:" */
    const char *name = NULL, *cond = text;
    size_t nn = 0;
    const char *p = text;
    while (*p == ' ' || *p == '\t') p++;
    const char *ns = p;
    while (p < arrow && *p != ':' && *p != ' ' && *p != '\t' && *p != '(' && *p != '\'' && *p != '"') p++;
    const char *ne = p;
    while (p < arrow && (*p == ' ' || *p == '\t')) p++;
    if (p < arrow && *p == ':' && ne > ns) {
        name = ns;
        nn = (size_t)(ne - ns);
        cond = p + 1;
        if (!name_ok(name, nn)) {
            snprintf(err, errcap, "column %zu: route name '%.*s': use 1 to 64 of A-Z a-z 0-9 . _ -",
                     (size_t)(ns - text) + 1, (int)(nn > 80 ? 80 : nn), name);
            return -1;
        }
    }
    /* endpoints: split at commas that start a new endpoint */
    const char *e = arrow + 2;
    char **eptext = NULL;
    int neps = 0;
    while (*e) {
        while (*e == ' ' || *e == '\t') e++;
        const char *st = e;
        const char *c = e;
        for (;;) {
            c = strchr(c, ',');
            if (!c || starts_endpoint(c + 1)) break;
            c++;
        }
        const char *end = c ? c : st + strlen(st);
        const char *t = end;
        while (t > st && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if (t == st) {
            snprintf(err, errcap, "column %zu: empty endpoint", (size_t)(st - text) + 1);
            for (int i = 0; i < neps; i++) free(eptext[i]);
            free(eptext);
            return -1;
        }
        eptext = iot_xrealloc(eptext, (size_t)(neps + 1) * sizeof *eptext);
        eptext[neps] = iot_xmalloc((size_t)(t - st) + 1);
        memcpy(eptext[neps], st, (size_t)(t - st));
        eptext[neps][t - st] = 0;
        neps++;
        e = c ? c + 1 : end;
    }
    if (neps == 0 && is_blank(arrow + 2, strlen(arrow + 2))) {
        snprintf(err, errcap, "column %zu: expected an endpoint after '=>'", strlen(text) + 1);
        return -1;
    }
    int rc = add_route(rt, name, nn, cond, (size_t)(arrow - cond), (size_t)(cond - text), eptext, neps,
                       true, f, eps, err, errcap);
    for (int i = 0; i < neps; i++) free(eptext[i]);
    free(eptext);
    return rc;
}

static int load_one(struct iot_routes *rt, const char *name, json_t *o, struct iot_fields *f,
                    struct iot_eps *eps, char *err, size_t errcap)
{
    if (!json_is_object(o)) { snprintf(err, errcap, "a route must be an object"); return -1; }
    json_t *jn = json_object_get(o, "name");
    if (!name && jn) {
        if (!json_is_string(jn)) { snprintf(err, errcap, "route name must be a string"); return -1; }
        name = json_string_value(jn);
    }
    json_t *jc = json_object_get(o, "condition");
    const char *cond = "";
    if (jc && !json_is_null(jc)) {
        if (!json_is_string(jc)) { snprintf(err, errcap, "route '%s': condition must be a string", name ? name : "?"); return -1; }
        cond = json_string_value(jc);
    }
    json_t *je = json_object_get(o, "enabled");
    bool enabled = true;
    if (je) {
        if (!json_is_boolean(je)) { snprintf(err, errcap, "route '%s': enabled must be true or false", name ? name : "?"); return -1; }
        enabled = json_is_true(je);
    }
    char *list[64];
    int n = 0;
    json_t *jl = json_object_get(o, "endpoints");
    if (!jl) jl = json_object_get(o, "endpoint");
    if (json_is_string(jl)) {
        list[n++] = (char *)json_string_value(jl);
    } else if (json_is_array(jl)) {
        size_t i;
        json_t *v;
        json_array_foreach(jl, i, v) {
            if (!json_is_string(v) || n == 64) {
                snprintf(err, errcap, "route '%s': endpoints must be at most 64 strings", name ? name : "?");
                return -1;
            }
            list[n++] = (char *)json_string_value(v);
        }
    } else {
        snprintf(err, errcap, "route '%s': needs \"endpoints\": [\"file:...\", ...]", name ? name : "?");
        return -1;
    }
    return add_route(rt, name, name ? strlen(name) : 0, cond, strlen(cond), 0, list, n, enabled, f, eps, err, errcap);
}

int iot_routes_load(struct iot_routes *rt, const char *path, struct iot_fields *f,
                    struct iot_eps *eps, char *err, size_t errcap)
{
    json_error_t je;
    FILE *fp = fopen(path, "r");
    if (!fp) { snprintf(err, errcap, "%s: %s", path, strerror(errno)); return -2; }
    json_t *j = json_loadf(fp, 0, &je);
    fclose(fp);
    if (!j) { snprintf(err, errcap, "%s:%d: %s", path, je.line, je.text); return -1; }
    char sub[1200];
    int rc = 0;
    json_t *routes = json_is_object(j) ? json_object_get(j, "routes") : json_is_array(j) ? j : NULL;
    if (!routes) { snprintf(err, errcap, "%s: expected {\"routes\": [...]}", path); json_decref(j); return -1; }
    if (json_is_array(routes)) {
        size_t i;
        json_t *v;
        json_array_foreach(routes, i, v) {
            if (load_one(rt, NULL, v, f, eps, sub, sizeof sub) < 0) {
                snprintf(err, errcap, "%s: routes[%zu]: %s", path, i, sub);
                rc = -1;
                break;
            }
        }
    } else if (json_is_object(routes)) {
        const char *k;
        json_t *v;
        json_object_foreach(routes, k, v) {
            if (load_one(rt, k, v, f, eps, sub, sizeof sub) < 0) {
                snprintf(err, errcap, "%s: %s", path, sub);
                rc = -1;
                break;
            }
        }
    } else {
        snprintf(err, errcap, "%s: \"routes\" must be an array or an object", path);
        rc = -1;
    }
    if (rc == 0 && json_is_object(j)) {
        json_t *fb = json_object_get(j, "fallback");
        if (fb) {
            const char *spec = json_is_null(fb) || json_is_false(fb) ? "drop"
                             : json_is_true(fb) ? "-" : json_string_value(fb);
            if (!spec) {
                snprintf(err, errcap, "%s: \"fallback\" must be an endpoint string, true or null", path);
                rc = -1;
            } else {
                rt->fallback = iot_eps_add(eps, spec, sub, sizeof sub);
                if (!rt->fallback) { snprintf(err, errcap, "%s: fallback: %s", path, sub); rc = -1; }
                else rt->fallback_spec = iot_ep_spec(rt->fallback);
            }
        }
    }
    json_decref(j);
    return rc;
}

void iot_routes_free(struct iot_routes *rt)
{
    for (int i = 0; i < rt->n; i++) {
        free(rt->r[i].name);
        free(rt->r[i].cond_text);
        iot_expr_free(rt->r[i].cond);
        free(rt->r[i].ep);
    }
    free(rt->r);
    rt->r = NULL;
    rt->n = 0;
}
