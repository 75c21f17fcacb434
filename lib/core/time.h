/* time: event time as int64 nanoseconds since the Unix epoch (UTC); RFC 3339 and epoch parsing,
 * RFC 3339 printing, durations. RFC 3339 (rfc-editor.org/rfc/rfc3339). */
#ifndef IOT_TIME_H
#define IOT_TIME_H
#include <stddef.h>
#include <stdint.h>

enum iot_time_unit { IOT_TU_AUTO = 0, IOT_TU_S, IOT_TU_MS, IOT_TU_US, IOT_TU_NS };
#define IOT_NS_PER_S  INT64_C(1000000000)
#define IOT_NS_PER_MS INT64_C(1000000)

/* The time range every tool accepts: 1678-01-01T00:00:00Z to 2261-12-31T23:59:59.999999999Z
 * (inside int64 nanoseconds, with some 100 days to spare on either side so that window and
 * bucket arithmetic near the ends cannot overflow). Outside: "bad time". */
#define IOT_TIME_MIN INT64_C(-9214560000000000000)
#define IOT_TIME_MAX INT64_C(9214646399999999999)

/* RFC 3339: "T", "t" or " " between date and time; "Z"/"z" or ±HH:MM (also ±HHMM, ±HH);
 * fractions of any length (truncated to ns); leap second :60 clamped to :59.999999999.
 * A missing offset is refused; a time outside IOT_TIME_MIN..IOT_TIME_MAX too. Returns 0, or -1
 * with a reason in *why. */
int iot_time_parse(const char *s, size_t n, int64_t *ns, const char **why);
/* Epoch number text (integer, decimal or exponent form) in unit; AUTO by magnitude
 * (InfluxDB 3 cut-offs: < 5e9 s, < 5e12 ms, < 5e15 µs, else ns). Integers are exact. Outside
 * IOT_TIME_MIN..IOT_TIME_MAX: -1, "timestamp outside 1678-01-01..2261-12-31". */
int iot_time_epoch(const char *s, size_t n, int unit, int64_t *ns, const char **why);
/* "s", "ms", "us", "ns", "auto" → unit; -1 if unknown. */
int iot_time_unit_parse(const char *s);

/* Writes RFC 3339 UTC with `digits` fraction digits (0..9; 3 = ms) and "Z". Returns length
 * (buf >= 40 bytes). iot_time_fmt = 3 digits. */
size_t iot_time_fmt_prec(int64_t ns, int digits, char *buf);
size_t iot_time_fmt(int64_t ns, char *buf);

/* Durations: "500ms", "30s", "5m", "1h", "7d", "1w", "250us", "10ns", combinations "1h30m",
 * decimals "1.5s"; a bare "0" is zero. Returns 0 with *ns >= 0, or -1 (negative, no unit,
 * unknown unit, overflow). Callers that need a positive duration check ns > 0. */
int iot_dur_parse(const char *s, int64_t *ns);
/* Shortest duration text ("90s" → "1m30s"). buf >= 32. */
size_t iot_dur_fmt(int64_t ns, char *buf);

int64_t iot_time_now(void);                 /* CLOCK_REALTIME in ns */
int64_t iot_time_mono(void);                /* CLOCK_MONOTONIC in ns */
/* Floor division and floor-to-multiple for negative times too. */
int64_t iot_floordiv(int64_t a, int64_t b);
int64_t iot_time_floor(int64_t t, int64_t step, int64_t offset);
/* Days since 1970-01-01 ↔ civil date (proleptic Gregorian). */
int64_t iot_days_from_civil(int64_t y, unsigned m, unsigned d);
void iot_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
#endif
