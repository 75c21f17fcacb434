/* anoalert: the alert records of iot-anomaly --alerts, one JSON object per line:
 * {"deviceId", "alertType", "field", "value", "score", ["index",] "timestamp", "severity"}.
 * Times are written as RFC 3339 UTC with milliseconds; a time that does not parse is copied as
 * it came, an absent one is null. Every alert counts in the "alerts" statistic. */
#ifndef IOT_ANOALERT_H
#define IOT_ANOALERT_H
#include <jansson.h>
#include "core/out.h"
#include "core/rec.h"
#include "detect.h"

/* Writes `{"deviceId":KEY,"alertType":"TYPE"`; key NULL (-k none: one series) leaves the key
 * member out, an absent key value is null. */
void iot_anoalert_head(struct iot_out *o, const struct iot_val *key, const char *type);
/* Writes `,"timestamp":T,"severity":"S"}` and ends the record; t is the record's time value,
 * read as epoch numbers in time_unit (enum iot_time_unit) when it is a number. */
void iot_anoalert_tail(struct iot_out *o, const struct iot_val *t, int time_unit, const char *severity);
/* The same with the time taken from element e of a series' time array (iot-window --series
 * writes bin starts as RFC 3339 strings; numbers are epochs in time_unit). */
void iot_anoalert_tail_json(struct iot_out *o, const json_t *e, int time_unit, const char *severity);
/* A value as written (null when absent). */
void iot_anoalert_raw(struct iot_out *o, const struct iot_val *v);
/* A detector score: auto scores (in [0, 1]) with 6 decimals, other methods shortest round-trip. */
void iot_anoalert_score(struct iot_out *o, enum iot_det_method m, double s);
/* "spike", "dip", "anomaly" or "changepoint" for a detector's alert. */
const char *iot_anoalert_type(const struct iot_det_params *p, const struct iot_det_result *r);
/* "critical" or "warning" for a detector's alert (its score against the method's threshold). */
const char *iot_anoalert_severity(const struct iot_det_params *p, const struct iot_det_result *r);
#endif
