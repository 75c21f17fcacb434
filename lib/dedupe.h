/* dedupe: drops exact repeats seen within a bounded event-time horizon, in bounded memory.
 * A record's identity is the bytes of its dedupe fields, held as a 128-bit hash (two 64-bit
 * hashes; a false "repeat" needs a 128-bit collision). */
#ifndef IOT_DEDUPE_H
#define IOT_DEDUPE_H
#include <stddef.h>
#include <stdint.h>

struct iot_dedupe;

/* window_ns: how far behind the newest event time seen an identity is still remembered.
 * max_entries: hard bound on remembered identities (oldest forgotten first; 0 = 1,000,000).
 * Memory is about 100 bytes per remembered identity (hash slots at half load + FIFO). */
struct iot_dedupe *iot_dedupe_new(int64_t window_ns, size_t max_entries);

/* Returns 1 if id (n bytes) at event time t was already seen within the horizon — a repeat
 * to drop — else remembers it and returns 0. An event older than the horizon (t < newest −
 * window) cannot be judged and returns 0 without being remembered. */
int iot_dedupe_seen(struct iot_dedupe *d, const void *id, size_t n, int64_t t);

size_t iot_dedupe_count(const struct iot_dedupe *d);     /* identities remembered now */
int64_t iot_dedupe_evicted(const struct iot_dedupe *d);   /* forgotten early for max_entries */
int64_t iot_dedupe_too_old(const struct iot_dedupe *d);   /* events older than the horizon */
void iot_dedupe_free(struct iot_dedupe *d);
#endif
