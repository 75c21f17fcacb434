/* ingest_input: one input of iot-ingest read as checked records. A file (or stdin) of NDJSON or
 * CSV, zstd or not, the format forced or detected; every record it yields is a JSON object with a
 * valid event time and every key field, its fields scanned; every other line goes through
 * iot_reject (kinds "bad csv", "bad json", "missing time", "bad time", "missing key").
 * Also the event-time parse with a per-second cache that the reading uses. */
#ifndef IOT_INGEST_INPUT_H
#define IOT_INGEST_INPUT_H
#include <stddef.h>
#include <stdint.h>
#include "core/diag.h"
#include "core/rec.h"

enum iot_ingest_format { IOT_FMT_AUTO = 0, IOT_FMT_NDJSON, IOT_FMT_CSV };

/* How to read; shared by every input, must outlive them. */
struct iot_ingest_opts {
    int format;                     /* enum iot_ingest_format */
    char delim;                     /* CSV separator */
    char **csv_cols;                /* CSV column names when there is no header row, or NULL */
    int ncsv_cols;
    const struct iot_fields *fields;/* what to scan; complete before the first open */
    int time_index;                 /* the time field in fields */
    int key0, nkeys;                /* the key fields: indexes key0 .. key0 + nkeys - 1 */
    int time_unit;                  /* enum iot_time_unit */
    size_t max_line;                /* 0 = no limit */
};

/* A record: all of it valid until the next call on its input. */
struct iot_ingest_rec {
    const char *line;               /* the JSON object (a CSV row made into one) */
    size_t len;
    struct iot_src src;             /* where it began */
    int64_t t;                      /* event time, ns */
    struct iot_val *vals;           /* iot_fields_count(fields) values */
};

struct iot_ingest_input;

/* Opens path ("-" = stdin; cannot open: exit 66, see iot_reader_open) and settles its format:
 * opts->format, else the name (.csv .tsv / .ndjson .jsonl .json, each also with .zst), else CSV
 * when column names are given, else the content (first byte after a BOM and spaces not '{' or
 * '[' means CSV). */
struct iot_ingest_input *iot_ingest_input_open(const char *path, const struct iot_ingest_opts *opts);
/* The next good record, or NULL at the end of the input (or when iot_stop_requested is set). */
const struct iot_ingest_rec *iot_ingest_input_next(struct iot_ingest_input *in);
/* The record the last iot_ingest_input_next returned (for callers that interleave inputs). */
const struct iot_ingest_rec *iot_ingest_input_rec(const struct iot_ingest_input *in);
int iot_ingest_input_is_csv(const struct iot_ingest_input *in);
/* Bytes read so far (lines with their newline). */
int64_t iot_ingest_input_bytes(const struct iot_ingest_input *in);
void iot_ingest_input_close(struct iot_ingest_input *in);

/* Before anything is read: every path but "-" must be readable (else exit 66), and "-" may
 * come only once with merge (else a usage error, exit 64). */
void iot_ingest_input_check(char **paths, int n, int merge);
/* Reads paths[0..n) ("-" = stdin) one after another, or, with merge, merged in event-time order
 * (each input in order itself; ties go to the input named first; one pending record per input),
 * and calls fn for every good record until the end or iot_stop_requested. Returns the bytes read. */
int64_t iot_ingest_input_each(char **paths, int n, int merge, const struct iot_ingest_opts *opts,
                              void (*fn)(const struct iot_ingest_rec *r, void *ctx), void *ctx);

/* Event time of v exactly as iot_val_time gives it (same result, same refusals), faster for a
 * run of RFC 3339 "…SS[.fraction]Z" texts that share their date and whole second: c remembers
 * the last such second, and a text that starts the same way only has its fraction read. c
 * starts zeroed. */
struct iot_time_cache { char prefix[19]; int valid; int64_t sec; };
int iot_ingest_time(struct iot_time_cache *c, const struct iot_val *v, int unit, int64_t *ns,
                    const char **why);
#endif
