#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "die.h"

const char *iot_prog = "iot";
volatile int iot_stop_requested;
static void (*hooks[8])(void);
static int nhooks;

void iot_die_init(const char *prog)
{
    const char *slash = strrchr(prog, '/');
    iot_prog = slash ? slash + 1 : prog;
}

void iot_die_hook(void (*fn)(void))
{
    for (int i = 0; i < nhooks; i++)
        if (hooks[i] == fn) return;
    if (nhooks < 8) hooks[nhooks++] = fn;
}

static void vmsg(const struct iot_src *src, const char *fmt, va_list ap)
{
    char buf[4096];
    int off = snprintf(buf, sizeof buf, "%s: ", iot_prog);
    if (src && src->file)
        off += snprintf(buf + off, sizeof buf - (size_t)off, "%s:%lld: ", src->file, (long long)src->line);
    if (off < (int)sizeof buf)
        vsnprintf(buf + off, sizeof buf - (size_t)off, fmt, ap);
    fprintf(stderr, "%s\n", buf);
}

void iot_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, fmt, ap);
    va_end(ap);
}

void iot_warn_at(const struct iot_src *src, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(src, fmt, ap);
    va_end(ap);
}

_Noreturn void iot_die(int code, const char *fmt, ...)
{
    static int dying;
    if (!dying) {
        dying = 1;
        va_list ap;
        va_start(ap, fmt);
        vmsg(NULL, fmt, ap);
        va_end(ap);
        for (int i = 0; i < nhooks; i++) hooks[i]();
    }
    _exit(code);
}
