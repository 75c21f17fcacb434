/* oldest: which key was seen longest ago — an indexed binary min-heap of entries embedded in the
 * caller's per-key values (keytab values have stable addresses), for --evict oldest. */
#ifndef IOT_OLDEST_H
#define IOT_OLDEST_H
#include <stddef.h>
#include <stdint.h>

/* Embed one in each key's value; t is the key's last event time. */
struct iot_oldest_ent { int64_t t; size_t idx; };

struct iot_oldest {
    struct iot_oldest_ent **h;
    size_t n, cap;
    /* Order of entries with equal t (e.g. by key bytes), so that the choice does not depend on
     * the heap's layout; NULL = any. */
    int (*tie)(const struct iot_oldest_ent *a, const struct iot_oldest_ent *b);
};

/* Adds e (not in the heap) with time t. O(log n). */
void iot_oldest_add(struct iot_oldest *o, struct iot_oldest_ent *e, int64_t t);
/* Changes e's time (either way). O(log n). */
void iot_oldest_set(struct iot_oldest *o, struct iot_oldest_ent *e, int64_t t);
/* The entry with the smallest (t, tie), or NULL when empty. */
struct iot_oldest_ent *iot_oldest_min(const struct iot_oldest *o);
/* Takes e out of the heap. */
void iot_oldest_remove(struct iot_oldest *o, struct iot_oldest_ent *e);
/* Frees the heap's array (the entries belong to the caller). */
void iot_oldest_free(struct iot_oldest *o);
#endif
