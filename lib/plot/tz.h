/* tz: the time zone of time axes. UTC unless set; a named zone (IANA tz database,
 * https://www.iana.org/time-zones, as installed under /usr/share/zoneinfo) is applied through
 * the C library's TZ (localtime_r(3) tm_gmtoff), so that ticks fall on local midnight and
 * local hours, and a day with a DST change is 23 or 25 hours long. */
#ifndef IOT_PLOT_TZ_H
#define IOT_PLOT_TZ_H
#include <stdbool.h>
#include <stdint.h>

/* Uses zone name ("UTC", "Europe/Berlin") for iot_tz_offset. Returns 0, or -1 when the zone
 * is not installed (nothing changed). Sets TZ in the environment. */
int iot_tz_set(const char *name);
/* The name set (NULL: UTC). */
const char *iot_tz_name(void);
/* Offset of local time from UTC at instant t (ns), in ns; 0 without a zone. */
int64_t iot_tz_offset(int64_t t);
/* Local wall time of t (t + offset) and back: the instant whose local wall time is l (for a
 * wall time that does not exist or exists twice, one nearby instant). */
int64_t iot_tz_local(int64_t t);
int64_t iot_tz_instant(int64_t l);
#endif
