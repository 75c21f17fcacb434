/* job: iot-ingest's pipeline, wired from the options the CLI parsed. */
#ifndef IOT_INGEST_JOB_H
#define IOT_INGEST_JOB_H
#include <stdint.h>
#include "ingest_input.h"
#include "reduce.h"

enum { IOT_UNKNOWN_KEEP, IOT_UNKNOWN_DEAD, IOT_UNKNOWN_COUNT };

struct iot_ingest_job_opts {
    const char *key, *time_field;   /* -k and -t as given */
    int merge, replay, unknown, dedupe;
    double speed;
    const char *rebase, *schema, *ingest_time, *assets, *aprefix, *dedupe_fields;
    int64_t rebase_at;              /* --rebase TIME (not "now"), parsed */
    char **rename, **drop, **set;   /* as given, applied once the fields are known */
    int nrename, ndrop, nset;
    int64_t dwin, max_gap, dmax, max_keys;
    char **eval, **select;          /* --eval NAME = EXPR (in order), --select names */
    int neval, nselect;
    const char *where;              /* --where EXPR */
    int64_t now;                    /* --now (with fixed_now), else now() reads the clock */
    int fixed_now;
    struct iot_reduce_field *red;
    char **red_field;
    int nred;
};

/* Reads paths[0..n) (in order, or merged by event time with o->merge) through the pipeline to
 * the main output; a bad option combination is a usage error (exit 64). Adds the ingest
 * counters to --stats and returns the bytes read. o must live until it returns. */
int64_t iot_ingest_run(const struct iot_ingest_job_opts *o, struct iot_ingest_opts *in, char **paths, int n);
#endif
