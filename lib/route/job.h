/* job: one iot-route run — a reader, the route table (conditions → endpoints, fallback) and
 * the endpoints, wired over an input, with the --stats counters of routing. */
#ifndef IOT_ROUTE_JOB_H
#define IOT_ROUTE_JOB_H
#include <stdbool.h>
#include <stddef.h>
#include "endpoint.h"

struct iot_routejob {
    const char **route_text;     /* -r texts, in order */
    int nroute_text;
    const char *routes_file;     /* --routes, or NULL */
    const char *fallback;        /* --fallback, or NULL (routes file's, else "-") */
    bool first;                  /* stop at the first matching route */
    bool check;                  /* print the compiled table and stop */
    int shards;                  /* --shard N, 0 = none */
    const char *key;             /* key fields "a,b" for {shard} (NULL = deviceId) */
    const char *time_field;      /* NULL = timestamp */
    int time_unit;               /* enum iot_time_unit */
    size_t max_line;             /* reader's line bound, 0 = none */
    struct iot_eps_opts eo;      /* endpoints: open bound, rotation, append, unbuffered, spool */
    const char *metrics;         /* Prometheus textfile written every metrics_every and at the end */
    int64_t metrics_every;       /* ns (0 = 10 s) */
};

/* Builds the table (usage errors exit 64 via iot_usage, an unreadable routes file 66), then
 * with check prints it to stdout; otherwise routes every record of paths[0..n) (none = stdin)
 * until the end of input or iot_stop_requested, closes every endpoint and adds the counters
 * matched, unmatched, dropped, delivered, segments, children, evicted and route:NAME.
 * Returns 0, or IOT_EX_IOERR (74) when an endpoint failed (the reason already said). */
int iot_routejob_run(const struct iot_routejob *j, char **paths, int npaths);
#endif
