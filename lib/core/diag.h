/* diag: above the writer — rejected records, the dead-letter stream, --stats, at-exit hooks.
 * Messages and exit codes are die.h (included here for the callers). */
#ifndef IOT_DIAG_H
#define IOT_DIAG_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "die.h"
#include "out.h"

/* Sets the program name, ignores SIGPIPE (EPIPE is handled by out.c), installs SIGINT/SIGTERM
 * handlers that only set iot_stop_requested (tools treat it as end of input). */
void iot_diag_init(const char *prog);


/* Options shared by every tool (filled by cli.c). */
struct iot_diag_opts { const char *dead_letter; bool strict; bool stats; bool quiet; };
extern struct iot_diag_opts iot_diag;

/* A line that cannot be used. kind is a short stable reason class used for counting and
 * summaries ("bad json", "bad time", "missing key", ...); fmt the detailed message.
 * With --dead-letter: one JSON object {"error","kind","source","line","text"} is written there,
 * and, when the text is not valid UTF-8 (its bytes would not survive JSON), "bytes": the exact
 * line in base64 (RFC 4648) beside the readable "text".
 * Otherwise: reported on stderr (first 5 of a kind, then summarised at exit), and the exit
 * status becomes 65. With --strict: exits 65 at once. line may be NULL (no text kept). */
void iot_reject(const struct iot_src *src, const char *line, size_t len, const char *kind,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A rejected line too long to hold in memory (--max-line): _begin counts and reports it like
 * iot_reject, then its bytes are streamed (with --dead-letter: as the base64 "bytes" member,
 * every byte, never cut; no "text") and _end closes the record with "length": bytes in all. */
void iot_reject_stream_begin(const struct iot_src *src, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void iot_reject_stream_bytes(const char *p, size_t n);
void iot_reject_stream_end(void);

/* Counters reported by --stats: lines_in, records_out, rejected (and per kind) are standard;
 * tools add their own by name (e.g. "late", "deduped"). Names must be string literals. */
extern int64_t iot_stat_lines_in, iot_stat_rejected;   /* records_out: out.h */
void iot_stat_add(const char *name, int64_t n);
int64_t iot_stat_get(const char *name);

/* Runs once before exit (iot_die included): tools register a hook to flush windows/save state. */
void iot_atexit(void (*fn)(void));

/* Ends the run: flushes outputs, closes dead-letter, prints summaries and --stats JSON.
 * Returns the exit status (0, or 65 if records were rejected without --dead-letter). */
int iot_diag_finish(void);
#endif
