/* Unit tests for lib/ingest_input: the cached event-time parse gives what iot_val_time gives. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "ingest/ingest_input.h"
#include "core/time.h"

static uint64_t rng = 88172645463325252ULL;
static unsigned next(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* One time text: a few seconds around a base, with every suffix form, good and bad. */
static void make(char *s, size_t cap)
{
    static const char *const sep = "TTTt ";
    static const char *const zone[] = { "Z", "Z", "Z", "z", "+01:00", "-0230", "+05", "", "Q", "Z " };
    int sec = next(8) == 0 ? (int)next(61) : (int)next(2);   /* runs within a second, leap ones */
    int n = snprintf(s, cap, "\"2026-0%u-%02uT%c%02u:%02u:%02d", 1 + (next(16) == 0), 28 + (next(16) == 0),
                     next(4) ? 'T' : sep[next(5)], 23, 59, sec);
    /* drop the stray 'T' the format adds before the separator */
    memmove(s + 11, s + 12, (size_t)n - 11);
    n--;
    switch (next(6)) {
    case 0: break;
    case 1: n += snprintf(s + n, cap - (size_t)n, ".%03u", next(1000)); break;
    case 2: n += snprintf(s + n, cap - (size_t)n, ",%u", next(10)); break;
    case 3: n += snprintf(s + n, cap - (size_t)n, ".%09u%u", next(1000000000), next(100)); break;
    case 4: n += snprintf(s + n, cap - (size_t)n, "."); break;
    case 5: n += snprintf(s + n, cap - (size_t)n, ".%ux", next(100)); break;
    }
    snprintf(s + n, cap - (size_t)n, "%s\"", zone[next(10)]);
}

int main(void)
{
    struct iot_time_cache c = { 0 };
    int same = 1, hits = 0;
    char s[96];
    for (int i = 0; i < 200000 && same; i++) {
        make(s, sizeof s);
        struct iot_val v = { s, strlen(s), 0, IOT_J_STR, 0 };
        int64_t a = 0, b = 0;
        const char *wa = NULL, *wb = NULL;
        int was = c.valid && memcmp(s + 1, c.prefix, 19) == 0;
        int ra = iot_ingest_time(&c, &v, IOT_TU_AUTO, &a, &wa);
        int rb = iot_val_time(&v, IOT_TU_AUTO, &b, &wb);
        hits += was && ra == 0;
        if (ra != rb || (ra == 0 && a != b) || (ra != 0 && strcmp(wa, wb) != 0)) {
            same = 0;
            printf("# %s: cached %d %lld, plain %d %lld\n", s, ra, (long long)a, rb, (long long)b);
        }
    }
    CHECK(same, "cached parse equals iot_val_time on 200000 texts (Z/z/offsets, fractions of 0-11 digits, leap seconds, bad suffixes)");
    CHECK(hits > 10000, "the cache is used (%d hits)", hits);

    struct iot_val num = { "1767225600123", 13, 0, IOT_J_NUM, 0 }, esc = { "\"2026-01-01T00:00:00\\u002e5Z\"", 29, 0, IOT_J_STR, 1 };
    int64_t t;
    const char *why;
    CHECK(iot_ingest_time(&c, &num, IOT_TU_AUTO, &t, &why) == 0 && t == INT64_C(1767225600123000000), "epoch ms number");
    CHECK(iot_ingest_time(&c, &esc, IOT_TU_AUTO, &t, &why) == 0 && t == INT64_C(1767225600500000000), "escaped text");
    struct iot_val a1 = { "\"2026-01-01T00:00:00.250Z\"", 26, 0, IOT_J_STR, 0 }, a2 = { "\"2026-01-01T00:00:00.987Z\"", 26, 0, IOT_J_STR, 0 };
    CHECK(iot_ingest_time(&c, &a1, IOT_TU_AUTO, &t, &why) == 0 && t == INT64_C(1767225600250000000) &&
          iot_ingest_time(&c, &a2, IOT_TU_AUTO, &t, &why) == 0 && t == INT64_C(1767225600987000000),
          "same second, digits 8 and 7 in the ms (a hit)");
    return unit_done();
}
