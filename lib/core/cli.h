/* cli: one declarative option table per tool; getopt_long underneath; --help from the table. */
#ifndef IOT_CLI_H
#define IOT_CLI_H
#include <stdbool.h>
#include <stdint.h>

enum iot_arg { IOT_NOARG = 0, IOT_ARG = 1, IOT_OPTARG = 2 };

/* One option. id > 0 is handed to the tool's callback; short_name 0 = long only.
 * A NULL long_name with a non-NULL help is a section heading in --help. */
struct iot_opt {
    const char *long_name;
    int short_name;
    enum iot_arg arg;
    const char *argname;       /* shown in --help, e.g. "DURATION" */
    const char *help;
    int id;
};

/* Common options every tool gets (ids below 0x1000 are free for tools):
 * -o/--output FILE, -u/--unbuffered, --dead-letter FILE, --stats, --strict, -q/--quiet,
 * --max-line BYTES, -h/--help, --version. Tools that take -k/-t/--time-unit add the
 * IOT_OPT_KEY / IOT_OPT_TIME entries to their table; their values land in iot_common. */
#define IOT_OPT_KEY  { "key", 'k', IOT_ARG, "FIELD[,FIELD]", "group by these fields (default deviceId; dotted paths reach into objects)", 0x1001 }
#define IOT_OPT_TIME { "time-field", 't', IOT_ARG, "FIELD", "event time field (default timestamp)", 0x1002 }, \
                     { "time-unit", 0, IOT_ARG, "UNIT", "unit of numeric times: s, ms, us, ns or auto (default auto, by magnitude)", 0x1003 }
/* -o FILE --append: for tools with --state (the commit protocol of state.h, exactly once). */
#define IOT_OPT_APPEND { "append", 0, IOT_NOARG, NULL, "with -o FILE: append to FILE; with --state, cut back what a crashed run left uncommitted", 0x1004 }
#define IOT_OPT_END  { 0, 0, 0, 0, 0, 0 }

struct iot_common {
    const char *output;        /* -o; NULL = stdout */
    bool unbuffered;
    const char *key;           /* -k as given; default "deviceId" */
    const char *time_field;    /* default "timestamp" */
    int time_unit;             /* enum iot_time_unit from time.h */
    size_t max_line;           /* --max-line; default 0 = no limit but memory */
    bool append;               /* --append (IOT_OPT_APPEND): the main output appends to -o FILE */
};
extern struct iot_common iot_common;

struct iot_tool {
    const char *name;          /* "iot-sim" */
    const char *synopsis;      /* "[OPTION]... [FILE]..." */
    const char *summary;       /* one line */
    const char *footer;        /* printed after options, may be NULL */
    const struct iot_opt *opts;/* terminated by IOT_OPT_END */
};

/* Parses argv. Calls fn(id, optarg, ctx) for each tool option in order; fn returns 0, or
 * calls iot_usage() itself. Handles common options, --help (stdout, exit 0), --version.
 * Returns optind: operands are argv[ret..argc-1]. */
int iot_cli_parse(const struct iot_tool *t, int argc, char **argv,
                  void (*fn)(int id, const char *arg, void *ctx), void *ctx);

/* "prog: message" + "Try 'prog --help'." on stderr, exit 64. */
_Noreturn void iot_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Helpers for option values: exit 64 with a clear message when the text is not valid. */
int64_t iot_cli_int(const char *opt, const char *s, int64_t min, int64_t max);
double iot_cli_double(const char *opt, const char *s);
int64_t iot_cli_duration(const char *opt, const char *s);     /* ns > 0; see time.h */
int64_t iot_cli_duration0(const char *opt, const char *s);    /* ns >= 0 ("0" allowed) */
int64_t iot_cli_time(const char *opt, const char *s);         /* ns; RFC 3339, epoch, or "now" */

/* Splits "a,b,c" into a NULL-terminated array of fresh strings (free with iot_strv_free). */
char **iot_split(const char *s, char sep, int *count);
void iot_strv_free(char **v);
#endif
