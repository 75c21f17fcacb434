/* Unit tests for lib/core/keytab.c: stable values, growth, deletion, order, bound. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "core/keytab.h"

int main(void)
{
    struct iot_keytab *t = iot_keytab_new(sizeof(int64_t), 0);
    int64_t *first = NULL;
    int created, ok = 1;
    char k[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(k, sizeof k, "dev-%06d", i);
        int64_t *v = iot_keytab_get(t, k, (size_t)n, &created);
        if (!v || !created || *v != 0) ok = 0;
        *v = i;
        if (i == 0) first = v;
    }
    CHECK(ok, "100k new keys, zeroed values");
    CHECK(iot_keytab_count(t) == 100000, "count");
    CHECK(iot_keytab_find(t, "dev-000000", 10) == first && *first == 0, "value address stable across growth");
    int64_t *v = iot_keytab_get(t, "dev-000042", 10, &created);
    CHECK(!created && *v == 42, "existing key found");
    size_t kl;
    const char *key = iot_keytab_key(v, &kl);
    CHECK(kl == 10 && memcmp(key, "dev-000042", 10) == 0, "key of a value");
    CHECK(iot_keytab_del(t, "dev-000042", 10) == 0 && !iot_keytab_find(t, "dev-000042", 10), "delete");
    CHECK(iot_keytab_del(t, "nope", 4) == -1, "delete absent");
    size_t pos = 0, n = 0;
    int64_t prev = -1;
    ok = 1;
    while ((v = iot_keytab_next(t, &pos))) { if (*v <= prev) ok = 0; prev = *v; n++; }
    CHECK(ok && n == 99999, "insertion order iteration skips deleted");
    iot_keytab_free(t, NULL);

    t = iot_keytab_new(8, 2);
    CHECK(iot_keytab_get(t, "a", 1, NULL) && iot_keytab_get(t, "b", 1, NULL), "two keys fit");
    CHECK(iot_keytab_get(t, "c", 1, NULL) == NULL, "third key refused at --max-keys 2");
    CHECK(iot_keytab_get(t, "a", 1, NULL) != NULL, "existing key still found when full");
    iot_keytab_get(t, "", 0, NULL);
    size_t ns;
    void **s = iot_keytab_sorted(t, &ns);
    CHECK(ns == 2, "sorted lists all");
    free(s);
    iot_keytab_free(t, NULL);
    CHECK(iot_hash64("abc", 3) == iot_hash64("abc", 3) && iot_hash64("abc", 3) != iot_hash64("abd", 3), "hash deterministic");
    return unit_done();
}
