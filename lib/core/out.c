#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zstd.h>
#include "buf.h"
#include "die.h"
#include "dtoa.h"
#include "out.h"
#include "time.h"

#define OUT_BUF (256 * 1024)
#define OUT_BUF_SMALL (16 * 1024)

struct iot_out {
    int fd;
    int flags;
    bool unbuffered, is_std;
    char *path;         /* display name and final name */
    char *tmp;          /* ATOMIC: the temp file being written */
    size_t stem;        /* NOREPLACE: where "~K" goes in path when the name is taken; 0 = plain rename */
    char *buf;
    size_t len, cap;
    uint64_t bytes;
    ZSTD_CCtx *z;
    char *zbuf;
    size_t zcap;
    bool zopen, zended;     /* a frame holds data not yet ended; some frame was ended */
    bool slow;              /* not a regular file: writes wait with poll (see raw_write) */
    struct iot_out *next, *prev;
};

static struct iot_out *all, *std_out;

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static _Noreturn void write_failed(struct iot_out *o, int err)
{
    if (err == EPIPE) {          /* the reader went away (| head): end silently */
        iot_out_abort_all();
        _exit(141);
    }
    iot_die(IOT_EX_IOERR, "%s: write error: %s", o->path, strerror(err));
}

static void on_tick(int sig) { (void)sig; }

/* A pipe, socket or terminal can block forever behind a stalled reader. Wait for room with poll
 * in slices of 200 ms and look at iot_stop_requested between them; the write itself runs under a
 * 200 ms interval timer (SIGALRM without SA_RESTART, see signal(7)) so that a write blocked on a
 * nearly full pipe returns EINTR and the flag is seen too. Stopped while blocked: the output
 * cannot be delivered, so the tool dies (74) and no state is committed (at-least-once). */
static bool wait_room(struct iot_out *o)
{
    struct pollfd pfd = { o->fd, POLLOUT, 0 };
    int k = poll(&pfd, 1, 0);
    if (k != 0) return false;             /* room now (or an error that write will report) */
    while (!iot_stop_requested) {
        k = poll(&pfd, 1, 200);
        if (k != 0 && !(k < 0 && errno == EINTR)) break;
    }
    return true;
}

static void tick(bool on)
{
    static bool installed;
    if (on && !installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_tick;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        installed = true;
    }
    struct itimerval it = { { 0, on ? 200000 : 0 }, { 0, on ? 200000 : 0 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

static _Noreturn void stopped_blocked(struct iot_out *o, size_t left)
{
    iot_die(IOT_EX_IOERR, "%s: stopped by a signal while the reader was not reading; %zu bytes "
            "not delivered, state not saved", o->path, left);
}

static void raw_write(struct iot_out *o, const char *p, size_t n)
{
    bool timed = false;
    while (n) {
        if (o->slow && !timed && wait_room(o)) {
            if (iot_stop_requested) stopped_blocked(o, n + o->len);
            tick(timed = true);
        }
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                if (iot_stop_requested && o->slow) { tick(false); stopped_blocked(o, n + o->len); }
                continue;
            }
            if (timed) tick(false);
            write_failed(o, errno);
        }
        p += w;
        n -= (size_t)w;
        if (n && iot_stop_requested && o->slow) { tick(false); stopped_blocked(o, n + o->len); }
    }
    if (timed) tick(false);
}

static void zstd_push(struct iot_out *o, const char *p, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { p, n, 0 };
    for (;;) {
        ZSTD_outBuffer out = { o->zbuf, o->zcap, 0 };
        size_t left = ZSTD_compressStream2(o->z, &out, &in, mode);
        if (ZSTD_isError(left))
            iot_die(IOT_EX_SOFTWARE, "%s: zstd: %s", o->path, ZSTD_getErrorName(left));
        raw_write(o, o->zbuf, out.pos);
        if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) break;
    }
    if (mode == ZSTD_e_end) { o->zopen = false; o->zended = true; }
    else if (n) o->zopen = true;
}

static void start_zstd(struct iot_out *o)
{
    o->z = ZSTD_createCCtx();
    if (!o->z) iot_die(IOT_EX_SOFTWARE, "out of memory (zstd)");
    ZSTD_CCtx_setParameter(o->z, ZSTD_c_compressionLevel, (o->flags & IOT_OUT_FAST) ? 1 : 3);
    ZSTD_CCtx_setParameter(o->z, ZSTD_c_checksumFlag, 1);
    o->zcap = ZSTD_CStreamOutSize();
    o->zbuf = iot_xmalloc(o->zcap);
}

static struct iot_out *new_out(int fd, const char *path, int flags)
{
    iot_die_hook(iot_out_abort_all);   /* a dying tool never publishes a half-written file */
    struct iot_out *o = iot_xcalloc(1, sizeof *o);
    o->fd = fd;
    o->flags = flags;
    o->path = iot_xstrdup(path);
    o->cap = (flags & IOT_OUT_SMALLBUF) ? OUT_BUF_SMALL : OUT_BUF;
    o->buf = iot_xmalloc(o->cap);
    struct stat st;
    o->slow = fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode);
    if ((flags & IOT_OUT_ZSTD) || (!(flags & IOT_OUT_NOZSTD) && ends_with(path, ".zst")))
        start_zstd(o);
    o->next = all;
    if (all) all->prev = o;
    all = o;
    return o;
}

struct iot_out *iot_out_open(const char *path, int flags)
{
    if (!path || strcmp(path, "-") == 0)
        return new_out(1, "<stdout>", flags & ~IOT_OUT_ATOMIC);
    int fd;
    char *tmp = NULL;
    struct stat st;
    /* a device or a FIFO (-o /dev/null, a named pipe) is written in place: a rename would
     * replace the device node itself with a regular file */
    if ((flags & IOT_OUT_ATOMIC) && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        flags &= ~IOT_OUT_ATOMIC;
    if (flags & IOT_OUT_ATOMIC) {
        /* hidden temp name in the same folder, so rename is atomic and globs skip it */
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
        static unsigned seq;
        size_t n = strlen(path) + 64;
        tmp = iot_xmalloc(n);
        snprintf(tmp, n, "%.*s.%s.tmp.%ld.%u", (int)dirlen, path, path + dirlen, (long)getpid(), seq++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | ((flags & IOT_OUT_APPEND) ? O_APPEND : O_TRUNC), 0644);
    }
    if (fd < 0) {
        int err = errno;
        free(tmp);
        iot_die(IOT_EX_CANTCREAT, "%s: cannot create: %s", path, strerror(err));
    }
    struct iot_out *o = new_out(fd, path, flags);
    o->tmp = tmp;
    return o;
}

static const char *std_path;
static bool std_unbuffered, std_append;
int64_t iot_stat_records_out;

void iot_out_std_config(const char *path, bool unbuffered, bool append)
{
    std_path = path;
    std_unbuffered = unbuffered;
    std_append = append;
}

struct iot_out *iot_out_std(void)
{
    if (!std_out) {
        std_out = iot_out_open(std_path, std_append ? IOT_OUT_APPEND : 0);
        std_out->is_std = true;
        std_out->unbuffered = std_unbuffered;
    }
    return std_out;
}

void iot_out_set_unbuffered(struct iot_out *o, bool on) { o->unbuffered = on; }
const char *iot_out_path(const struct iot_out *o) { return o->path; }
uint64_t iot_out_bytes(const struct iot_out *o) { return o->bytes; }

void iot_out_flush(struct iot_out *o)
{
    if (!o->len) return;
    if (o->z) zstd_push(o, o->buf, o->len, ZSTD_e_flush);
    else raw_write(o, o->buf, o->len);
    o->len = 0;
}

void iot_out_flush_all(void)
{
    for (struct iot_out *o = all; o; o = o->next) iot_out_flush(o);
}

void iot_out_write(struct iot_out *o, const void *p, size_t n)
{
    o->bytes += n;
    if (o->len + n > o->cap) {
        if (o->z) zstd_push(o, o->buf, o->len, ZSTD_e_continue);
        else raw_write(o, o->buf, o->len);
        o->len = 0;
        if (n > o->cap / 2) {   /* big pieces go straight through */
            if (o->z) zstd_push(o, p, n, ZSTD_e_continue);
            else raw_write(o, p, n);
            return;
        }
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

void iot_out_puts(struct iot_out *o, const char *s) { iot_out_write(o, s, strlen(s)); }

void iot_out_putc(struct iot_out *o, int c)
{
    if (o->len + 1 > o->cap) {
        if (o->z) zstd_push(o, o->buf, o->len, ZSTD_e_continue);
        else raw_write(o, o->buf, o->len);
        o->len = 0;
    }
    o->buf[o->len++] = (char)c;
    o->bytes++;
}

void iot_out_printf(struct iot_out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { iot_out_write(o, tmp, (size_t)n); return; }
    char *big = iot_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    iot_out_write(o, big, (size_t)n);
    free(big);
}

void iot_out_eol(struct iot_out *o)
{
    iot_out_putc(o, '\n');
    if (o->is_std) iot_stat_records_out++;
    if (o->unbuffered) iot_out_flush(o);
}

void iot_out_json_str(struct iot_out *o, const char *s, size_t n)
{
    if (n <= 4096) {
        char tmp[6 * 4096 + 2];
        tmp[0] = '"';
        size_t k = iot_json_escape(tmp + 1, s, n);
        tmp[k + 1] = '"';
        iot_out_write(o, tmp, k + 2);
        return;
    }
    char *big = iot_xmalloc(6 * n + 2);
    big[0] = '"';
    size_t k = iot_json_escape(big + 1, s, n);
    big[k + 1] = '"';
    iot_out_write(o, big, k + 2);
    free(big);
}

void iot_out_json_fixed(struct iot_out *o, double v, int decimals)
{
    char tmp[32];
    int n = iot_fmt_fixed(tmp, v, decimals);
    iot_out_write(o, tmp, (size_t)n);
}

void iot_out_json_num(struct iot_out *o, double v)
{
    char tmp[32];
    int n = iot_fmt_double(tmp, v);
    iot_out_write(o, tmp, (size_t)n);
}

void iot_out_json_int(struct iot_out *o, int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *--p = '-';
    iot_out_write(o, p, (size_t)(tmp + sizeof tmp - p));
}

void iot_out_json_time(struct iot_out *o, int64_t ns)
{
    char tmp[48];
    tmp[0] = '"';
    size_t n = iot_time_fmt(ns, tmp + 1);
    tmp[n + 1] = '"';
    iot_out_write(o, tmp, n + 2);
}

static bool appending(const struct iot_out *o)
{
    if (o->flags & IOT_OUT_APPEND) return true;
    int fl = o->is_std || o->fd <= 2 ? fcntl(o->fd, F_GETFL) : 0;
    return fl > 0 && (fl & O_APPEND);
}

int iot_out_id(const struct iot_out *o, struct iot_out_id *id)
{
    struct stat st;
    if (o->tmp || fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode)) return -1;
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    id->size = (int64_t)st.st_size;
    id->append = appending(o);
    return 0;
}

int64_t iot_out_commit(struct iot_out *o)
{
    iot_out_flush(o);
    if (o->z && o->zopen) zstd_push(o, "", 0, ZSTD_e_end);   /* the file ends on a whole frame */
    struct iot_out_id id;
    if (iot_out_id(o, &id) < 0) return -1;
    if (fsync(o->fd) < 0 && errno != EINVAL) write_failed(o, errno);
    return id.size;
}

void iot_out_cut(struct iot_out *o, int64_t len)
{
    if (o->len || o->bytes) iot_die(IOT_EX_SOFTWARE, "%s: output cut after writing", o->path);
    if (ftruncate(o->fd, (off_t)len) < 0 || fsync(o->fd) < 0)
        iot_die(IOT_EX_IOERR, "%s: cannot cut back to %lld bytes: %s", o->path, (long long)len, strerror(errno));
}

static void unlink_out(struct iot_out *o)
{
    if (o->prev) o->prev->next = o->next; else all = o->next;
    if (o->next) o->next->prev = o->prev;
    if (o == std_out) std_out = NULL;
}

static void free_out(struct iot_out *o)
{
    unlink_out(o);
    ZSTD_freeCCtx(o->z);
    free(o->zbuf);
    free(o->buf);
    free(o->path);
    free(o->tmp);
    free(o);
}

static void fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) strcpy(dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { fsync(fd); close(fd); }
}

void iot_out_set_noreplace(struct iot_out *o, size_t stem)
{
    if (o->tmp) o->stem = stem ? stem : strlen(o->path);
}

/* Moves tmp to path. NOREPLACE never overwrites: renameat2(RENAME_NOREPLACE) (Linux >= 3.15;
 * rename(2) man page), or link(2) + unlink(2) where the file system refuses the flag, both
 * failing with EEXIST on a taken name; then PATH~1, PATH~2 ... (the "~K" at stem) is tried. */
static int publish(struct iot_out *o)
{
    if (!o->stem) return rename(o->tmp, o->path);
    char *base = iot_xstrdup(o->path);
    int rc = -1;
    for (long k = 0; k < 1000000; k++) {
        if (k) {
            size_t n = strlen(base) + 24;
            free(o->path);
            o->path = iot_xmalloc(n);
            snprintf(o->path, n, "%.*s~%ld%s", (int)o->stem, base, k, base + o->stem);
        }
        if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE) == 0) { rc = 0; break; }
        if (errno == EEXIST) continue;
        if (errno != EINVAL && errno != ENOSYS) break;
        if (link(o->tmp, o->path) == 0) { unlink(o->tmp); rc = 0; break; }
        if (errno != EEXIST) break;
    }
    int e = errno;
    free(base);
    errno = e;
    return rc;
}

void iot_out_close(struct iot_out *o)
{
    iot_out_flush(o);
    if (o->z && (o->zopen || !o->zended)) zstd_push(o, "", 0, ZSTD_e_end);
    if (o->tmp) {
        if (fsync(o->fd) < 0 && errno != EINVAL) write_failed(o, errno);
    }
    if (o->fd > 2 && close(o->fd) < 0) write_failed(o, errno);
    if (o->tmp) {
        if (publish(o) < 0)
            iot_die(IOT_EX_CANTCREAT, "%s: cannot rename into place: %s", o->path, strerror(errno));
        fsync_dir(o->path);
    }
    free_out(o);
}

void iot_out_abort(struct iot_out *o)
{
    if (o->tmp) unlink(o->tmp);
    if (o->fd > 2) close(o->fd);
    free_out(o);
}

void iot_out_abort_all(void)
{
    /* Data segments are published with what they hold (every record in them is whole once
     * flushed); state-like files are removed. Runs once, from iot_die. */
    struct iot_out *o = all;
    while (o) {
        struct iot_out *n = o->next;
        if (o->tmp && (o->flags & IOT_OUT_KEEP_ON_ERROR)) {
            if (o->len) {
                if (o->z) zstd_push(o, o->buf, o->len, ZSTD_e_end);
                else raw_write(o, o->buf, o->len);
                o->len = 0;
            } else if (o->z) {
                zstd_push(o, "", 0, ZSTD_e_end);
            }
            if (fsync(o->fd) == 0 && publish(o) == 0) { free(o->tmp); o->tmp = NULL; }
        }
        if (o->tmp) { unlink(o->tmp); free(o->tmp); o->tmp = NULL; }
        o = n;
    }
}

void iot_out_close_all(void)
{
    /* the main output last, so side files (dead letter) are complete when it ends */
    struct iot_out *o = all;
    while (o) {
        struct iot_out *n = o->next;
        if (o != std_out) iot_out_close(o);
        o = n;
    }
    if (std_out) iot_out_close(std_out);
}
