/* anojob: one iot-anomaly run — a record scanner, per key and field detectors (detect.h) or
 * series decomposition (decompose.h) on the arrays of iot-window --series records, alert rules
 * (anorule.h), an annotating or alert writer (anoalert.h) and the state file (anostate.h). */
#ifndef IOT_ANOJOB_H
#define IOT_ANOJOB_H
#include <stdbool.h>
#include <stdint.h>
#include "core/out.h"
#include "decompose.h"
#include "detect.h"

struct iot_anojob {
    char *const *fields;         /* watched numeric fields, nf of them (may be 0 with rules) */
    int nf;
    bool decompose;              /* -m decompose: fields hold arrays (one record = whole series) */
    bool alerts;                 /* write alert records only, instead of annotating each record */
    struct iot_det_params det;
    struct iot_decompose_opts dopt;
    const char *const *rules;    /* --rule texts (anorule.h), nrules of them: annotations name the
                                    first that matches; with alerts they are alarms (alarm.h) */
    int nrules;
    int64_t renotify, absent;    /* alarms: > 0 to renotify / raise DEVICE_SILENT (need alerts) */
    int64_t episode;             /* > 0: detector alerts become ANOMALY alarms cleared after this
                                    long without one (need alerts) */
    const char *acks;            /* alarms: acknowledgements file followed as it grows, or NULL */
    char *const *with;           /* alarms: fields copied from the raising record, nwith */
    int nwith;
    bool quiet;                  /* -q: no end-of-run notes on stderr */
    const char *state;           /* detectors: state file to load and save, or NULL */
    int64_t max_keys;
    const char *key;             /* -k text: "a,b" or "none" (one series for every record) */
    const char *time_field;
    int time_unit;               /* enum iot_time_unit */
};

/* Compiles the rules (a malformed one: usage error, exit 64, via iot_usage), loads the state,
 * reads paths[0..n) (none = stdin; see iot_in_open) until the end or iot_stop_requested,
 * writes to o, and saves the state (alarms still active stay active there; without a state
 * file a note on stderr says how many were left). In alarm mode a record needs its key and a
 * time (else rejected: missing key, bad time). Bad lines are rejected through core/diag (the caller's
 * iot_diag_finish gives the exit status). Counters: alerts, skipped, alarms_raised/updated/cleared, alarm_late,
 * acks, acks_ignored. */
void iot_anojob_run(const struct iot_anojob *j, char **paths, int npaths, size_t max_line,
                    struct iot_out *o);
#endif
