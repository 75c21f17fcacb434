/* endpoint: where records go — stdout, files named by templates (time- and key-partitioned,
 * zstd by ".zst", rotated, written as atomic segments), child processes fed on their stdin
 * (exec: argv with templates, sh: a shell string), or nowhere (drop). Open files and children
 * are bounded and closed least recently used first.
 *
 * Templates: {yyyy} {MM} {dd} {HH} {mm} {ss} (event time, UTC), {shard} (the --shard index),
 * {FIELD} or {a.b.c} (a record field); {{ and }} are literal braces. A field value is always
 * made one safe name component: bytes outside [A-Za-z0-9._-] (and a leading '.', '-' or '_')
 * are written %XX, so a value can never add a '/', be "." or "..", carry a NUL, a control
 * character, an MQTT wildcard or a shell metacharacter; a component longer than 120 bytes is
 * cut and ends with '~' and 16 hex digits of a hash of the whole value. An absent field is
 * "_missing", null is "_null", an empty string "_empty" (a real value can never look like
 * these: a leading '_' is encoded). */
#ifndef IOT_ENDPOINT_H
#define IOT_ENDPOINT_H
#include <stdbool.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/rec.h"

/* ---- templates ---- */
struct iot_tmpl;
/* Compiles text; field placeholders are registered in f. NULL with "column N: ..." in err. */
struct iot_tmpl *iot_tmpl_compile(const char *text, struct iot_fields *f, char *err, size_t errcap);
bool iot_tmpl_const(const struct iot_tmpl *t);       /* no placeholders */
bool iot_tmpl_needs_time(const struct iot_tmpl *t);
bool iot_tmpl_needs_shard(const struct iot_tmpl *t);
/* Appends the expansion to b (time in ns UTC, used only if the template needs it). */
void iot_tmpl_expand(const struct iot_tmpl *t, const struct iot_val *vals, int64_t t_ns, int shard,
                     struct iot_buf *b);
/* The literal text after the last placeholder from its first '.', e.g. ".ndjson.zst" (may be ""). */
const char *iot_tmpl_ext(const struct iot_tmpl *t);
void iot_tmpl_free(struct iot_tmpl *t);
/* Appends s[0..n) as one safe name component (the encoding described above). */
void iot_name_component(struct iot_buf *b, const char *s, size_t n);

/* ---- endpoints ---- */
struct iot_eps_opts {
    int max_open;            /* open files + children at once (default 64) */
    uint64_t max_bytes;      /* rotate a file after this many (uncompressed) bytes; 0 = never */
    int64_t max_age;         /* rotate a file open longer than this (ns, wall clock); 0 = never */
    bool append;             /* append to the named file (zstd: a new frame) instead of atomic segments */
    bool unbuffered;         /* children: write each record to the pipe at once (-u) */
    const char *spool;       /* mqtt: store-and-forward folder (one sub-folder per endpoint), or NULL */
    uint64_t spool_max;      /* mqtt: spool bound in bytes per endpoint (0 = none) */
    int64_t ack_timeout;     /* mqtt: ns to wait for a PUBACK (0 = 10 s) */
};

struct iot_eps;              /* all endpoints of a tool, with their open instances */
struct iot_ep;               /* one endpoint */

struct iot_eps *iot_eps_new(struct iot_fields *f, const struct iot_eps_opts *o);
/* Adds an endpoint from its text: "-" (stdout, honours -o), "drop", "file:TEMPLATE",
 * "mqtt://HOST[:PORT]/TOPIC-TEMPLATE" (QoS 1, see mqtt.h),
 * "exec:PROG ARG..." (split on blanks; '...', "..." and \ quote; each word a template),
 * "sh:STRING" (run by /bin/sh -c, taken literally: no placeholders, so no field reaches a
 * shell). The same text twice gives the same endpoint. NULL with a message in err. */
struct iot_ep *iot_eps_add(struct iot_eps *s, const char *spec, char *err, size_t errcap);
const char *iot_ep_spec(const struct iot_ep *ep);
bool iot_ep_needs_time(const struct iot_ep *ep);
bool iot_ep_needs_shard(const struct iot_ep *ep);
bool iot_ep_is_drop(const struct iot_ep *ep);

/* What a write needs of the record. */
struct iot_ep_rec {
    const char *line;
    size_t len;
    const struct iot_val *vals;
    int64_t t_ns;
    int shard;
    const struct iot_src *src;
};

/* Writes the line (plus "\n") to the endpoint's instance for this record, opening (and
 * evicting) as needed. Returns 0, or -1 when a child died or refused input: the reason and
 * what was not delivered are in iot_eps_error; the caller stops and exits 74. File write
 * errors are fatal in out.c (exit 74). */
int iot_ep_write(struct iot_eps *s, struct iot_ep *ep, const struct iot_ep_rec *r);
/* Writes buffered data to children (call before blocking on input). Returns 0 or -1 as above. */
int iot_eps_flush(struct iot_eps *s);
/* Closes files open longer than max_age (now = iot_time_mono()). Returns 0 or -1. */
int iot_eps_tick(struct iot_eps *s, int64_t now);
/* Closes everything: segments flushed, fsynced and renamed into place, children's stdin
 * closed and their exit awaited. Returns 0, or -1 if a child failed (see iot_eps_error). */
int iot_eps_close(struct iot_eps *s);
const char *iot_eps_error(const struct iot_eps *s);
/* Counters: segments published, children started, instances evicted by the open bound. */
void iot_eps_counts(const struct iot_eps *s, int64_t *segments, int64_t *children, int64_t *evicted);
/* MQTT endpoints need iot_eps_tick often (acknowledgements, reconnection, replay). */
bool iot_eps_needs_pump(const struct iot_eps *s);
/* Sums of the MQTT endpoints' counters (mqtt.h); false when there is none. */
struct iot_mqtt_counts;
bool iot_eps_mqtt_counts(const struct iot_eps *s, struct iot_mqtt_counts *c);
/* Temporary segments of dead processes removed (each said on stderr when removed). */
int64_t iot_eps_stale_removed(const struct iot_eps *s);
void iot_eps_free(struct iot_eps *s);

/* Parses a size "1000", "64k", "10M", "1G" (powers of 1024). Returns 0 or -1. */
int iot_size_parse(const char *s, uint64_t *out);
#endif
