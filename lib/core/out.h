/* out: large buffered writer (stdout or file, zstd if the path ends in .zst), flushed before
 * blocking reads, atomic files (temp name + fsync + rename), fatal write errors (exit 74). */
#ifndef IOT_OUT_H
#define IOT_OUT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "dtoa.h"   /* iot_fmt_*: callers that write numbers by hand */

struct iot_out;

enum {
    IOT_OUT_ATOMIC = 1,   /* write PATH.tmp.XXXX, fsync and rename to PATH on close */
    IOT_OUT_APPEND = 2,   /* append (new zstd frame if .zst) */
    IOT_OUT_ZSTD   = 4,   /* force zstd; also implied by a ".zst" suffix */
    IOT_OUT_NOZSTD = 8,   /* never zstd */
    IOT_OUT_FAST   = 16,  /* zstd level 1 instead of 3 (hot-path data lakes) */
    IOT_OUT_SMALLBUF = 32,/* 16 KiB buffer instead of 256 KiB (many files open at once) */
    IOT_OUT_KEEP_ON_ERROR = 64, /* ATOMIC data segment: on a fatal error elsewhere, publish what
                                   was written instead of removing it (records are never split) */
};

/* Opens path (NULL or "-" = stdout). Cannot create: message, exit 73. The writer is registered
 * for iot_out_flush_all and closed by iot_out_close_all at exit. */
struct iot_out *iot_out_open(const char *path, int flags);
/* The main output: path (NULL or "-" = stdout), -u and --append, as the CLI parsed them; call
 * before the first iot_out_std. */
void iot_out_std_config(const char *path, bool unbuffered, bool append);
/* The main output writer; the same object on every call. */
struct iot_out *iot_out_std(void);
/* Records ended on the main output (read by --stats). */
extern int64_t iot_stat_records_out;

void iot_out_write(struct iot_out *o, const void *p, size_t n);
void iot_out_puts(struct iot_out *o, const char *s);
void iot_out_putc(struct iot_out *o, int c);
void iot_out_printf(struct iot_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends a record: writes "\n", counts it in records_out if o is the main output, flushes if
 * unbuffered. */
void iot_out_eol(struct iot_out *o);
void iot_out_set_unbuffered(struct iot_out *o, bool on);

/* JSON writers: string with escaping (invalid UTF-8 bytes written as \u00XX of the byte
 * so that the result stays valid JSON), number (shortest round-trip; NaN/Inf as null), int64. */
void iot_out_json_str(struct iot_out *o, const char *s, size_t n);
void iot_out_json_num(struct iot_out *o, double v);
void iot_out_json_int(struct iot_out *o, int64_t v);
/* Timestamp as a JSON string, RFC 3339 UTC with milliseconds. */
void iot_out_json_time(struct iot_out *o, int64_t ns);

/* Flush to the OS. Write error: "prog: path: strerror", exit 74; EPIPE: silent exit 141.
 * To a pipe, socket or terminal, a write waits for room with poll in 200 ms slices: SIGTERM or
 * SIGINT while the reader is stalled ends the tool with exit 74 ("not delivered"), before any
 * state is committed. */
void iot_out_flush(struct iot_out *o);
void iot_out_flush_all(void);
/* Flushes, ends the zstd frame, fsyncs (if ATOMIC or sync) and renames into place; frees o. */
void iot_out_close(struct iot_out *o);
/* ATOMIC files only: publish without ever replacing an existing file. When path is taken at
 * close, "~1", "~2" ... is inserted at byte stem of path (0 = at the end) and the first free
 * name is used; iot_out_path then gives it. */
void iot_out_set_noreplace(struct iot_out *o, size_t stem);
/* Closes o without publishing: an ATOMIC temp file is removed. */
void iot_out_abort(struct iot_out *o);
void iot_out_close_all(void);
/* Removes every unpublished ATOMIC temp file and flushes nothing (used by iot_die). */
void iot_out_abort_all(void);
const char *iot_out_path(const struct iot_out *o);
uint64_t iot_out_bytes(const struct iot_out *o);   /* bytes written before compression */

void iot_out_json_fixed(struct iot_out *o, double v, int decimals);

/* The commit protocol (state.h): a state file records how much of its output file was
 * committed with it. */
struct iot_out_id { uint64_t dev, ino; int64_t size; bool append; };
/* o as a regular file being written in place (-o FILE, or stdout redirected to a file): its
 * identity, the size it has once flushed, and whether writes append (O_APPEND). Returns -1 for
 * pipes, terminals and ATOMIC temp files. */
int iot_out_id(const struct iot_out *o, struct iot_out_id *id);
/* Flushes o, ends the zstd frame (so that the file ends on a whole frame) and fsyncs a regular
 * file. Returns the file's committed length, or -1 when o is not a regular file (then only
 * flushed). Write or fsync error: exit 74 (EPIPE: 141) — the caller never commits past it. */
int64_t iot_out_commit(struct iot_out *o);
/* Truncates o's file to len bytes (and fsyncs); only before anything was written to o. Error:
 * exit 74. */
void iot_out_cut(struct iot_out *o, int64_t len);
#endif
