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
    /* Offset of the entry inside the keytab value that holds it: entries with equal t are
     * ordered by their keys' bytes (lib/core/keytab.h), so that the choice does not depend on the
     * heap's layout (a run resumed from a state file evicts as one run would). */
    size_t off;
};
struct iot_keytab;

/* Adds e (not in the heap) with time t. O(log n). */
void iot_oldest_add(struct iot_oldest *o, struct iot_oldest_ent *e, int64_t t);
/* Changes e's time (either way). O(log n). */
void iot_oldest_set(struct iot_oldest *o, struct iot_oldest_ent *e, int64_t t);
/* The entry with the smallest (t, tie), or NULL when empty. */
struct iot_oldest_ent *iot_oldest_min(const struct iot_oldest *o);
/* Takes e out of the heap. */
void iot_oldest_remove(struct iot_oldest *o, struct iot_oldest_ent *e);
/* The keytab value whose entry is the minimum, or NULL when empty. */
void *iot_oldest_value(const struct iot_oldest *o);
/* Takes val's entry out of the heap and deletes val's key from t (val is invalid after). */
void iot_oldest_forget(struct iot_oldest *o, struct iot_keytab *t, void *val);
/* Frees the heap's array (the entries belong to the caller). */
void iot_oldest_free(struct iot_oldest *o);
#endif
