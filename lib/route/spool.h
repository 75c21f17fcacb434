/* spool: a disk queue of records for store-and-forward — append-only segment files
 * (SEQ.spool, 20 digits) in one folder, each record framed as length, CRC-32C and bytes, and a
 * committed read position in the file "acked" (rewritten atomically). Memory holds one record
 * at a time; a restart resumes after the committed position (at-least-once: what was sent but
 * not committed is sent again). A torn tail (a crash mid-append) is cut back to the last whole
 * record when the spool is opened, and said. */
#ifndef IOT_SPOOL_H
#define IOT_SPOOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

struct iot_spool;
struct iot_spool_pos { uint64_t seq, off; };

/* Opens (creating) the folder dir, holding at most max_bytes of unconsumed records (0 = no
 * bound). NULL with a message in err. Damage found on opening is warned and counted. */
struct iot_spool *iot_spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errcap);
/* Appends one record. Returns 0, 1 when the spool is full (nothing written), -1 on a write
 * error (err in iot_spool_error). */
int iot_spool_append(struct iot_spool *sp, const void *p, size_t n);
/* Reads the next record after the read cursor into b (reset first). Returns 1 and sets *end
 * (the position after it), 0 when the cursor is at the end, -1 on an I/O error. A damaged
 * record skips the rest of its segment (warned, counted in corrupt). */
int iot_spool_next(struct iot_spool *sp, struct iot_buf *b, struct iot_spool_pos *end);
/* Moves the read cursor back to the committed position (after a lost connection). */
void iot_spool_rewind(struct iot_spool *sp);
/* Commits: everything before pos (nrec records since the last commit) is delivered; consumed
 * segments are removed. Returns 0/-1. */
int iot_spool_commit(struct iot_spool *sp, struct iot_spool_pos pos, uint64_t nrec);
/* fdatasync of the segment being appended to. Returns 0/-1. */
int iot_spool_sync(struct iot_spool *sp);
bool iot_spool_unread(const struct iot_spool *sp);     /* records after the read cursor */
uint64_t iot_spool_records(const struct iot_spool *sp); /* records after the committed position */
uint64_t iot_spool_bytes(const struct iot_spool *sp);   /* their bytes on disk */
int64_t iot_spool_corrupt(const struct iot_spool *sp);  /* records lost to damage */
const char *iot_spool_error(const struct iot_spool *sp);
void iot_spool_close(struct iot_spool *sp);             /* syncs and frees */

#endif
