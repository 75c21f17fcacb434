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

void iot_reject(const struct iot_src *src, const char *line, size_t len, const char *kind,
                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
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
        if (line) {
            iot_out_puts(dead, ",\"text\":");
            iot_out_json_str(dead, line, len);
        }
        iot_out_puts(dead, "}");
        iot_out_eol(dead);
    } else if (!iot_diag.quiet && (seen <= SHOW_PER_KIND || iot_diag.strict)) {
        iot_warn_at(src, "%s", msg);
    }
    if (iot_diag.strict) {
        iot_out_flush_all();
        iot_die(IOT_EX_DATAERR, "stopping at the first bad line (--strict)");
    }
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
