/* Shared by the libFuzzer targets. Loaders report a bad input with iot_die (message, exit):
 * the targets link with -Wl,--wrap=iot_die, so those calls land in __wrap_iot_die below, which
 * jumps back to the target (FUZZ_TRY) instead of exiting; a refused input is a normal outcome,
 * only a crash, a sanitizer report or a hang is a finding. What the loader had allocated before
 * refusing is not freed (the process would have exited), so targets that refuse through iot_die
 * run without leak detection. */
#ifndef IOT_FUZZ_H
#define IOT_FUZZ_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/diag.h"

static jmp_buf fuzz_jump;
static int fuzz_armed;
static int fuzz_last_code;

_Noreturn void __wrap_iot_die(int code, const char *fmt, ...);
_Noreturn void __wrap_iot_die(int code, const char *fmt, ...)
{
    if (!fuzz_armed) {          /* not inside FUZZ_TRY: behave as the real one would */
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        _exit(code);
    }
    fuzz_armed = 0;
    fuzz_last_code = code;
    longjmp(fuzz_jump, 1);
}

/* Use: if (setjmp(fuzz_jump) == 0) { fuzz_armed = 1; ...calls that may iot_die...; fuzz_armed = 0; } */

/* Writes data to this process's temporary file and returns its path (removed at exit). */
static char fuzz_path[64];
static void fuzz_file_cleanup(void) { unlink(fuzz_path); }
__attribute__((unused)) static const char *fuzz_file(const uint8_t *data, size_t size)
{
    if (!fuzz_path[0]) {
        snprintf(fuzz_path, sizeof fuzz_path, "/tmp/iotkit-fuzz-%ld", (long)getpid());
        atexit(fuzz_file_cleanup);
    }
    FILE *f = fopen(fuzz_path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return fuzz_path;
}

/* Targets that refuse through iot_die leak what the loader held: no leak detection there. */
#define FUZZ_NO_LEAK_CHECK \
    const char *__asan_default_options(void); \
    const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif
