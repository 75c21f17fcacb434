#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "buf.h"
#include "cli.h"
#include "diag.h"
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

static void raw_write(struct iot_out *o, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            write_failed(o, errno);
        }
        p += w;
        n -= (size_t)w;
    }
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
    struct iot_out *o = iot_xcalloc(1, sizeof *o);
    o->fd = fd;
    o->flags = flags;
    o->path = iot_xstrdup(path);
    o->cap = (flags & IOT_OUT_SMALLBUF) ? OUT_BUF_SMALL : OUT_BUF;
    o->buf = iot_xmalloc(o->cap);
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

struct iot_out *iot_out_std(void)
{
    if (!std_out) {
        std_out = iot_out_open(iot_common.output, 0);
        std_out->is_std = true;
        std_out->unbuffered = iot_common.unbuffered;
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

const char iot_digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";
static const double p10d[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

size_t iot_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, iot_digits2 + 2 * r, 2);
    }
    if (v >= 10) { p -= 2; memcpy(p, iot_digits2 + 2 * v, 2); }
    else *--p = (char)('0' + v);
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(buf, p, n);
    return n;
}

size_t iot_fmt_scaled(char *buf, int64_t v, int dec)
{
    char *p = buf;
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) *p++ = '-';
    if (dec <= 0) return (size_t)(p - buf) + iot_fmt_u64(p, a);
    uint64_t scale = (uint64_t)p10d[dec], q = a / scale, f = a % scale;
    p += iot_fmt_u64(p, q);
    *p++ = '.';
    for (int i = dec - 1; i >= 0; i--) { p[i] = (char)('0' + f % 10); f /= 10; }
    return (size_t)(p + dec - buf);
}

/* m / 10^k as text with trailing zeros of the fraction dropped. */
static int fmt_mk(char *buf, int neg, uint64_t m, int k)
{
    while (k > 0 && m % 10 == 0) { m /= 10; k--; }
    char *p = buf;
    if (neg && m) *p++ = '-';
    p += iot_fmt_scaled(p, (int64_t)m, k);
    return (int)(p - buf);
}

int iot_fmt_fixed(char *buf, double v, int dec)
{
    if (v != v || v - v != 0) { memcpy(buf, "null", 5); return 4; }
    if (dec < 0) dec = 0;
    if (dec > 9) dec = 9;
    double a = v < 0 ? -v : v, x = a * p10d[dec];
    if (!(x < 9007199254740992.0)) return iot_fmt_double(buf, v);
    uint64_t m = (uint64_t)llround(x);
    int n = fmt_mk(buf, v < 0, m, dec);
    buf[n] = 0;
    return n;
}

void iot_out_json_fixed(struct iot_out *o, double v, int decimals)
{
    char tmp[32];
    int n = iot_fmt_fixed(tmp, v, decimals);
    iot_out_write(o, tmp, (size_t)n);
}

int iot_fmt_double(char *buf, double v)
{
    if (v != v || v - v != 0) { memcpy(buf, "null", 5); return 4; }
    if (v == 0) {
        if (1 / v < 0) { memcpy(buf, "-0", 3); return 2; }
        buf[0] = '0'; buf[1] = 0;
        return 1;
    }
    /* Fast path: the fewest fraction digits k for which m = round(|v|·10^k) < 2^53 gives
     * m / 10^k == |v| in IEEE arithmetic. Reading "m·10^-k" back is correctly rounded to
     * fl(m / 10^k) (Clinger's fast path), so the text reads back to v; fewer fraction digits
     * means fewer significant digits, so it is the shortest fixed form. Only for magnitudes
     * where fixed notation is also the shortest overall. */
    double a = v < 0 ? -v : v;
    if (a >= 1e-4 && a < 1e15) {     /* where %g would also print fixed notation */
        int dn = iot_dtoa_shortest(buf, v);    /* exact, in integers (lib/core/dtoa.c) */
        if (dn >= 0) return dn;
        for (int k = 0; k <= 17; k++) {
            double x = a * p10d[k];
            if (x >= 9007199254740992.0) break;
            double r = (double)(uint64_t)llround(x);
            if (r / p10d[k] == a) {
                int n = fmt_mk(buf, v < 0, (uint64_t)r, k);
                buf[n] = 0;
                return n;
            }
        }
    }
    /* %.15g is the shortest form whenever one of ≤ 15 digits exists (DBL_DIG = 15);
     * otherwise 16 or 17 digits, whichever first reads back identically. */
    for (int prec = a < 1e-300 ? 1 : 15; prec <= 17; prec++) {   /* subnormals carry fewer digits */
        int n = snprintf(buf, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v) return n;
    }
    return 0;
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
    if (o->z) zstd_push(o, "", 0, ZSTD_e_end);
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
