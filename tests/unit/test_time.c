/* Unit tests for lib/core/time.c: RFC 3339 forms, epochs by magnitude, printing, durations. */
#include <stdint.h>
#include "unit.h"
#include "core/time.h"

static int64_t P(const char *s)
{
    int64_t ns = INT64_MIN;
    const char *why;
    if (iot_time_parse(s, strlen(s), &ns, &why)) return INT64_MIN;
    return ns;
}

static int64_t E(const char *s, int unit)
{
    int64_t ns = INT64_MIN;
    if (iot_time_epoch(s, strlen(s), unit, &ns, NULL)) return INT64_MIN;
    return ns;
}

int main(void)
{
    char buf[64];
    const int64_t S = IOT_NS_PER_S;
    CHECK(P("1970-01-01T00:00:00Z") == 0, "epoch zero");
    CHECK(P("1996-12-19T16:39:57-08:00") == P("1996-12-20T00:39:57Z"), "negative offset subtracts");
    CHECK(P("1985-04-12T23:20:50.52Z") == 482196050 * S + 520000000, "fraction .52");
    CHECK(P("1937-01-01T12:00:27.87+00:20") == P("1937-01-01T11:40:27.87Z"), "+00:20 offset");
    CHECK(P("2026-11-26t18:53:25.123456789z") == P("2026-11-26T18:53:25.123456789Z"), "lowercase t and z");
    CHECK(P("2026-11-26 18:53:25Z") == P("2026-11-26T18:53:25Z"), "space separator");
    CHECK(P("2017-01-26T00:00:00.0000000z") == P("2017-01-26T00:00:00Z"), "seven fraction digits");
    CHECK(P("2026-01-01T00:00:00.1234567891234Z") % S == 123456789, "fraction truncated to ns");
    CHECK(P("2026-01-01T01:00:00+0100") == P("2026-01-01T00:00:00Z"), "+HHMM offset accepted");
    CHECK(P("2026-01-01T01:00:00+01") == P("2026-01-01T00:00:00Z"), "+HH offset accepted");
    CHECK(P("1990-12-31T23:59:60Z") == P("1990-12-31T23:59:59.999999999Z"), "leap second clamped");
    CHECK(P("2026-01-01T00:00:00") == INT64_MIN, "missing offset refused");
    CHECK(P("2026-02-29T00:00:00Z") == INT64_MIN, "no Feb 29 in 2026");
    CHECK(P("2024-02-29T00:00:00Z") != INT64_MIN, "Feb 29 in 2024");
    CHECK(P("2026-13-01T00:00:00Z") == INT64_MIN, "month 13 refused");
    CHECK(P("2026-01-01T24:00:00Z") == INT64_MIN, "hour 24 refused");
    CHECK(P("2026-01-01") == INT64_MIN, "date only refused");
    CHECK(P("2026-01-01T00:00:00.Z") == INT64_MIN, "empty fraction refused");
    CHECK(P("2026-01-01T00:00:00Zjunk") == INT64_MIN, "trailing junk refused");
    CHECK(P("3000-01-01T00:00:00Z") == INT64_MIN, "beyond 2262 refused");
    CHECK(P("1960-01-01T00:00:00Z") < 0, "before 1970 is negative");

    CHECK(E("1767225600", 0) == 1767225600 * S, "auto: seconds");
    CHECK(E("1767225600123", 0) == 1767225600123 * 1000000, "auto: milliseconds");
    CHECK(E("1767225600123456", 0) == 1767225600123456 * 1000, "auto: microseconds");
    CHECK(E("1767225600123456789", 0) == 1767225600123456789, "auto: nanoseconds exact");
    CHECK(E("1767225600.5", 0) == 1767225600 * S + 500000000, "decimal seconds exact");
    CHECK(E("1.7672256e9", 0) == 1767225600 * S, "exponent form");
    CHECK(E("5", IOT_TU_MS) == 5000000, "--time-unit ms");
    CHECK(E("-1", IOT_TU_S) == -S, "negative epoch");
    CHECK(E("12abc", 0) == INT64_MIN, "junk refused");
    CHECK(E("99999999999999999999", 0) == INT64_MIN, "overflow refused");

    iot_time_fmt(P("2026-11-26T18:53:25Z"), buf);
    CHECK_STR(buf, "2026-11-26T18:53:25.000Z", "print ms");
    iot_time_fmt(P("1969-12-31T23:59:59.999Z"), buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.999Z", "print before 1970");
    iot_time_fmt_prec(P("2026-01-01T00:00:00.123456789Z"), 9, buf);
    CHECK_STR(buf, "2026-01-01T00:00:00.123456789Z", "print ns");
    iot_time_fmt_prec(0, 0, buf);
    CHECK_STR(buf, "1970-01-01T00:00:00Z", "print seconds");

    int64_t d;
    CHECK(iot_dur_parse("500ms", &d) == 0 && d == 500000000, "500ms");
    CHECK(iot_dur_parse("30s", &d) == 0 && d == 30 * S, "30s");
    CHECK(iot_dur_parse("5m", &d) == 0 && d == 300 * S, "5m");
    CHECK(iot_dur_parse("1h30m", &d) == 0 && d == 5400 * S, "1h30m");
    CHECK(iot_dur_parse("7d", &d) == 0 && d == 7 * 86400 * S, "7d");
    CHECK(iot_dur_parse("1.5s", &d) == 0 && d == 1500000000, "1.5s");
    CHECK(iot_dur_parse("0", &d) == 0 && d == 0, "bare zero");
    CHECK(iot_dur_parse("10", &d) == -1, "number without unit refused");
    CHECK(iot_dur_parse("5x", &d) == -1, "unknown unit refused");
    CHECK(iot_dur_parse("-5s", &d) == -1, "negative refused");
    iot_dur_fmt(5400 * S, buf);
    CHECK_STR(buf, "1h30m", "duration printed");
    CHECK(iot_time_floor(-1, 10, 0) == -10, "floor of negative time");
    CHECK(iot_time_floor(25, 10, 3) == 23, "floor with offset");
    int64_t y; unsigned m, dd;
    iot_civil_from_days(iot_days_from_civil(2000, 2, 29), &y, &m, &dd);
    CHECK(y == 2000 && m == 2 && dd == 29, "civil round trip");
    return unit_done();
}
