/* statejob: iot-state's runs. Reads records into a devstate, commits it to SQLite in batches
 * (and whenever the input would block, so readers see fresh state), writes NDJSON snapshots;
 * or answers --get / --list from a database. */
#ifndef IOT_STATEJOB_H
#define IOT_STATEJOB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devstate.h"

struct iot_statejob {
    struct iot_devstate_cfg st;
    const char *db;            /* SQLite file, or NULL */
    const char *snapshot;      /* NDJSON snapshot file (atomic), or NULL */
    int64_t every;             /* snapshot period, wall clock ns; 0 = at exit only */
    size_t batch;              /* records per transaction at most */
    bool tee;                  /* pass input lines through to out */
    const char *desired;       /* a file of desired documents read before the input, or NULL */
    int64_t idle;              /* quiet input for this long (wall clock) advances event time */
    const char *get;           /* query: one device (string id) */
    bool list;                 /* query: every device */
    const char *where;         /* query filter, lib/core/expr over the state record */
};

/* Reads paths[0..n-1] (none = stdin). Exits 73/74 on database errors (see devdb.h). */
void iot_statejob_run(const struct iot_statejob *j, char **paths, int n, size_t max_line, struct iot_out *out);
/* --get / --list: writes state records to out. Exits 66 when --get names no stored device,
 * 64 when --where does not compile. */
void iot_statejob_query(const struct iot_statejob *j, struct iot_out *out);
#endif
