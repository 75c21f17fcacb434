/* key: the one rule for a record's grouping key, used by every tool (iot(7), KEYS).
 * A key is its parts joined by 0x1f. A string part is its unescaped bytes; any other JSON value
 * is 0x1e followed by its JSON text as written, so 42 and "42", true and "true", null and "null"
 * are different keys, while 42 and 42.0 are different too (the text is not reformatted). An
 * absent member is the same part as null. Neither byte can appear in an unescaped JSON string
 * without an escape, so a key without escapes never collides with another. */
#ifndef IOT_KEY_H
#define IOT_KEY_H
#include <stddef.h>
#include "buf.h"
#include "rec.h"

/* The key fields of -k SPEC, by the one rule for every tool: NULL or "" is "deviceId", "none" is
 * no field at all (one group for every record), else comma-separated paths. Returns a
 * NULL-terminated vector of names (caller frees with iot_strv_free); *n gets their count. */
char **iot_key_names(const char *spec, int *n);
/* The same fields added to f: returns their indexes (n of them, caller frees; never NULL). */
int *iot_key_fields(struct iot_fields *f, const char *spec, int *n);

/* Appends the key part of v to b. */
void iot_key_part(const struct iot_val *v, struct iot_buf *b);
/* Resets b and builds the key of vals[idx[0..n-1]] into it (b->p is valid, maybe "", after).
 * Returns how many parts were present (neither absent nor null); with no key fields (-k none)
 * the one global key is always present: 1. */
int iot_key_build(struct iot_buf *b, const struct iot_val *vals, const int *idx, int n);
/* The same key bytes without a copy where possible: for one string part without escapes,
 * *key points into the line; otherwise the key is built in b. Returns the present count. */
int iot_key_view(struct iot_buf *b, const struct iot_val *vals, const int *idx, int n,
                 const char **key, size_t *klen);
/* Writes part i of key (klen bytes) to b as a JSON value: a string part quoted and escaped,
 * another part as its JSON text. Returns 0, or -1 when the key has fewer parts. */
int iot_key_json(struct iot_buf *b, const char *key, size_t klen, int i);
#endif
