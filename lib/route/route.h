/* route: the route table of iot-route — named conditions with their endpoints, from -r text
 * ("NAME: CONDITION => ENDPOINT, ENDPOINT") or a JSON file, plus the fallback endpoint.
 * Semantics follow IoT Hub message routing (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-d2c, iot-hub-devguide-routing-query-syntax): a record goes to
 * every endpoint of every matching route, once per distinct endpoint; records matching no
 * route go to the fallback. */
#ifndef IOT_ROUTE_H
#define IOT_ROUTE_H
#include <stdbool.h>
#include <stdint.h>
#include "endpoint.h"
#include "core/expr.h"

struct iot_route {
    char *name;
    char *cond_text;          /* as written; "" = always */
    struct iot_expr *cond;    /* NULL = always */
    struct iot_ep **ep;
    int nep;
    bool enabled;
    int64_t matched;          /* records that matched */
};

struct iot_routes {
    struct iot_route *r;
    int n;
    struct iot_ep *fallback;  /* where unmatched records go (may be the "drop" endpoint) */
    const char *fallback_spec;/* as given in a routes file, NULL if it said nothing */
};

/* Adds one route from -r text. Conditions use expr.h, endpoints endpoint.h. Returns 0, or -1
 * with "column N: ..." (a column of text) or another message in err. */
int iot_routes_add_text(struct iot_routes *rt, const char *text, struct iot_fields *f,
                        struct iot_eps *eps, char *err, size_t errcap);

/* Loads a JSON routes file: {"routes": [{"name", "condition", "endpoints": [..] (or
 * "endpoint": ".."), "enabled": true}, ...] (or an object name → route), "fallback": ".."
 * or null (= drop)}. Returns 0, or -1 with err set (file errors: -2, err set). */
int iot_routes_load(struct iot_routes *rt, const char *path, struct iot_fields *f,
                    struct iot_eps *eps, char *err, size_t errcap);

void iot_routes_free(struct iot_routes *rt);
#endif
