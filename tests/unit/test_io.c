/* Unit tests for lib/core/in.c and lib/core/out.c: framing, huge lines, zstd in and out, truncated zstd,
 * unreadable files, /dev/full (exit 74), a closed pipe (silent), atomic files. Cases that end
 * the process run in a forked child. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include "unit.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/out.h"

static char dir[] = "/tmp/iot-test-io-XXXXXX";

static char *path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void put(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(path(name), "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

/* Reads every line of file; returns the count, joins lines with '|' into out. */
static int readall(const char *file, struct iot_buf *out, size_t max_line)
{
    struct iot_reader *r = iot_reader_open(file, max_line);
    char *l;
    size_t n;
    struct iot_src src;
    int k = 0;
    while (iot_reader_next(r, &l, &n, &src)) {
        if (out) { if (k) iot_buf_addc(out, '|'); iot_buf_add(out, l, n); }
        k++;
    }
    iot_reader_close(r);
    return k;
}

/* Runs fn in a child with stderr to a file; returns the exit status, stderr text in err. */
static int child(void (*fn)(void), struct iot_buf *err)
{
    char *ep = path("stderr");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        fn();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (err) {
        iot_buf_reset(err);
        FILE *f = fopen(ep, "rb");
        char tmp[4096];
        size_t n = fread(tmp, 1, sizeof tmp, f);
        fclose(f);
        iot_buf_add(err, tmp, n);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_full(void)
{
    int fd = open("/dev/full", O_WRONLY);
    dup2(fd, 1);
    struct iot_out *o = iot_out_std();
    iot_out_puts(o, "{\"a\":1}");
    iot_out_eol(o);
    exit(iot_diag_finish());
}

static void write_pipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    dup2(p[1], 1);
    struct iot_out *o = iot_out_std();
    for (int i = 0; i < 100000; i++) { iot_out_puts(o, "{\"a\":1}"); iot_out_eol(o); }
    exit(iot_diag_finish());
}

static void open_missing(void) { iot_in_open((char *[]){ path("nope") }, 1, 0); }
static void open_folder(void) { struct iot_reader *r = iot_reader_open(dir, 0); (void)r; }

static void create_bad(void) { iot_out_open("/nonexistent-dir/x.ndjson", 0); }

static void atomic_then_die(void)
{
    struct iot_out *o = iot_out_open(path("atomic2.json"), IOT_OUT_ATOMIC);
    iot_out_puts(o, "half");
    iot_die(IOT_EX_IOERR, "simulated failure");
}

static void reject_two(void)
{
    struct iot_src s = { "in.ndjson", 12 };
    iot_reject(&s, "{bad", 4, "bad json", "invalid JSON at column 2");
    iot_reject(&s, "{bad", 4, "bad json", "invalid JSON at column 2");
    exit(iot_diag_finish());
}

static void strict_reject(void)
{
    iot_diag.strict = true;
    struct iot_src s = { "in.ndjson", 3 };
    iot_reject(&s, "x", 1, "bad json", "nope");
    exit(0);
}

int main(void)
{
    iot_diag_init("test_io");
    if (!mkdtemp(dir)) return 1;
    struct iot_buf b = {0}, err = {0};

    put("crlf", "{\"a\":1}\r\n{\"a\":2}\r\n", 18);
    CHECK(readall(path("crlf"), &b, 0) == 2 && strcmp(b.p, "{\"a\":1}|{\"a\":2}") == 0, "CRLF stripped");
    iot_buf_reset(&b);
    put("nofinal", "a\nb", 3);
    CHECK(readall(path("nofinal"), &b, 0) == 2 && strcmp(b.p, "a|b") == 0, "missing final newline");
    iot_buf_reset(&b);
    put("blank", "a\n\n  \n\r\nb\n", 10);
    int64_t blank0 = iot_stat_get("blank_lines");
    CHECK(readall(path("blank"), &b, 0) == 2 && iot_stat_get("blank_lines") - blank0 == 3, "blank lines skipped and counted");
    put("empty", "", 0);
    CHECK(readall(path("empty"), NULL, 0) == 0, "empty file");

    /* a 10 MB line */
    size_t big = 10 * 1024 * 1024;
    char *huge = malloc(big + 16);
    memset(huge, 'x', big);
    memcpy(huge + big, "\nshort\n", 7);
    put("huge", huge, big + 7);
    {
        struct iot_reader *r = iot_reader_open(path("huge"), 0);
        char *l; size_t n; struct iot_src src;
        int ok = iot_reader_next(r, &l, &n, &src) && n == big && l[n - 1] == 'x' && src.line == 1;
        ok = ok && iot_reader_next(r, &l, &n, &src) && n == 5 && src.line == 2;
        CHECK(ok, "10 MB line read whole, then the next line");
        iot_reader_close(r);
    }
    /* --max-line rejects and skips the long line only */
    iot_diag.dead_letter = strdup(path("dead.ndjson"));
    iot_buf_reset(&b);
    int64_t rej0 = iot_stat_rejected;
    CHECK(readall(path("huge"), &b, 1000) == 1 && strcmp(b.p, "short") == 0 && iot_stat_rejected == rej0 + 1,
          "--max-line: long line rejected, next line kept");
    free((char *)iot_diag.dead_letter);
    iot_diag.dead_letter = NULL;

    /* zstd: two concatenated frames, and a truncated one */
    const char *plain = "{\"a\":1}\n{\"a\":2}\n";
    size_t cap = ZSTD_compressBound(16);
    char *z = malloc(2 * cap);
    size_t z1 = ZSTD_compress(z, cap, plain, 16, 3), z2 = ZSTD_compress(z + z1, cap, plain, 16, 3);
    put("two.zst", z, z1 + z2);
    CHECK(readall(path("two.zst"), NULL, 0) == 4, "zstd by magic bytes, concatenated frames");
    put("trunc.zst", z, z1 - 3);
    rej0 = iot_stat_rejected;
    iot_diag.quiet = true;
    readall(path("trunc.zst"), NULL, 0);
    iot_diag.quiet = false;
    CHECK(iot_stat_rejected == rej0 + 1, "truncated zstd reported as a bad input, not silently");
    put("garbage.zst", "\x28\xb5\x2f\xfd garbage garbage", 20);
    rej0 = iot_stat_rejected;
    iot_diag.quiet = true;
    readall(path("garbage.zst"), NULL, 0);
    iot_diag.quiet = false;
    CHECK(iot_stat_rejected == rej0 + 1, "corrupt zstd reported");

    /* unreadable inputs */
    CHECK(child(open_missing, &err) == 66 && strstr(err.p, "nope: cannot open"), "missing file: exit 66 with its name");
    CHECK(child(open_folder, &err) == 66 && strstr(err.p, "folder"), "folder as input: exit 66");
    if (geteuid() != 0) {
        put("noperm", "x\n", 2);
        chmod(path("noperm"), 0);
        CHECK(child(open_missing, NULL) == 66, "unreadable file: exit 66");
    }

    /* output failures */
    CHECK(child(write_full, &err) == 74 && strstr(err.p, "write error"), "/dev/full: exit 74 with a message");
    CHECK(child(write_pipe, &err) == 141 && err.len == 0, "closed pipe: silent");
    CHECK(child(create_bad, &err) == 73 && strstr(err.p, "cannot create"), "cannot create: exit 73");

    /* zstd output reads back */
    struct iot_out *o = iot_out_open(path("out.ndjson.zst"), 0);
    for (int i = 0; i < 1000; i++) { iot_out_printf(o, "{\"i\":%d}", i); iot_out_eol(o); }
    iot_out_close(o);
    CHECK(readall(path("out.ndjson.zst"), NULL, 0) == 1000, "zstd output by .zst suffix reads back");
    o = iot_out_open(path("out.ndjson.zst"), IOT_OUT_APPEND);
    iot_out_puts(o, "{\"i\":1000}");
    iot_out_eol(o);
    iot_out_close(o);
    CHECK(readall(path("out.ndjson.zst"), NULL, 0) == 1001, "append adds a zstd frame");

    /* atomic files: nothing visible until close; a failed run publishes nothing */
    o = iot_out_open(path("atomic.json"), IOT_OUT_ATOMIC);
    iot_out_puts(o, "{}\n");
    iot_out_flush(o);
    CHECK(access(path("atomic.json"), F_OK) != 0, "atomic file invisible while written");
    iot_out_close(o);
    CHECK(access(path("atomic.json"), F_OK) == 0, "atomic file in place after close");
    child(atomic_then_die, NULL);
    CHECK(access(path("atomic2.json"), F_OK) != 0, "failed run leaves no file");
    {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "ls -a %s | grep -c tmp", dir);
        FILE *p = popen(cmd, "r");
        int c = -1;
        fscanf(p, "%d", &c);
        pclose(p);
        CHECK(c == 0, "no temp files left behind");
    }

    /* diagnostics */
    int rc = child(reject_two, &err);
    CHECK(rc == 65 && strstr(err.p, "test_io: in.ndjson:12: invalid JSON at column 2"), "reject without dead-letter: message and exit 65");
    CHECK(child(strict_reject, &err) == 65 && strstr(err.p, "--strict"), "--strict stops at once");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    system(cmd);
    free(huge);
    free(z);
    iot_buf_free(&b);
    iot_buf_free(&err);
    return unit_done();
}
