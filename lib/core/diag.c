#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "diag.h"
#include "out.h"

struct iot_diag_opts iot_diag;
int64_t iot_stat_lines_in, iot_stat_rejected;

#define MAX_STATS 64
#define SHOW_PER_KIND 5    /* messages shown per reason before only counting */
struct stat_ent { const char *name; int64_t n; int is_kind; };
static struct stat_ent stats[MAX_STATS];
static int nstats;
static struct iot_out *dead;
static void (*hooks[8])(void);
static int nhooks;

static void on_signal(int sig)
{
    (void)sig;
    iot_stop_requested = 1;
}

void iot_diag_init(const char *prog)
{
    iot_die_init(prog);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: a blocking read returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}





static struct stat_ent *stat_find(const char *name, int is_kind)
{
    for (int i = 0; i < nstats; i++)
        if (stats[i].is_kind == is_kind && strcmp(stats[i].name, name) == 0)
            return &stats[i];
    if (nstats == MAX_STATS) return NULL;
    stats[nstats] = (struct stat_ent){ name, 0, is_kind };
    return &stats[nstats++];
}

void iot_stat_add(const char *name, int64_t n)
{
    struct stat_ent *e = stat_find(name, 0);
    if (e) e->n += n;
}

int64_t iot_stat_get(const char *name)
{
    for (int i = 0; i < nstats; i++)
        if (!stats[i].is_kind && strcmp(stats[i].name, name) == 0) return stats[i].n;
    return 0;
}

/* base64 (RFC 4648, with padding) streamed: up to two bytes wait for the next call. */
static struct { unsigned char carry[2]; int nc; int64_t total; bool on; } b64;
static void b64_put(const unsigned char *p, size_t n, bool last)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4 * 256];
    size_t o = 0, i = 0;
    unsigned char t[3];
    while (b64.nc + (n - i) >= 3) {
        int k = 0;
        for (; k < b64.nc; k++) t[k] = b64.carry[k];
        for (; k < 3; k++) t[k] = p[i++];
        b64.nc = 0;
        out[o++] = al[t[0] >> 2];
        out[o++] = al[(t[0] & 3) << 4 | t[1] >> 4];
        out[o++] = al[(t[1] & 15) << 2 | t[2] >> 6];
        out[o++] = al[t[2] & 63];
        if (o == sizeof out) { iot_out_write(dead, out, o); o = 0; }
    }
    while (i < n) b64.carry[b64.nc++] = p[i++];
    if (last && b64.nc) {
        t[0] = b64.carry[0];
        t[1] = b64.nc > 1 ? b64.carry[1] : 0;
        out[o++] = al[t[0] >> 2];
        out[o++] = al[(t[0] & 3) << 4 | t[1] >> 4];
        out[o++] = b64.nc > 1 ? al[(t[1] & 15) << 2] : '=';
        out[o++] = '=';
        b64.nc = 0;
    }
    if (o) iot_out_write(dead, out, o);
}

/* Counts a reject and writes the record's head to the dead-letter file (when there is one);
 * returns true if the head was written. */
static bool reject_head(const struct iot_src *src, const char *kind, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    iot_stat_rejected++;
    struct stat_ent *e = stat_find(kind, 1);
    int64_t seen = e ? ++e->n : 1;
    if (iot_diag.dead_letter) {
        if (!dead) dead = iot_out_open(iot_diag.dead_letter, 0);
        iot_out_puts(dead, "{\"error\":");
        iot_out_json_str(dead, msg, strlen(msg));
        iot_out_puts(dead, ",\"kind\":");
        iot_out_json_str(dead, kind, strlen(kind));
        if (src && src->file) {
            char pos[64];
            iot_out_puts(dead, ",\"source\":");
            iot_out_json_str(dead, src->file, strlen(src->file));
            snprintf(pos, sizeof pos, ",\"line\":%lld", (long long)src->line);
            iot_out_puts(dead, pos);
        }
        return true;
    }
    if (!iot_diag.quiet && (seen <= SHOW_PER_KIND || iot_diag.strict))
        iot_warn_at(src, "%s", msg);
    return false;
}

static void strict_stop(void)
{
    if (iot_diag.strict) {
        iot_out_flush_all();
        iot_die(IOT_EX_DATAERR, "stopping at the first bad line (--strict)");
    }
}

void iot_reject(const struct iot_src *src, const char *line, size_t len, const char *kind,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool head = reject_head(src, kind, fmt, ap);
    va_end(ap);
    if (head) {
        if (line) {
            iot_out_puts(dead, ",\"text\":");
            iot_out_json_str(dead, line, len);
            if (!iot_utf8_valid(line, len)) {   /* "text" cannot carry these bytes: give them */
                iot_out_puts(dead, ",\"bytes\":\"");
                b64.nc = 0;
                b64_put((const unsigned char *)line, len, true);
                iot_out_putc(dead, '"');
            }
        }
        iot_out_puts(dead, "}");
        iot_out_eol(dead);
    }
    strict_stop();
}

void iot_reject_stream_begin(const struct iot_src *src, const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool head = reject_head(src, kind, fmt, ap);
    va_end(ap);
    if (head && iot_diag.strict) {
        iot_out_puts(dead, "}");
        iot_out_eol(dead);
    }
    strict_stop();
    b64.on = head;
    b64.nc = 0;
    b64.total = 0;
    if (head) iot_out_puts(dead, ",\"bytes\":\"");
}

void iot_reject_stream_bytes(const char *p, size_t n)
{
    b64.total += (int64_t)n;
    if (b64.on) b64_put((const unsigned char *)p, n, false);
}

void iot_reject_stream_end(void)
{
    if (!b64.on) return;
    b64_put(NULL, 0, true);
    char tail[64];
    snprintf(tail, sizeof tail, "\",\"length\":%lld}", (long long)b64.total);
    iot_out_puts(dead, tail);
    iot_out_eol(dead);
    b64.on = false;
}

void iot_atexit(void (*fn)(void))
{
    if (nhooks < (int)(sizeof hooks / sizeof hooks[0])) hooks[nhooks++] = fn;
}

int iot_diag_finish(void)
{
    for (int i = 0; i < nhooks; i++) hooks[i]();
    nhooks = 0;
    if (iot_diag.dead_letter && !dead) dead = iot_out_open(iot_diag.dead_letter, 0);
    iot_out_close_all();
    if (!iot_diag.dead_letter && !iot_diag.quiet)
        for (int i = 0; i < nstats; i++)
            if (stats[i].is_kind && stats[i].n > SHOW_PER_KIND)
                iot_warn("%lld more lines rejected (%s) not shown; %lld in all",
                         (long long)(stats[i].n - SHOW_PER_KIND), stats[i].name, (long long)stats[i].n);
    if (iot_diag.stats) {
        struct iot_buf b = {0};
        iot_buf_adds(&b, "{\"tool\":");
        iot_buf_json_str(&b, iot_prog, strlen(iot_prog));
        iot_buf_addf(&b, ",\"lines_in\":%lld,\"records_out\":%lld,\"rejected\":%lld,\"rejected_by\":{",
                     (long long)iot_stat_lines_in, (long long)iot_stat_records_out, (long long)iot_stat_rejected);
        int first = 1;
        for (int i = 0; i < nstats; i++) {
            if (!stats[i].is_kind) continue;
            if (!first) iot_buf_addc(&b, ',');
            first = 0;
            iot_buf_json_str(&b, stats[i].name, strlen(stats[i].name));
            iot_buf_addf(&b, ":%lld", (long long)stats[i].n);
        }
        iot_buf_addc(&b, '}');
        for (int i = 0; i < nstats; i++) {
            if (stats[i].is_kind) continue;
            iot_buf_addc(&b, ',');
            iot_buf_json_str(&b, stats[i].name, strlen(stats[i].name));
            iot_buf_addf(&b, ":%lld", (long long)stats[i].n);
        }
        iot_buf_adds(&b, "}\n");
        fputs(b.p, stderr);
        iot_buf_free(&b);
    }
    fflush(stderr);
    return iot_stat_rejected && !iot_diag.dead_letter ? IOT_EX_DATAERR : IOT_EX_OK;
}
