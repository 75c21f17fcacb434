/* anostate: iot-anomaly's state file (kind "iot-anomaly", see core/state.h): the options the
 * detectors were learned with, and one entry per key with the state of each field's detector.
 * A file saved with other options is refused (exit 65), never silently reset. */
#ifndef IOT_ANOSTATE_H
#define IOT_ANOSTATE_H
#include <jansson.h>
#include <stdint.h>
#include "core/keytab.h"
#include "detect.h"

struct iot_commit;   /* core/state.h */

#define IOT_ANOSTATE_VERSION 5    /* 2: keys by iot_key_build (42 and "42" differ); 3: alarms;
                                     4: sealed (crc32c); 5: -m t2 models (mvjob.c) */

/* What the state depends on: detector parameters, watched fields (nf), the -k text, the alarm
 * rules, --absent and --episode. */
struct iot_anostate_cfg {
    const struct iot_det_params *p;
    char *const *fields;
    int nf;
    const char *key;
    const char *const *rules;
    int nrules;
    int64_t absent, episode;
};

/* Loads path into tab (slots of nf struct iot_det, initialised here when created). Absent file:
 * nothing loaded. Malformed, other kind or version, other options, more keys than tab holds:
 * message naming path and exit 65. */
void iot_anostate_load(const char *path, const struct iot_anostate_cfg *c, struct iot_keytab *tab,
                       const struct iot_commit *cm);
/* The alarm part of the state loaded last (borrowed, valid until the next load), or NULL. */
const json_t *iot_anostate_alarms(void);
/* Writes every key of tab and the alarm state to path atomically. Errors: exit 73/74. cm (or
 * NULL): what the state is committed with (the commit protocol of core/state.h). */
void iot_anostate_save(const char *path, const struct iot_anostate_cfg *c, const struct iot_keytab *tab,
                       json_t *alarms, const struct iot_commit *cm);   /* alarms: stolen, may be NULL */
#endif
