/* tz: offsets from the C library. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/time.h"
#include "tz.h"

static char *zone;

int iot_tz_set(const char *name)
{
    if (!name || !*name || strchr(name, '.') || name[0] == '/') return -1;
    if (strcmp(name, "UTC") != 0) {
        struct iot_buf p = { 0 };
        iot_buf_addf(&p, "/usr/share/zoneinfo/%s", name);
        int ok = access(p.p, R_OK) == 0;
        iot_buf_free(&p);
        if (!ok) return -1;
    }
    free(zone);
    zone = strcmp(name, "UTC") ? iot_xstrdup(name) : NULL;
    setenv("TZ", zone ? zone : "UTC", 1);
    tzset();
    return 0;
}

const char *iot_tz_name(void) { return zone; }

int64_t iot_tz_offset(int64_t t)
{
    if (!zone) return 0;
    time_t s = (time_t)iot_floordiv(t, IOT_NS_PER_S);
    struct tm tm;
    if (!localtime_r(&s, &tm)) return 0;
    return (int64_t)tm.tm_gmtoff * IOT_NS_PER_S;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

int64_t iot_tz_local(int64_t t) { return add_sat(t, iot_tz_offset(t)); }

int64_t iot_tz_instant(int64_t l)
{
    /* two rounds settle the offset except inside a DST jump, where either side is fine */
    int64_t t = add_sat(l, -iot_tz_offset(l));
    return add_sat(l, -iot_tz_offset(t));
}
