/* in: line reader over files or stdin, zstd decompressed on the fly (by magic bytes),
 * CRLF and a missing final newline accepted, no line limit but memory (or --max-line). */
#ifndef IOT_IN_H
#define IOT_IN_H
#include <stddef.h>
#include <stdint.h>
#include "diag.h"

struct iot_reader;  /* one file */

/* Opens path ("-" or NULL = stdin). On failure: message "prog: path: strerror" and exit 66.
 * max_line 0 = unlimited; a longer line is rejected (kind "line too long") and skipped. */
struct iot_reader *iot_reader_open(const char *path, size_t max_line);

/* Next line, without its "\n" or "\r\n", NUL-terminated at line[*len]. The buffer is owned by
 * the reader and valid until the next call. src is updated (file, line). Returns 1, or 0 at end
 * of file. Read errors (EIO, truncated zstd) are reported and exit 74 / 65 (corrupt zstd).
 * Before any read that may block, iot_out_flush_all() is called (flush-before-block). */
int iot_reader_next(struct iot_reader *r, char **line, size_t *len, struct iot_src *src);

/* Waits up to timeout_ms for input to be available without reading it. Returns 1 if a line
 * (or EOF) is ready, 0 on timeout. Used for --idle. Flushes outputs before waiting. */
int iot_reader_wait(struct iot_reader *r, int timeout_ms);

/* True if the first bytes of the (regular or piped) input look like CSV rather than JSON,
 * i.e. the first non-space byte is not '{' or '['. Peeks without consuming. */
int iot_reader_peek(struct iot_reader *r, const char **buf, size_t *len);
const char *iot_reader_name(const struct iot_reader *r);
/* Returns blank lines too (as lines of length 0 or spaces) instead of skipping them; for formats
 * where a blank line can be data, such as a CSV field with an embedded empty line. */
void iot_reader_keep_blank(struct iot_reader *r, int on);
void iot_reader_close(struct iot_reader *r);

/* Several operands read one after another (none = stdin). */
struct iot_in;
struct iot_in *iot_in_open(char **paths, int n, size_t max_line);
int iot_in_next(struct iot_in *in, char **line, size_t *len, struct iot_src *src);
int iot_in_wait(struct iot_in *in, int timeout_ms);
/* With two operands or more: iot_in_next returns their lines merged in event-time order (a
 * k-way merge, one pending line per operand; ties to the operand named first), so files cut by
 * time and key (a lake hour per deviceType) read as one stream in time order. Each operand
 * should be in order by itself; a line whose time cannot be read goes out in its operand's
 * place for the tool to report. Call once, before the first iot_in_next. */
void iot_in_merge_by(struct iot_in *in, const char *time_field, int time_unit);
/* --idle: waits up to idle ns (wall clock) for input. Returns 0 when input (or its end) is
 * ready; otherwise 1, with *quiet the wall time since *since (which moves to now), so that the
 * caller advances event time by it, and counts idle_advances. */
int iot_in_idle(struct iot_in *in, int64_t idle, int64_t *since, int64_t *quiet);
/* Lines of merged operands that were earlier than their operand's previous line. */
int64_t iot_in_merge_disorder(const struct iot_in *in);
void iot_in_close(struct iot_in *in);
#endif
