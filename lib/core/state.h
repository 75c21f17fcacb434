/* state: checkpoint files for resumable tools (iot-window, iot-anomaly, iot-predict score).
 * A state file is one JSON document {"iotkit_state": KIND, "version": N, "tool": ..., "body": ...}
 * written atomically (temp file in the same folder, fsync, rename, fsync folder). */
#ifndef IOT_STATE_H
#define IOT_STATE_H
#include <jansson.h>

/* Loads path. Absent file: returns NULL (a fresh start). A file that is not JSON, is of another
 * kind or version, or lacks a body: "prog: path: not an iot-window state file (...)" and exit 65
 * — never a silent reset. Returns the body (caller owns the reference). */
json_t *iot_state_load(const char *path, const char *kind, int version);

/* Writes {kind, version, body} atomically; steals the body reference. Errors: exit 73/74. */
void iot_state_save(const char *path, const char *kind, int version, json_t *body);

/* Exact round-trip helpers: doubles as JSON reals written with the shortest round-trip text
 * (jansson's JSON_REAL_PRECISION(17) is used on save), int64 as JSON integers. */
json_t *iot_json_real(double v);     /* null for NaN/Inf */
double iot_json_get_real(const json_t *j, const char *key, double dflt);
int64_t iot_json_get_int(const json_t *j, const char *key, int64_t dflt);
#endif
