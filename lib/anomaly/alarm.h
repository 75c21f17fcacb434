/* alarm: alarms with a lifecycle over --rule's (anorule.h), per key and per alarm NAME:
 * normal -> pending -> active -> normal, in event time only (the wall clock is never read).
 * Rules that share a NAME are the levels of one alarm (rising severities). A level is pending
 * from its first true record and qualifies once it has held `for` (true for exactly `for`
 * qualifies, as Prometheus' alerting rules do); a record where it is false resets it, one
 * where it is undefined (a missing field) leaves it alone. The alarm raises with the highest
 * qualified level, updates when a higher one qualifies (severity never drops while active) or
 * every --renotify of event time while not acknowledged, and clears once its clear condition
 * has held its `for` (default: no level true, for the first rule's `for`). Records older than
 * the alarm's last one are ignored (counted as alarm_late). Events are JSON Lines:
 *   {KEY..., "alarm", "severity", "state": raised|updated|cleared, "timestamp", "since",
 *    "value": {fields the conditions read, at raise}, "peak": {...}, "count", "duration", ...}
 * With an episode duration, each watched field's detector alerts make one ANOMALY alarm per key
 * and field (raised at the first alert, critical when an alert is, cleared once no alert came
 * for that long; its peak is the extreme in the direction of the first alert).
 * Acknowledgements are records {"messageType":"ack","alarm":NAME, KEY...}. --absent raises
 * DEVICE_SILENT for a key when the watermark (the latest time seen) passes its last record
 * by more than the duration, and clears it when the key sends again.
 * Sources: ISA-18.2 states via OPC UA Part 9 (https://reference.opcfoundation.org/Core/Part9/v105/docs/4.8),
 * https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/ (for). */
#ifndef IOT_ALARM_H
#define IOT_ALARM_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "anorule.h"
#include "core/out.h"
#include "core/rec.h"

struct iot_alarms;

struct iot_alarm_cfg {
    const struct iot_anorule *rules;   /* compiled, nrules; not owned, must outlive the engine */
    int nrules;
    struct iot_fields *f;              /* the scanner's fields (rules compiled into it) */
    const int *kidx;                   /* key field indices, nkeys (0: one series) */
    int nkeys;
    const int *widx;                   /* --with: fields copied from the raising record, nwith */
    int nwith;
    int64_t renotify;                  /* > 0: updated every renotify while active, unacked */
    int64_t absent;                    /* > 0: DEVICE_SILENT after this much silence */
    int64_t max_keys;
    const int *det_fidx;               /* watched fields of the detectors, ndet */
    int ndet;
    int64_t episode;                   /* > 0: detector alerts are ANOMALY episodes, cleared
                                          after this long without an alert */
};

/* One detector's verdict on the record, for episodes. */
struct iot_alarm_det {
    bool have;         /* the field had a value (else the episode is left alone) */
    bool alert, critical;
    int dir;           /* +1 spike, -1 dip, 0 other */
    double x;          /* the value */
};

/* Builds the engine; groups the rules by NAME. Returns NULL with a message in err when two
 * rules of a NAME have the same severity or both give a clear condition. */
struct iot_alarms *iot_alarms_new(const struct iot_alarm_cfg *c, char *err, size_t errcap);
/* Evaluates one record (vals from iot_rec_scan over c->f; key: its key bytes from
 * iot_key_build; ts: its event time; det: ndet verdicts, or NULL without episodes) and writes
 * the events it causes to o: DEVICE_SILENT first, then rule alarms in rule order, then episodes.
 * An acknowledgement record is applied instead of evaluated. Returns 0, or -1 when the key
 * would exceed max_keys (nothing done). */
int iot_alarms_record(struct iot_alarms *a, struct iot_out *o, const struct iot_val *vals,
                      const char *key, size_t klen, int64_t ts, const struct iot_alarm_det *det);
/* Acknowledges key's active alarms named alarm (from --acks; see ackfile.h) at ts. Returns 0. */
int iot_alarms_ack(struct iot_alarms *a, const char *key, size_t klen, const char *alarm, int64_t ts);
/* The latest time of an ack given to iot_alarms_ack (kept in the state), or INT64_MIN. */
int64_t iot_alarms_acks_upto(const struct iot_alarms *a);
/* Alarms active now (DEVICE_SILENT included). */
int64_t iot_alarms_active(const struct iot_alarms *a);
/* State as JSON (pending and active alarms, acknowledgements, last times, watermark) and back:
 * load returns 0, or -1 when j is malformed or names more keys than max_keys. */
json_t *iot_alarms_save(const struct iot_alarms *a);
int iot_alarms_load(struct iot_alarms *a, const json_t *j);
void iot_alarms_free(struct iot_alarms *a);
#endif
