/* spool: segment files of framed records, a committed position, recovery of a torn tail. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "core/diag.h"
#include "spool.h"
#include "core/crc32c.h"

#define HDR 8                       /* u32 length, u32 CRC-32C of the bytes, little endian */
#define REC_MAX (64u << 20)         /* a longer length is damage, not a record */

struct iot_spool {
    char *dir;
    uint64_t max, seg_max;
    struct iot_spool_pos ack, rd;   /* committed position, read cursor */
    uint64_t wseq, woff;            /* the segment appended to, and its size */
    int wfd, rfd;
    uint64_t rfseq;                 /* segment open in rfd */
    uint64_t records, bytes;
    int64_t corrupt;
    char err[8192];
};

static void put32(unsigned char *b, uint32_t v) { for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get32(const unsigned char *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

static void seg_name(const struct iot_spool *sp, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%020llu.spool", sp->dir, (unsigned long long)seq);
}

static ssize_t read_full(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Reads one framed record at fd's offset into b. 1 ok, 0 clean end, -2 damaged or torn. */
static int read_rec(int fd, struct iot_buf *b, uint64_t *len)
{
    unsigned char h[HDR];
    ssize_t r = read_full(fd, h, HDR);
    if (r == 0) return 0;
    if (r != HDR) return -2;
    uint32_t n = get32(h);
    if (n > REC_MAX) return -2;
    iot_buf_reset(b);
    if (b->cap < (size_t)n + 1) {
        b->p = iot_xrealloc(b->p, (size_t)n + 1);
        b->cap = (size_t)n + 1;
    }
    if (read_full(fd, b->p, n) != (ssize_t)n) return -2;
    b->len = n;
    if (iot_crc32c(0, b->p, n) != get32(h + 4)) return -2;
    *len = HDR + (uint64_t)n;
    return 1;
}

static int open_write(struct iot_spool *sp)
{
    char path[4096];
    seg_name(sp, sp->wseq, path, sizeof path);
    sp->wfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (sp->wfd < 0) {
        snprintf(sp->err, sizeof sp->err, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_ack(struct iot_spool *sp)
{
    char path[4096], tmp[4200], text[64];
    snprintf(path, sizeof path, "%s/acked", sp->dir);
    snprintf(tmp, sizeof tmp, "%s/.acked.tmp.%ld.0", sp->dir, (long)getpid());
    int n = snprintf(text, sizeof text, "%llu %llu\n", (unsigned long long)sp->ack.seq, (unsigned long long)sp->ack.off);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, (size_t)n) != n || fdatasync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        snprintf(sp->err, sizeof sp->err, "%s: cannot commit the spool position: %s", path, strerror(errno));
        if (fd >= 0) unlink(tmp);
        return -1;
    }
    return 0;
}

struct iot_spool *iot_spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errcap)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errcap, "%s: cannot create the spool folder: %s", dir, strerror(errno));
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) { snprintf(err, errcap, "%s: cannot open the spool folder: %s", dir, strerror(errno)); return NULL; }
    struct iot_spool *sp = iot_xcalloc(1, sizeof *sp);
    sp->dir = iot_xstrdup(dir);
    sp->max = max_bytes;
    sp->seg_max = 8u << 20;
    if (max_bytes && max_bytes / 4 < sp->seg_max) sp->seg_max = max_bytes / 4 > 4096 ? max_bytes / 4 : 4096;
    sp->rfd = -1;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (struct dirent *de; (de = readdir(d)); ) {
        char *end;
        unsigned long long v = strtoull(de->d_name, &end, 10);
        if (end - de->d_name != 20 || strcmp(end, ".spool") != 0) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    closedir(d);
    char path[4096];
    snprintf(path, sizeof path, "%s/acked", dir);
    FILE *af = fopen(path, "r");
    unsigned long long aseq = 0, aoff = 0;
    bool have_ack = af && fscanf(af, "%llu %llu", &aseq, &aoff) == 2;
    if (af) fclose(af);
    if (lo == UINT64_MAX) lo = hi = have_ack ? aseq : 1;
    sp->ack.seq = have_ack && aseq >= lo ? aseq : lo;
    sp->ack.off = have_ack && aseq >= lo ? aoff : 0;
    sp->wseq = hi;
    /* count what is left and cut a torn tail of the last segment */
    struct iot_buf b = { 0 };
    for (uint64_t seq = sp->ack.seq; seq <= hi; seq++) {
        seg_name(sp, seq, path, sizeof path);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;
        uint64_t off = seq == sp->ack.seq ? sp->ack.off : 0, len;
        if (lseek(fd, (off_t)off, SEEK_SET) < 0) off = 0;
        int r;
        while ((r = read_rec(fd, &b, &len)) == 1) { off += len; sp->records++; sp->bytes += len; }
        if (r == -2) {
            struct stat st;
            fstat(fd, &st);
            sp->corrupt++;
            if (seq == hi) {
                iot_warn("%s: damaged or torn record at offset %llu (a crash during a write?): cut there, %llu bytes dropped",
                         path, (unsigned long long)off, (unsigned long long)((uint64_t)st.st_size - off));
                if (ftruncate(fd, (off_t)off) < 0) iot_warn("%s: cannot cut: %s", path, strerror(errno));
            } else {
                iot_warn("%s: damaged record at offset %llu: the rest of this segment is skipped",
                         path, (unsigned long long)off);
            }
        }
        if (seq == hi) sp->woff = off;
        close(fd);
    }
    iot_buf_free(&b);
    sp->rd = sp->ack;
    if (open_write(sp) < 0) {
        snprintf(err, errcap, "%s", sp->err);
        iot_spool_close(sp);
        return NULL;
    }
    struct stat st;
    if (fstat(sp->wfd, &st) == 0) sp->woff = (uint64_t)st.st_size;
    return sp;
}

int iot_spool_append(struct iot_spool *sp, const void *p, size_t n)
{
    uint64_t need = HDR + (uint64_t)n;
    if (sp->max && sp->bytes + need > sp->max) return 1;
    if (sp->woff && sp->woff + need > sp->seg_max) {
        close(sp->wfd);
        sp->wseq++;
        sp->woff = 0;
        if (open_write(sp) < 0) return -1;
    }
    unsigned char h[HDR];
    put32(h, (uint32_t)n);
    put32(h + 4, iot_crc32c(0, p, n));
    struct iovec v[2] = { { h, HDR }, { (void *)p, n } };
    size_t done = 0;
    while (done < need) {
        ssize_t w;
        if (done < HDR) w = writev(sp->wfd, v, 2);
        else w = write(sp->wfd, (const char *)p + (done - HDR), need - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            snprintf(sp->err, sizeof sp->err, "%s: spool write: %s", sp->dir, strerror(errno));
            if (done && ftruncate(sp->wfd, (off_t)sp->woff) < 0) { /* the torn tail is cut at the next open */ }
            return -1;
        }
        done += (size_t)w;
        if (done < HDR && done > 0) { v[0].iov_base = h + done; v[0].iov_len = HDR - done; }
        else if (done >= HDR) { v[0].iov_len = 0; }
    }
    sp->woff += need;
    sp->bytes += need;
    sp->records++;
    return 0;
}

int iot_spool_next(struct iot_spool *sp, struct iot_buf *b, struct iot_spool_pos *end)
{
    char path[4096];
    for (;;) {
        if (sp->rd.seq > sp->wseq || (sp->rd.seq == sp->wseq && sp->rd.off >= sp->woff)) return 0;
        if (sp->rfd < 0 || sp->rfseq != sp->rd.seq) {
            if (sp->rfd >= 0) close(sp->rfd);
            seg_name(sp, sp->rd.seq, path, sizeof path);
            sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
            sp->rfseq = sp->rd.seq;
            if (sp->rfd < 0) { sp->rd.seq++; sp->rd.off = 0; continue; }
        }
        if (lseek(sp->rfd, (off_t)sp->rd.off, SEEK_SET) < 0) return -1;
        uint64_t len;
        int r = read_rec(sp->rfd, b, &len);
        if (r == 1) {
            sp->rd.off += len;
            *end = sp->rd;
            return 1;
        }
        if (r == -2) {
            seg_name(sp, sp->rd.seq, path, sizeof path);
            iot_warn("%s: damaged record at offset %llu: the rest of this segment is skipped",
                     path, (unsigned long long)sp->rd.off);
            sp->corrupt++;
        }
        if (sp->rd.seq == sp->wseq) return 0;
        sp->rd.seq++;
        sp->rd.off = 0;
    }
}

void iot_spool_rewind(struct iot_spool *sp) { sp->rd = sp->ack; }

int iot_spool_commit(struct iot_spool *sp, struct iot_spool_pos pos, uint64_t nrec)
{
    if (pos.seq < sp->ack.seq || (pos.seq == sp->ack.seq && pos.off <= sp->ack.off)) return 0;
    /* bytes consumed: the rest of each segment passed, then pos.off of the last */
    char path[4096];
    struct stat st;
    uint64_t gone = 0;
    for (uint64_t seq = sp->ack.seq; seq < pos.seq; seq++) {
        seg_name(sp, seq, path, sizeof path);
        if (stat(path, &st) == 0) gone += (uint64_t)st.st_size - (seq == sp->ack.seq ? sp->ack.off : 0);
    }
    gone += pos.off - (pos.seq == sp->ack.seq ? sp->ack.off : 0);
    uint64_t old = sp->ack.seq;
    sp->ack = pos;
    if (write_ack(sp) < 0) return -1;
    sp->bytes = gone > sp->bytes ? 0 : sp->bytes - gone;
    sp->records = nrec > sp->records ? 0 : sp->records - nrec;
    uint64_t last = pos.seq;
    if (pos.seq == sp->wseq && pos.off == sp->woff && sp->woff) {
        /* all delivered: start an empty segment and let go of this one */
        close(sp->wfd);
        sp->wseq++;
        sp->woff = 0;
        sp->ack = sp->rd = (struct iot_spool_pos){ sp->wseq, 0 };
        if (open_write(sp) < 0 || write_ack(sp) < 0) return -1;
        last = sp->wseq;
    }
    for (uint64_t seq = old; seq < last; seq++) {
        seg_name(sp, seq, path, sizeof path);
        unlink(path);
    }
    return 0;
}

int iot_spool_sync(struct iot_spool *sp)
{
    if (sp->wfd >= 0 && fdatasync(sp->wfd) < 0 && errno != EINVAL) {
        snprintf(sp->err, sizeof sp->err, "%s: spool sync: %s", sp->dir, strerror(errno));
        return -1;
    }
    return 0;
}

bool iot_spool_unread(const struct iot_spool *sp)
{
    return sp->rd.seq < sp->wseq || sp->rd.off < sp->woff;
}
uint64_t iot_spool_records(const struct iot_spool *sp) { return sp->records; }
uint64_t iot_spool_bytes(const struct iot_spool *sp) { return sp->bytes; }
int64_t iot_spool_corrupt(const struct iot_spool *sp) { return sp->corrupt; }
const char *iot_spool_error(const struct iot_spool *sp) { return sp->err; }

void iot_spool_close(struct iot_spool *sp)
{
    if (!sp) return;
    if (sp->wfd >= 0) { fdatasync(sp->wfd); close(sp->wfd); }
    if (sp->rfd >= 0) close(sp->rfd);
    free(sp->dir);
    free(sp);
}
