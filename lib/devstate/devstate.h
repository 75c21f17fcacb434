/* devstate: the device-state store behind iot-state (the warm path). Per key (lib/core/key.h):
 * the last value and event time of every top-level field (reported state), first and last seen,
 * record count, online/offline by event time, desired properties and twin reconciliation.
 * Memory only; devdb.c persists it to SQLite, iot_devstate_format writes NDJSON. */
#ifndef IOT_DEVSTATE_H
#define IOT_DEVSTATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/diag.h"

/* One property: name (unescaped), value as its JSON text as written, event time it was seen. */
struct iot_devprop {
    char *name, *val;
    uint32_t nlen, vlen, vcap;
    uint8_t type;              /* enum iot_jtype */
    uint8_t dirty;             /* changed since the last iot_devstate_clean */
    uint8_t hasref;            /* --changes: ref is the number last reported as a change */
    uint8_t ninl, vinl;        /* name / val point into nbuf / vbuf (short ones: no cache miss) */
    double ref;
    int64_t t;
    char nbuf[24], vbuf[24];
};

struct iot_dev {
    const char *key;           /* key bytes (owned by the table) */
    size_t klen;
    char *key_json;            /* one part: its JSON value; several: a JSON array */
    int64_t first, last, count;/* count 0: only desired properties known so far */
    int64_t status_since;
    bool online, dirty, ddirty, listed;
    int np, capp, hint;
    struct iot_devprop *p;     /* reported */
    int nd, capd;
    struct iot_devprop *d;     /* desired */
    int64_t dversion;          /* desired document version, +1 per desired record */
    int64_t cmd_version, cmd_time, cmd_attempts;
};

struct iot_devstate_cfg {
    const char *key;           /* "deviceId" or "a,b" */
    const char *time_field;
    int time_unit;
    int64_t offline_after;     /* ns of event time; 0 = never offline */
    int64_t retry;             /* resend setProperties after this much event time; 0 = once */
    double deadband;           /* --changes: a number must move by more than this */
    size_t max_keys;           /* 0 = unlimited */
    bool changes;              /* write change records */
};

struct iot_out;
struct iot_devstate;
/* A store. Change and command records go to out (may be NULL: none written). */
struct iot_devstate *iot_devstate_new(const struct iot_devstate_cfg *cfg, struct iot_out *out);
/* One input line. Rejects it (iot_reject) and returns -1 when it is not usable; exits 65 when
 * --max-keys would be exceeded. */
int iot_devstate_add(struct iot_devstate *s, const char *line, size_t len, const struct iot_src *src);
/* The same for a line that is a desired document whatever its messageType (--desired FILE). */
int iot_devstate_add_desired(struct iot_devstate *s, const char *line, size_t len, const struct iot_src *src);
/* --idle: the input was quiet for dt of wall clock; event time moves on by dt (then a sweep). */
void iot_devstate_advance(struct iot_devstate *s, int64_t dt);
/* Marks devices offline whose last record is older than watermark - offline_after. */
void iot_devstate_sweep(struct iot_devstate *s);
/* Devices changed since the last clean, in the order they changed; *pos starts at 0. */
struct iot_dev *iot_devstate_next_dirty(struct iot_devstate *s, size_t *pos);
void iot_devstate_clean(struct iot_devstate *s);
size_t iot_devstate_dirty_count(const struct iot_devstate *s);
/* Every device, in key byte order (caller frees the array). */
struct iot_dev **iot_devstate_sorted(struct iot_devstate *s, size_t *n);
size_t iot_devstate_count(const struct iot_devstate *s);
/* Restoring from a database: finds or creates a device by key bytes and key JSON; sets a
 * reported (desired = true: desired) property. Returns NULL when --max-keys is reached. */
struct iot_dev *iot_devstate_restore(struct iot_devstate *s, const char *key, size_t klen, const char *key_json);
void iot_devstate_restore_prop(struct iot_dev *d, bool desired, const char *name, size_t nlen,
                               const char *val, size_t vlen, int64_t t);
/* Restored watermark (max last seen), so offline detection continues across runs. */
void iot_devstate_restored(struct iot_devstate *s);
/* The device as one NDJSON record (no newline) into b: key fields, status, statusSince,
 * firstSeen, lastSeen, records, reported {name: value}, reportedAt {name: time}, desired,
 * desiredVersion. */
void iot_devstate_format(const struct iot_devstate *s, const struct iot_dev *d, struct iot_buf *b);
void iot_devstate_free(struct iot_devstate *s);
#endif
