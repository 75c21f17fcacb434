/* dedupe: drops exact repeats seen within a bounded event-time horizon, in bounded memory.
 *
 * Two ways to remember identities, chosen by iot_dedupe_identity:
 *  - key + time (the default identity): per key, a ring of the event times seen, in arrival
 *    order. Exact: a repeat is the same key bytes and the same instant, so nothing is ever
 *    dropped that is not a repeat. Lazy: an entry is forgotten when it falls behind the horizon
 *    and its key is touched again or visited by a sweep (one key per call), or early when
 *    max_entries is reached. A new event newer than everything its key has seen (the usual case)
 *    costs one key lookup and no search. About 8 bytes per remembered event plus ~100 per key.
 *  - any other identity: the bytes of the dedupe fields held as a 128-bit hash (two 64-bit
 *    hashes; a false "repeat" needs a 128-bit collision) in a hash set with a FIFO of
 *    insertions; about 100 bytes per remembered identity.
 * Either way a repeat is kept (not dropped) only when its first copy is beyond the horizon —
 * older than the newest event time seen minus the window — or was forgotten early for
 * max_entries (counted by iot_dedupe_evicted). */
#ifndef IOT_DEDUPE_H
#define IOT_DEDUPE_H
#include <stddef.h>
#include <stdint.h>

struct iot_dedupe;

/* window_ns: how far behind the newest event time seen an identity is still remembered.
 * max_entries: hard bound on remembered identities (0 = 1,000,000); past it the oldest are
 * forgotten first (per-key rings: the oldest of the key a sweep reaches next). */
struct iot_dedupe *iot_dedupe_new(int64_t window_ns, size_t max_entries);

/* Which fields make a record's identity: idx[0..n) in the caller's field set (as scanned with
 * iot_rec_scan); the one equal to time_index is compared as an instant (the t given to
 * iot_dedupe_record), the others by JSON type and text (a string by its unescaped text, so
 * "\u0041" and "A" are the same). key0/nkeys: the key fields; when the identity is exactly
 * the key fields and the time, the per-key rings are used. Call once, before the first record. */
void iot_dedupe_identity(struct iot_dedupe *d, const int *idx, int n, int time_index, int key0,
                         int nkeys);
/* Returns 1 if the record (vals, event time t) repeats one seen within the horizon — a repeat
 * to drop — else remembers it and returns 0; see iot_dedupe_seen for events behind the horizon. */
struct iot_val;
int iot_dedupe_record(struct iot_dedupe *d, const struct iot_val *vals, int64_t t);

/* Returns 1 if id (n bytes) at event time t was already seen within the horizon — a repeat
 * to drop — else remembers it and returns 0. An event older than the horizon (t < newest −
 * window) cannot be judged and returns 0 without being remembered. */
int iot_dedupe_seen(struct iot_dedupe *d, const void *id, size_t n, int64_t t);

size_t iot_dedupe_count(const struct iot_dedupe *d);     /* identities remembered now */
int64_t iot_dedupe_evicted(const struct iot_dedupe *d);   /* forgotten early for max_entries */
int64_t iot_dedupe_too_old(const struct iot_dedupe *d);   /* events older than the horizon */
/* Adds "dedupe_evicted" and "dedupe_too_old" to --stats (when not zero). */
void iot_dedupe_stats(const struct iot_dedupe *d);
void iot_dedupe_free(struct iot_dedupe *d);
#endif
