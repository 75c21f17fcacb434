#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "time.h"

/* Civil date ↔ day number: the algorithms of Howard Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms" (days_from_civil / civil_from_days), written from their description. */
int64_t iot_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void iot_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t iot_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t iot_time_floor(int64_t t, int64_t step, int64_t offset)
{
    return iot_floordiv(t - offset, step) * step + offset;
}

static int digits(const char *s, size_t n, size_t at, int count, int *out)
{
    if (at + (size_t)count > n) return -1;
    int v = 0;
    for (int i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

static int month_days(int64_t y, int m)
{
    static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return md[m - 1];
}

#define RANGE_WHY "timestamp outside 1678-01-01..2261-12-31"

int iot_time_parse(const char *s, size_t n, int64_t *ns, const char **why)
{
    int Y, M, D, h, mi, sec;
    const char *dummy;
    if (!why) why = &dummy;
    *why = "not an RFC 3339 timestamp";
    if (digits(s, n, 0, 4, &Y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &M) || s[7] != '-' ||
        digits(s, n, 8, 2, &D))
        return -1;
    if (n == 10) { *why = "date without a time"; return -1; }
    if (n < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s, n, 11, 2, &h) ||
        s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' || digits(s, n, 17, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > month_days(Y, M)) { *why = "no such date"; return -1; }
    if (h > 23 || mi > 59 || sec > 60) { *why = "time of day out of range"; return -1; }
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        i++;
        size_t start = i;
        int64_t scale = 100000000;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale;      /* digits past ns are truncated */
            scale /= 10;
            i++;
        }
        if (i == start) return -1;
    }
    int off = 0;
    if (i >= n) { *why = "no UTC offset (add Z or +HH:MM)"; return -1; }
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
        if (digits(s, n, i + 1, 2, &oh)) return -1;
        i += 3;
        if (i < n && s[i] == ':') {
            if (digits(s, n, i + 1, 2, &om)) return -1;
            i += 3;
        } else if (i + 2 <= n && digits(s, n, i, 2, &om) == 0) {
            i += 2;
        }
        if (oh > 23 || om > 59) { *why = "UTC offset out of range"; return -1; }
        off = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (i != n) return -1;
    if (sec == 60) {         /* leap second: clamped to the last ns of :59 (documented policy) */
        sec = 59;
        frac = 999999999;
    }
    /* consecutive records share their date: remember the last one */
    static _Thread_local int last_ymd = -1;
    static _Thread_local int64_t last_days;
    int ymd = (Y * 16 + M) * 32 + D;
    int64_t days = ymd == last_ymd ? last_days : iot_days_from_civil(Y, (unsigned)M, (unsigned)D);
    last_ymd = ymd;
    last_days = days;
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off * 60;
    int64_t r;
    if (__builtin_mul_overflow(secs, IOT_NS_PER_S, &r) || __builtin_add_overflow(r, frac, &r) ||
        r < IOT_TIME_MIN || r > IOT_TIME_MAX) {
        *why = RANGE_WHY;
        return -1;
    }
    *ns = r;
    return 0;
}

int iot_time_unit_parse(const char *s)
{
    static const char *names[] = { "auto", "s", "ms", "us", "ns" };
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) return i;
    if (strcmp(s, "µs") == 0) return IOT_TU_US;
    return -1;
}

static const int64_t unit_ns[] = { 0, 1000000000, 1000000, 1000, 1 };

int iot_time_epoch(const char *s, size_t n, int unit, int64_t *ns, const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    *why = "not an epoch number";
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') { neg = 1; i++; }
    size_t start = i;
    uint64_t ip = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (ip > (UINT64_MAX - 9) / 10) { *why = "epoch number out of range"; return -1; }
        ip = ip * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == start) return -1;
    const char *fp = NULL;
    size_t fn = 0;
    if (i < n && s[i] == '.') {
        fp = s + ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        fn = (size_t)(s + i - fp);
        if (!fn) return -1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {     /* exponent form: through double */
        char tmp[64];
        if (n >= sizeof tmp) return -1;
        memcpy(tmp, s, n);
        tmp[n] = 0;
        char *end;
        double v = strtod(tmp, &end);
        if (*end || !isfinite(v)) return -1;
        double a = fabs(v);
        int u = unit ? unit : a < 5e9 ? IOT_TU_S : a < 5e12 ? IOT_TU_MS : a < 5e15 ? IOT_TU_US : IOT_TU_NS;
        double r = v * (double)unit_ns[u];
        if (!(r >= (double)IOT_TIME_MIN && r <= (double)IOT_TIME_MAX)) { *why = RANGE_WHY; return -1; }
        *ns = (int64_t)llround(r);
        if (*ns < IOT_TIME_MIN || *ns > IOT_TIME_MAX) { *why = RANGE_WHY; return -1; }
        return 0;
    }
    if (i != n) return -1;
    int u = unit;
    if (!u) u = ip < 5000000000ULL ? IOT_TU_S : ip < 5000000000000ULL ? IOT_TU_MS
              : ip < 5000000000000000ULL ? IOT_TU_US : IOT_TU_NS;
    int64_t mul = unit_ns[u], r;
    if (ip > INT64_MAX || __builtin_mul_overflow((int64_t)ip, mul, &r)) {
        *why = "epoch number out of range";
        return -1;
    }
    int64_t f = 0, scale = mul / 10;
    for (size_t k = 0; k < fn && scale > 0; k++, scale /= 10)
        f += (fp[k] - '0') * scale;
    if (__builtin_add_overflow(r, f, &r)) { *why = RANGE_WHY; return -1; }
    r = neg ? -r : r;
    if (r < IOT_TIME_MIN || r > IOT_TIME_MAX) { *why = RANGE_WHY; return -1; }
    *ns = r;
    return 0;
}

size_t iot_time_fmt_prec(int64_t ns, int prec, char *buf)
{
    int64_t secs = iot_floordiv(ns, IOT_NS_PER_S), frac = ns - secs * IOT_NS_PER_S;
    int64_t days = iot_floordiv(secs, 86400), sod = secs - days * 86400, y;
    unsigned m, d;
    iot_civil_from_days(days, &y, &m, &d);
    unsigned hh = (unsigned)(sod / 3600), mm = (unsigned)(sod / 60 % 60), ss = (unsigned)(sod % 60);
    char *p = buf;
    if (y >= 0 && y <= 9999) {
        unsigned yy = (unsigned)y;
        p[0] = (char)('0' + yy / 1000); p[1] = (char)('0' + yy / 100 % 10);
        p[2] = (char)('0' + yy / 10 % 10); p[3] = (char)('0' + yy % 10);
        p += 4;
    } else {
        p += sprintf(p, "%04lld", (long long)y);
    }
    p[0] = '-'; p[1] = (char)('0' + m / 10); p[2] = (char)('0' + m % 10);
    p[3] = '-'; p[4] = (char)('0' + d / 10); p[5] = (char)('0' + d % 10);
    p[6] = 'T'; p[7] = (char)('0' + hh / 10); p[8] = (char)('0' + hh % 10);
    p[9] = ':'; p[10] = (char)('0' + mm / 10); p[11] = (char)('0' + mm % 10);
    p[12] = ':'; p[13] = (char)('0' + ss / 10); p[14] = (char)('0' + ss % 10);
    p += 15;
    if (prec > 0) {
        if (prec > 9) prec = 9;
        *p++ = '.';
        int64_t div = 100000000;
        for (int k = 0; k < prec; k++, div /= 10) *p++ = (char)('0' + frac / div % 10);
    }
    *p++ = 'Z';
    *p = 0;
    return (size_t)(p - buf);
}

size_t iot_time_fmt(int64_t ns, char *buf) { return iot_time_fmt_prec(ns, 3, buf); }

int iot_dur_parse(const char *s, int64_t *out)
{
    if (!s || !*s) return -1;
    if (strcmp(s, "0") == 0) { *out = 0; return 0; }
    int64_t total = 0;
    const char *p = s;
    while (*p) {
        if (!((*p >= '0' && *p <= '9') || *p == '.')) return -1;
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0) return -1;
        p = end;
        int64_t mul;
        if (strncmp(p, "ns", 2) == 0) mul = 1, p += 2;
        else if (strncmp(p, "us", 2) == 0) mul = 1000, p += 2;
        else if (strncmp(p, "\xc2\xb5s", 3) == 0) mul = 1000, p += 3;
        else if (strncmp(p, "ms", 2) == 0) mul = 1000000, p += 2;
        else if (*p == 's') mul = IOT_NS_PER_S, p++;
        else if (*p == 'm') mul = 60 * IOT_NS_PER_S, p++;
        else if (*p == 'h') mul = 3600 * IOT_NS_PER_S, p++;
        else if (*p == 'd') mul = 86400 * IOT_NS_PER_S, p++;
        else if (*p == 'w') mul = 7 * 86400 * IOT_NS_PER_S, p++;
        else return -1;
        double ns = v * (double)mul;
        if (ns > 9.2e18 || total > INT64_MAX - (int64_t)ns) return -1;
        total += (int64_t)llround(ns);
    }
    *out = total;
    return 0;
}

size_t iot_dur_fmt(int64_t ns, char *buf)
{
    static const struct { const char *u; int64_t n; } units[] = {
        { "d", 86400 * IOT_NS_PER_S }, { "h", 3600 * IOT_NS_PER_S }, { "m", 60 * IOT_NS_PER_S },
        { "s", IOT_NS_PER_S }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 } };
    if (ns <= 0) return (size_t)sprintf(buf, "0s");
    char *p = buf;
    for (int i = 0; i < 7; i++)
        if (ns >= units[i].n) {
            p += sprintf(p, "%lld%s", (long long)(ns / units[i].n), units[i].u);
            ns %= units[i].n;
        }
    return (size_t)(p - buf);
}

int64_t iot_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * IOT_NS_PER_S + ts.tv_nsec;
}

int64_t iot_time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * IOT_NS_PER_S + ts.tv_nsec;
}
