/* Unit tests for lib/dedupe: the per-key rings (key + time identities) against a plain set. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "ingest/dedupe.h"
#include "core/keytab.h"
#include "core/rec.h"
#include "core/time.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static unsigned next(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A stream over `keys` devices, 1 event/s each, with repeats (soon, late, far) and stragglers. */
struct ev { int key; int64_t t; };
static struct ev *stream(int keys, int n)
{
    struct ev *e = malloc(sizeof *e * (size_t)n);
    for (int i = 0; i < n; i++) {
        e[i].key = (int)next((unsigned)keys);
        e[i].t = (int64_t)(i / keys) * IOT_NS_PER_S + next(1000) * IOT_NS_PER_MS;
        unsigned r = next(100);
        if (i > 0 && r < 10) e[i] = e[i - 1 - next(i < 5 ? (unsigned)i : 5)];          /* soon */
        else if (i > 2000 && r < 13) e[i] = e[i - 1 - next(2000)];                       /* later */
        else if (r < 15) e[i].t -= (int64_t)next(120) * IOT_NS_PER_S;                     /* straggler */
    }
    return e;
}

/* Reference: every (key, t) remembered forever; the horizon rule as documented. */
static int ref_seen(struct iot_keytab *set, int64_t *newest, int64_t window, struct ev e)
{
    if (e.t > *newest) *newest = e.t;
    if (e.t < *newest - window) return 0;
    int created;
    struct { int k; int64_t t; } id = { e.key, e.t };
    iot_keytab_get(set, &id, sizeof id, &created);
    return !created;
}

static void run(int keys, int n, int64_t window, size_t max, int *exact, int *false_drops, int64_t *evicted)
{
    struct ev *e = stream(keys, n);
    struct iot_dedupe *d = iot_dedupe_new(window, max), *h = iot_dedupe_new(window, max);
    int idx[2] = { 1, 0 };
    iot_dedupe_identity(d, idx, 2, 0, 1, 1);     /* key + time: rings */
    int idx3[3] = { 1, 0, 2 };
    iot_dedupe_identity(h, idx3, 3, 0, 1, 1);    /* + an always-absent field: the hash set */
    struct iot_keytab *set = iot_keytab_new(1, 0);
    int64_t newest = INT64_MIN;
    *exact = 1, *false_drops = 0;
    for (int i = 0; i < n; i++) {
        char key[16];
        int kl = snprintf(key, sizeof key, "\"d%d\"", e[i].key);
        struct iot_val v[3] = { { "0", 1, 0, IOT_J_NUM, 0 }, { key, (size_t)kl, 0, IOT_J_STR, 0 }, { 0 } };
        int a = iot_dedupe_record(d, v, e[i].t), b = iot_dedupe_record(h, v, e[i].t);
        int want = ref_seen(set, &newest, window, e[i]);
        if (a != want || b != want) *exact = 0;
        if (a && !want) (*false_drops)++;
    }
    *evicted = iot_dedupe_evicted(d);
    iot_dedupe_free(d);
    iot_dedupe_free(h);
    iot_keytab_free(set, NULL);
    free(e);
}

int main(void)
{
    int exact, fd;
    int64_t ev;
    run(50, 200000, 60 * IOT_NS_PER_S, 0, &exact, &fd, &ev);
    CHECK(exact && ev == 0, "rings and hash set both equal the reference (60 s window, 50 keys, no bound hit)");
    run(1000, 100000, 600 * IOT_NS_PER_S, 0, &exact, &fd, &ev);
    CHECK(exact, "1000 keys, 10-minute window: exact");
    run(200, 100000, 600 * IOT_NS_PER_S, 5000, &exact, &fd, &ev);
    CHECK(fd == 0 && ev > 0, "bounded at 5000 identities: forgets early (%lld) but never drops a non-repeat", (long long)ev);

    /* memory stays bounded and expired keys go: 100000 one-shot keys in a 1 s window */
    struct iot_dedupe *d = iot_dedupe_new(IOT_NS_PER_S, 0);
    int idx[2] = { 1, 0 };
    iot_dedupe_identity(d, idx, 2, 0, 1, 1);
    for (int i = 0; i < 100000; i++) {
        char key[16];
        int kl = snprintf(key, sizeof key, "\"k%d\"", i);
        struct iot_val v[2] = { { "0", 1, 0, IOT_J_NUM, 0 }, { key, (size_t)kl, 0, IOT_J_STR, 0 } };
        iot_dedupe_record(d, v, (int64_t)i * IOT_NS_PER_MS);
    }
    CHECK(iot_dedupe_count(d) < 3000, "lazy sweep forgets expired events of quiet keys (%zu remembered)", iot_dedupe_count(d));
    iot_dedupe_free(d);
    return unit_done();
}
