/* keytab: hash table from byte-string keys to fixed-size values with stable addresses. */
#ifndef IOT_KEYTAB_H
#define IOT_KEYTAB_H
#include <stddef.h>
#include <stdint.h>

struct iot_keytab;

/* val_size bytes per entry, zeroed at creation. max_keys 0 = unlimited. */
struct iot_keytab *iot_keytab_new(size_t val_size, size_t max_keys);
/* Finds or creates. *created set to 1 when new. Returns NULL only when the table is full. */
void *iot_keytab_get(struct iot_keytab *t, const void *key, size_t klen, int *created);
void *iot_keytab_find(const struct iot_keytab *t, const void *key, size_t klen);
/* Removes the entry (its value pointer becomes invalid). Returns 0, or -1 if absent. */
int iot_keytab_del(struct iot_keytab *t, const void *key, size_t klen);
size_t iot_keytab_count(const struct iot_keytab *t);
/* Key of a value pointer returned by get/find. */
const char *iot_keytab_key(const void *val, size_t *klen);
/* Iteration in insertion order (stable, deterministic): *pos starts at 0; returns the next value
 * or NULL at the end. Deleting the current entry during iteration is allowed. */
void *iot_keytab_next(const struct iot_keytab *t, size_t *pos);
/* Values in key byte order (memcmp, shorter first on ties); caller frees the array. */
void **iot_keytab_sorted(const struct iot_keytab *t, size_t *n);
void iot_keytab_free(struct iot_keytab *t, void (*free_val)(void *val));

/* 64-bit hash of bytes (deterministic across runs and machines). */
uint64_t iot_hash64(const void *p, size_t n);
#endif
