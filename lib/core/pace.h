/* pace: wall-clock pacing for live output (iot-sim --rate/--speed, iot-ingest --replay). */
#ifndef IOT_PACE_H
#define IOT_PACE_H
#include <stdint.h>

struct iot_pace { int64_t wall0, ev0; double speed; int started; };

/* speed: event-time seconds per wall second (1 = real time, 60 = sixty times faster). */
void iot_pace_init(struct iot_pace *p, double speed);
/* Sleeps until the wall clock reaches the moment event time ev should be released (the first
 * call anchors ev to now). Flushes every output before sleeping. Returns early (0) if
 * iot_stop_requested is set, else 1. */
int iot_pace_until(struct iot_pace *p, int64_t ev);
/* Anchors event time ev0 to the wall clock now (instead of the first event), so that with speed
 * 1 an event goes out once the clock has reached its own time, never before it. */
void iot_pace_anchor(struct iot_pace *p, int64_t ev0);
/* Rate pacing: sleeps so that record number n (0-based) goes out at n / rate seconds. */
int iot_pace_rate(struct iot_pace *p, int64_t n, double rate);
#endif
