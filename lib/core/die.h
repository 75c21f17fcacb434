/* die: the bottom layer — program name, messages on stderr, exit codes (sysexits.h), and the
 * hooks that run when a tool dies. Depends on nothing else in the library. */
#ifndef IOT_DIE_H
#define IOT_DIE_H
#include <stdint.h>

enum { IOT_EX_OK = 0, IOT_EX_USAGE = 64, IOT_EX_DATAERR = 65, IOT_EX_NOINPUT = 66,
       IOT_EX_SOFTWARE = 70, IOT_EX_CANTCREAT = 73, IOT_EX_IOERR = 74 };

/* Where a line came from: file name ("<stdin>" for standard input) and 1-based line number. */
struct iot_src { const char *file; int64_t line; };

extern const char *iot_prog;            /* message prefix; set by iot_die_init */
void iot_die_init(const char *prog);    /* prog may be a path: its last component is used */

/* "prog: message" on stderr. */
void iot_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: file:line: message" */
void iot_warn_at(const struct iot_src *src, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the message, runs the die hooks once (the writer registers one that removes
 * unpublished atomic outputs, so a failed run never publishes state or segments) and exits
 * with code; iot_atexit hooks are NOT run. */
_Noreturn void iot_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set by the SIGINT/SIGTERM handlers (diag.h installs them): tools treat it as end of input,
 * and a writer blocked on a stalled reader gives up (out.h). */
extern volatile int iot_stop_requested;

/* Registers fn to run from iot_die before exit (at most 8; the same fn once). */
void iot_die_hook(void (*fn)(void));
#endif
