/* aggrec: one NDJSON record read as what iot-window's engines take: the key bytes, the event
 * time and the aggregate inputs (struct iot_agg_in per field slot of an aggset), countif
 * conditions evaluated on the same scan. Also the inverse of the key encoding, for output. */
#ifndef IOT_AGGREC_H
#define IOT_AGGREC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "agg.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/rec.h"

struct iot_aggrec_cfg {
    const char *spec;        /* -a text; NULL = "count()" */
    const char *key;         /* "f1,f2", "none" (one global group) or NULL = "deviceId" */
    const char *time_field;  /* NULL = "timestamp" */
    int time_unit;           /* enum iot_time_unit */
    bool skip_bad;           /* a non-number for a numeric aggregate: skip the field, not the line */
};

struct iot_expr;
/* The reader. After iot_aggrec_read returns 0: key/klen, t and in[] describe the record (valid
 * until the next read; key may point into the line). */
struct iot_aggrec {
    struct iot_aggset set;
    struct iot_fields *f;
    struct iot_val *vals;        /* iot_fields_count(f) values of the last scan */
    int nkey;
    char **key_names;
    const char *key; size_t klen;
    int64_t t;
    struct iot_agg_in *in;       /* set.nfields entries */
    /* private */
    int *key_idx, time_idx, *agg_idx;
    struct iot_expr **cond;      /* per slot: the compiled countif condition, or NULL */
    struct iot_expr **xpr;       /* per slot: the compiled value expression, or NULL */
    const char **ustat;          /* per expression slot: "undefined_<text>" for --stats */
    int time_unit;
    bool skip_bad;
    struct iot_buf kb, tmp, xtext;
};

/* Parses the aggregates, compiles countif conditions and registers every field. Refuses (-1,
 * reason in err) a bad spec or condition, and aggregate names that clash with a key field or
 * with an output field of iot-window (windowStart windowEnd timestamp event lastSeen _partial
 * _aggregates). */
int iot_aggrec_open(struct iot_aggrec *r, const struct iot_aggrec_cfg *cfg, char *err, size_t errcap);
/* Registers one more field path after open (vals grows); returns its index in r->vals. */
int iot_aggrec_field(struct iot_aggrec *r, const char *path);
/* Scans line: key, time and inputs. Returns 0, or -1 after iot_reject (kinds "bad json",
 * "missing time", "bad time", "bad value", "eval" for an expression error such as int64
 * overflow); --bad-value skip counts "bad_value_skipped". An expression slot whose value is
 * undefined (or not a number for a numeric aggregate) is absent, counted "undefined_<text>". */
int iot_aggrec_read(struct iot_aggrec *r, const char *line, size_t len, const struct iot_src *src);
/* Scans line and sets the key only (no time, no inputs): for rows that are not telemetry
 * (partials). Returns 0, or -1 with the scanner's message in *err (nothing rejected). */
int iot_aggrec_scan_key(struct iot_aggrec *r, const char *line, size_t len, const char **err);
/* Appends the key fields as JSON members, each followed by ',' ("deviceId":"a",), decoding
 * key bytes made by this reader: parts joined by 0x1f, a non-string part is 0x1e + its JSON. */
void iot_aggrec_put_keys(const struct iot_aggrec *r, struct iot_buf *b, const char *key, size_t klen);
void iot_aggrec_close(struct iot_aggrec *r);
#endif
