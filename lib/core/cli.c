#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "out.h"
#include "time.h"

struct iot_common iot_common = { NULL, false, "deviceId", "timestamp", 0, 0, false };

enum { C_OUTPUT = 0x2001, C_UNBUF, C_DEAD, C_STATS, C_STRICT, C_QUIET, C_MAXLINE, C_HELP, C_VERSION };

static const struct iot_opt common[] = {
    { NULL, 0, 0, NULL, "Common options:", 0 },
    { "output", 'o', IOT_ARG, "FILE", "write to FILE instead of standard output (zstd if it ends in .zst)", C_OUTPUT },
    { "unbuffered", 'u', IOT_NOARG, NULL, "flush after every record", C_UNBUF },
    { "dead-letter", 0, IOT_ARG, "FILE", "write rejected lines there (JSON, with reason and source) instead of failing", C_DEAD },
    { "stats", 0, IOT_NOARG, NULL, "print a JSON summary of counts on standard error at exit", C_STATS },
    { "strict", 0, IOT_NOARG, NULL, "stop at the first bad line (exit 65)", C_STRICT },
    { "quiet", 'q', IOT_NOARG, NULL, "do not report rejected lines on standard error (still counted)", C_QUIET },
    { "max-line", 0, IOT_ARG, "BYTES", "reject lines longer than BYTES (default: no limit but memory)", C_MAXLINE },
    { "help", 'h', IOT_NOARG, NULL, "show this help and exit", C_HELP },
    { "version", 0, IOT_NOARG, NULL, "show the version and exit", C_VERSION },
    IOT_OPT_END
};

_Noreturn void iot_usage(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\nTry '%s --help'.\n", iot_prog, msg, iot_prog);
    exit(IOT_EX_USAGE);
}

static void print_opts(const struct iot_opt *o)
{
    for (; o->long_name || o->help; o++) {
        if (!o->long_name) { printf("\n%s\n", o->help); continue; }
        char left[96];
        int n = snprintf(left, sizeof left, "  %c%c%s--%s", o->short_name ? '-' : ' ',
                         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->long_name);
        if (o->arg == IOT_ARG) snprintf(left + n, sizeof left - (size_t)n, " %s", o->argname ? o->argname : "ARG");
        else if (o->arg == IOT_OPTARG) snprintf(left + n, sizeof left - (size_t)n, "[=%s]", o->argname ? o->argname : "ARG");
        if (strlen(left) >= 30) printf("%s\n%32s%s\n", left, "", o->help);
        else printf("%-32s%s\n", left, o->help);
    }
}

/* --help and --version: a write error is not ignored (> /dev/full: 74), EPIPE ends silently
 * as in out.c */
static _Noreturn void stdout_done(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) exit(0);
    if (errno == EPIPE) _exit(141);
    iot_die(IOT_EX_IOERR, "<stdout>: write error: %s", strerror(errno));
}

static void help(const struct iot_tool *t)
{
    printf("Usage: %s %s\n%s\n", t->name, t->synopsis, t->summary);
    if (t->opts[0].long_name) printf("\nOptions:\n");
    print_opts(t->opts);
    print_opts(common);
    if (t->footer) printf("\n%s\n", t->footer);
    printf("\nExit status: 0 ok, 64 usage, 65 bad data, 66 cannot open input, 70 internal error,\n"
           "73 cannot create output, 74 I/O error. See %s(1) and iot(7).\n", t->name);
}

static int add_opts(const struct iot_opt *o, struct option *lo, int nlo, struct iot_buf *sh,
                    const struct iot_opt **byid, int *nid)
{
    for (; o->long_name || o->help; o++) {
        if (!o->long_name) continue;
        lo[nlo++] = (struct option){ o->long_name, (int)o->arg, NULL, 0x4000 + *nid };
        byid[(*nid)++] = o;
        if (o->short_name) {
            iot_buf_addc(sh, (char)o->short_name);
            if (o->arg == IOT_ARG) iot_buf_addc(sh, ':');
            if (o->arg == IOT_OPTARG) iot_buf_adds(sh, "::");
        }
    }
    return nlo;
}

int iot_cli_parse(const struct iot_tool *t, int argc, char **argv,
                  void (*fn)(int id, const char *arg, void *ctx), void *ctx)
{
    struct option lo[256];
    const struct iot_opt *byid[256];
    int nid = 0;
    struct iot_buf sh = {0};
    iot_buf_addc(&sh, ':');   /* report missing arguments ourselves */
    int nlo = add_opts(t->opts, lo, 0, &sh, byid, &nid);
    nlo = add_opts(common, lo, nlo, &sh, byid, &nid);
    lo[nlo] = (struct option){ 0, 0, 0, 0 };
    /* An operand right after an optional-argument option written without '=' (getopt_long
     * takes "--dedupe a,b" as --dedupe and a file "a,b"): remembered before getopt permutes
     * argv, checked below. */
    const char *hint_opt[64], *hint_val[64];
    int nhint = 0;
    for (int i = 1; i + 1 < argc && nhint < 64; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strncmp(argv[i], "--", 2) != 0 || strchr(argv[i], '=') || argv[i + 1][0] == '-') continue;
        const char *w = argv[i] + 2, *hit = NULL;
        int matches = 0;
        size_t wn = strlen(w);
        for (int k = 0; k < nlo; k++)
            if (strncmp(lo[k].name, w, wn) == 0) {
                if (strlen(lo[k].name) == wn) { matches = 1; hit = lo[k].has_arg == optional_argument ? lo[k].name : NULL; break; }
                matches++;
                hit = lo[k].has_arg == optional_argument ? lo[k].name : NULL;
            }
        if (matches == 1 && hit) { hint_opt[nhint] = hit; hint_val[nhint++] = argv[i + 1]; }
    }
    int c, li;
    opterr = 0;
    while ((c = getopt_long(argc, argv, sh.p, lo, &li)) != -1) {
        const struct iot_opt *o = NULL;
        if (c >= 0x4000) o = byid[c - 0x4000];
        else if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1];
            if (c == ':') iot_usage("option '%s' needs an argument", optopt ? (char[]){ '-', (char)optopt, 0 } : bad);
            if (optopt) iot_usage("unknown option '-%c'", optopt);
            iot_usage("unknown or ambiguous option '%s'", bad);
        } else {
            for (int i = 0; i < nid; i++)
                if (byid[i]->short_name == c) o = byid[i];
        }
        if (!o) iot_usage("unknown option");
        switch (o->id) {
        case C_OUTPUT: iot_common.output = optarg; break;
        case C_UNBUF: iot_common.unbuffered = true; break;
        case C_DEAD: iot_diag.dead_letter = optarg; break;
        case C_STATS: iot_diag.stats = true; break;
        case C_STRICT: iot_diag.strict = true; break;
        case C_QUIET: iot_diag.quiet = true; break;
        case C_MAXLINE: iot_common.max_line = (size_t)iot_cli_int("--max-line", optarg, 1, INT64_MAX); break;
        case C_HELP: help(t); stdout_done();
        case C_VERSION: printf("%s (iotkit) %s\n", t->name, IOT_VERSION); stdout_done();
        case 0x1001: iot_common.key = optarg; break;
        case 0x1004: iot_common.append = true; break;
        case 0x1002: iot_common.time_field = optarg; break;
        case 0x1003: {
            int u = iot_time_unit_parse(optarg);
            if (u < 0) iot_usage("--time-unit: '%s' is not one of s, ms, us, ns, auto", optarg);
            iot_common.time_unit = u;
            break;
        }
        default: fn(o->id, optarg, ctx);
        }
    }
    iot_buf_free(&sh);
    for (int i = optind; i < argc; i++)
        for (int h = 0; h < nhint; h++)
            if (argv[i] == hint_val[h] && access(argv[i], F_OK) != 0)
                iot_die(IOT_EX_NOINPUT, "%s: cannot open: %s; did you mean --%s=%s?", argv[i],
                        strerror(errno), hint_opt[h], argv[i]);
    if (iot_common.output && iot_diag.dead_letter && strcmp(iot_common.output, iot_diag.dead_letter) == 0)
        iot_usage("--output and --dead-letter name the same file");
    if (iot_common.append && (!iot_common.output || strcmp(iot_common.output, "-") == 0))
        iot_usage("--append needs -o FILE");
    iot_out_std_config(iot_common.output, iot_common.unbuffered, iot_common.append);
    return optind;
}

int64_t iot_cli_int(const char *opt, const char *s, int64_t min, int64_t max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno) iot_usage("%s: '%s' is not a whole number", opt, s);
    if (v < min || v > max) iot_usage("%s: %s is out of range (%lld..%lld)", opt, s, (long long)min, (long long)max);
    return v;
}

double iot_cli_double(const char *opt, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || v != v) iot_usage("%s: '%s' is not a number", opt, s);
    return v;
}

int64_t iot_cli_duration0(const char *opt, const char *s)
{
    int64_t ns;
    if (iot_dur_parse(s, &ns)) iot_usage("%s: '%s' is not a duration (like 500ms, 30s, 5m, 1h, 7d)", opt, s);
    return ns;
}

int64_t iot_cli_duration(const char *opt, const char *s)
{
    int64_t ns = iot_cli_duration0(opt, s);
    if (ns <= 0) iot_usage("%s: the duration must be more than zero", opt);
    return ns;
}

int64_t iot_cli_time(const char *opt, const char *s)
{
    int64_t ns;
    const char *why;
    if (strcmp(s, "now") == 0) return iot_time_now();
    if (iot_time_parse(s, strlen(s), &ns, &why) == 0) return ns;
    if (iot_time_epoch(s, strlen(s), iot_common.time_unit, &ns, NULL) == 0) return ns;
    iot_usage("%s: '%s' is not a time (%s)", opt, s, why);
}

char **iot_split(const char *s, char sep, int *count)
{
    int n = 1;
    for (const char *p = s; *p; p++) n += *p == sep;
    char **v = iot_xcalloc((size_t)n + 1, sizeof *v);
    int k = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        v[k] = iot_xmalloc(len + 1);
        memcpy(v[k], p, len);
        v[k][len] = 0;
        k++;
        if (!e) break;
        p = e + 1;
    }
    if (count) *count = k;
    return v;
}

void iot_strv_free(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}
