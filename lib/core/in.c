#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "buf.h"
#include "diag.h"
#include "in.h"
#include "merge.h"
#include "out.h"
#include "rec.h"
#include "time.h"

#define READ_CHUNK (256 * 1024)

struct iot_reader {
    int fd;
    bool is_stdin, regular, eof, failed, started, keep_blank;
    char *name;
    size_t max_line;
    char *buf;              /* decoded text: [start, end) unread */
    size_t start, end, cap;
    size_t scan;            /* bytes from start already searched for '\n' */
    bool skipping;          /* discarding the rest of an over-long line */
    int64_t line;
    ZSTD_DCtx *z;
    char *zin;              /* compressed bytes: [zpos, zlen) */
    size_t zpos, zlen, zret;
};

static void rd_fail(struct iot_reader *r, int err)
{
    iot_die(IOT_EX_IOERR, "%s: read error: %s", r->name, strerror(err));
}

struct iot_reader *iot_reader_open(const char *path, size_t max_line)
{
    struct iot_reader *r = iot_xcalloc(1, sizeof *r);
    if (!path || strcmp(path, "-") == 0) {
        r->fd = 0;
        r->is_stdin = true;
        r->name = iot_xstrdup("<stdin>");
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) iot_die(IOT_EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
        r->name = iot_xstrdup(path);
    }
    struct stat st;
    if (fstat(r->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) iot_die(IOT_EX_NOINPUT, "%s: is a folder, not a file", r->name);
        r->regular = S_ISREG(st.st_mode);
    }
    r->max_line = max_line;
    r->cap = READ_CHUNK * 2;
    r->buf = iot_xmalloc(r->cap + 1);
    return r;
}

/* read() that flushes pending output first when it may block, and treats a signal that asked
 * us to stop as end of input. Returns bytes, 0 at EOF. */
static ssize_t rd(struct iot_reader *r, char *p, size_t n)
{
    if (!r->regular) {
        struct pollfd pfd = { r->fd, POLLIN, 0 };
        if (poll(&pfd, 1, 0) == 0) {
            iot_out_flush_all();
            /* wait in slices: a SIGTERM that lands between two reads is seen within 200 ms */
            for (;;) {
                if (iot_stop_requested) return 0;
                int k = poll(&pfd, 1, 200);
                if (k > 0) break;
                if (k < 0 && errno != EINTR) break;
            }
        }
    }
    for (;;) {
        ssize_t k = read(r->fd, p, n);
        if (k >= 0) return k;
        if (errno == EINTR) {
            if (iot_stop_requested) return 0;
            continue;
        }
        rd_fail(r, errno);
    }
}

static void zstd_bad(struct iot_reader *r, const char *what)
{
    struct iot_src src = { r->name, r->line + 1 };
    iot_stat_lines_in++;        /* the damaged rest counts as the one line it rejects */
    iot_reject(&src, NULL, 0, "bad zstd", "%s; the rest of this input is skipped", what);
    r->failed = true;
    r->eof = true;
}

/* Appends decoded bytes to buf[end..cap). Returns 0 at end of input. */
static int fill(struct iot_reader *r)
{
    if (r->eof) return 0;
    if (!r->started) {
        r->started = true;
        r->zin = iot_xmalloc(ZSTD_DStreamInSize() > READ_CHUNK ? ZSTD_DStreamInSize() : READ_CHUNK);
        ssize_t k = rd(r, r->zin, READ_CHUNK);
        if (k == 0) { r->eof = true; return 0; }
        /* top up to see the 4 magic bytes even from a slow pipe */
        while (k < 4) {
            ssize_t m = rd(r, r->zin + k, READ_CHUNK - (size_t)k);
            if (m == 0) break;
            k += m;
        }
        r->zlen = (size_t)k;
        static const unsigned char magic[4] = { 0x28, 0xB5, 0x2F, 0xFD };
        if (k >= 4 && memcmp(r->zin, magic, 4) == 0) {
            r->z = ZSTD_createDCtx();
            if (!r->z) iot_die(IOT_EX_SOFTWARE, "out of memory (zstd)");
        } else {
            memcpy(r->buf + r->end, r->zin, r->zlen);   /* cap >= 2 chunks, buffer empty */
            r->end += r->zlen;
            r->zlen = 0;
            return 1;
        }
    }
    if (!r->z) {
        ssize_t k = rd(r, r->buf + r->end, r->cap - r->end);
        if (k == 0) { r->eof = true; return 0; }
        r->end += (size_t)k;
        return 1;
    }
    for (;;) {
        if (r->zpos == r->zlen) {
            ssize_t k = rd(r, r->zin, READ_CHUNK);
            if (k == 0) {
                if (r->zret != 0) zstd_bad(r, "truncated zstd input (the last frame is incomplete)");
                r->eof = true;
                return 0;
            }
            r->zpos = 0;
            r->zlen = (size_t)k;
        }
        ZSTD_inBuffer in = { r->zin, r->zlen, r->zpos };
        ZSTD_outBuffer out = { r->buf + r->end, r->cap - r->end, 0 };
        size_t ret = ZSTD_decompressStream(r->z, &out, &in);
        if (ZSTD_isError(ret)) {
            char what[200];
            snprintf(what, sizeof what, "corrupt zstd input: %s", ZSTD_getErrorName(ret));
            zstd_bad(r, what);
            return 0;
        }
        r->zret = ret;
        r->zpos = in.pos;
        r->end += out.pos;
        if (out.pos) return 1;
    }
}

int iot_reader_next(struct iot_reader *r, char **line, size_t *len, struct iot_src *src)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start + r->scan, '\n', r->end - r->start - r->scan);
        size_t n;
        bool last = false;
        if (!nl) {
            r->scan = r->end - r->start;
            if (r->max_line && r->scan > r->max_line + 1 && !r->skipping) {
                r->skipping = true;
                struct iot_src s = { r->name, r->line + 1 };
                iot_reject_stream_begin(&s, "line too long", "line longer than %zu bytes (--max-line); skipped",
                                        r->max_line);
            }
            if (r->skipping) {
                /* every byte goes on to the dead-letter stream, none is kept; a final '\r' waits
                 * (it may be the CR of a CRLF) */
                size_t k = r->end - r->start;
                if (k && r->buf[r->end - 1] == '\r') k--;
                iot_reject_stream_bytes(r->buf + r->start, k);
                r->start += k;
                r->scan = r->end - r->start;
            }
            /* make room: move the partial line to the front, grow if it fills the buffer */
            if (r->start > 0) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->start = 0;
            }
            if (r->cap - r->end < READ_CHUNK) {
                r->cap *= 2;
                r->buf = iot_xrealloc(r->buf, r->cap + 1);
            }
            if (fill(r)) continue;
            if (r->end == r->start) {
                if (r->skipping) {            /* an over-long last line without a newline */
                    r->skipping = false;
                    r->line++;
                    iot_reject_stream_end();
                }
                return 0;
            }
            n = r->end - r->start;              /* last line without a newline */
            last = true;
        } else {
            n = (size_t)(nl - (r->buf + r->start));
        }
        char *l = r->buf + r->start;
        r->start += n + !last;
        r->scan = 0;
        r->line++;
        if (n && l[n - 1] == '\r') n--;
        if (r->skipping) {
            iot_reject_stream_bytes(l, n);
            iot_reject_stream_end();
            r->skipping = false;
            continue;
        }
        l[n] = 0;
        size_t i = 0;
        while (i < n && (l[i] == ' ' || l[i] == '\t')) i++;
        if (i == n && !r->keep_blank) { iot_stat_add("blank_lines", 1); continue; }  /* blank lines are skipped, counted */
        *line = l;
        *len = n;
        src->file = r->name;
        src->line = r->line;
        iot_stat_lines_in++;
        return 1;
    }
}

int iot_reader_wait(struct iot_reader *r, int timeout_ms)
{
    if (memchr(r->buf + r->start, '\n', r->end - r->start) || r->eof || r->zpos < r->zlen) return 1;
    iot_out_flush_all();
    struct pollfd pfd = { r->fd, POLLIN, 0 };
    int k;
    while ((k = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR && !iot_stop_requested)
        ;
    return k != 0;
}

int iot_reader_peek(struct iot_reader *r, const char **buf, size_t *len)
{
    if (r->end == r->start && !r->eof) fill(r);
    *buf = r->buf + r->start;
    *len = r->end - r->start;
    return 0;
}

const char *iot_reader_name(const struct iot_reader *r) { return r->name; }
void iot_reader_keep_blank(struct iot_reader *r, int on) { r->keep_blank = on; }

void iot_reader_close(struct iot_reader *r)
{
    if (!r) return;
    if (!r->is_stdin) close(r->fd);
    ZSTD_freeDCtx(r->z);
    free(r->zin);
    free(r->buf);
    free(r->name);
    free(r);
}

struct pending { char *line; size_t len; struct iot_src src; int64_t t; };

struct iot_in {
    char **paths;
    int n, cur;
    size_t max_line;
    struct iot_reader *r;
    /* event-time merge of several operands (iot_in_merge_by) */
    struct iot_reader **rs;
    struct pending *pend;
    struct iot_merge *m;
    struct iot_fields *tf;
    struct iot_val tv;
    int unit;
    int64_t merged_out_of_order;
};

struct iot_in *iot_in_open(char **paths, int n, size_t max_line)
{
    static char *dash[] = { "-" };
    struct iot_in *in = iot_xcalloc(1, sizeof *in);
    in->paths = n ? paths : dash;
    in->n = n ? n : 1;
    in->max_line = max_line;
    /* every operand must be readable before the first record is processed */
    for (int i = 0; i < in->n; i++)
        if (strcmp(in->paths[i], "-") != 0 && access(in->paths[i], R_OK) != 0)
            iot_die(IOT_EX_NOINPUT, "%s: cannot open: %s", in->paths[i], strerror(errno));
    return in;
}

/* A line's event time for the merge; a line without one (bad JSON, bad time) keeps the time of
 * its input's previous line, so it goes out in its place and the tool reports it. */
static int pull(void *ctx, int i, int64_t *t)
{
    struct iot_in *in = ctx;
    struct pending *p = &in->pend[i];
    if (iot_stop_requested || !iot_reader_next(in->rs[i], &p->line, &p->len, &p->src)) return 0;
    const char *err, *why;
    int64_t ns;
    if (iot_rec_scan(in->tf, p->line, p->len, &in->tv, &err) == 0 &&
        iot_val_time(&in->tv, in->unit, &ns, &why) == 0) {
        if (ns < p->t) in->merged_out_of_order++;
        p->t = ns;
    }
    *t = p->t;
    return 1;
}

void iot_in_merge_by(struct iot_in *in, const char *time_field, int time_unit)
{
    if (in->n < 2 || in->m) return;
    in->tf = iot_fields_new();
    iot_fields_add(in->tf, time_field ? time_field : "timestamp");
    in->unit = time_unit;
    in->rs = iot_xcalloc((size_t)in->n, sizeof *in->rs);
    in->pend = iot_xcalloc((size_t)in->n, sizeof *in->pend);
    for (int i = 0; i < in->n; i++) {
        in->rs[i] = iot_reader_open(in->paths[i], in->max_line);
        in->pend[i].t = INT64_MIN;
    }
    in->m = iot_merge_new(in->n, pull, in);
}

int iot_in_idle(struct iot_in *in, int64_t idle, int64_t *since, int64_t *quiet)
{
    int ms = (int)(idle / IOT_NS_PER_MS);
    if (iot_in_wait(in, ms > 0 ? ms : 1)) return 0;
    int64_t now = iot_time_mono();
    *quiet = now - *since;
    *since = now;
    iot_stat_add("idle_advances", 1);
    return 1;
}

int64_t iot_in_merge_disorder(const struct iot_in *in) { return in->merged_out_of_order; }

int iot_in_next(struct iot_in *in, char **line, size_t *len, struct iot_src *src)
{
    if (in->m) {
        int i = iot_merge_next(in->m);
        if (i < 0) return 0;
        *line = in->pend[i].line;
        *len = in->pend[i].len;
        *src = in->pend[i].src;
        return 1;
    }
    for (;;) {
        if (!in->r) {
            if (in->cur >= in->n) return 0;
            in->r = iot_reader_open(in->paths[in->cur++], in->max_line);
        }
        if (iot_reader_next(in->r, line, len, src)) return 1;
        if (iot_stop_requested) return 0;
        /* keep the reader of the last operand so src->file stays valid for messages */
        if (in->cur >= in->n) return 0;
        iot_reader_close(in->r);
        in->r = NULL;
    }
}

int iot_in_wait(struct iot_in *in, int timeout_ms)
{
    if (in->m) return 1;    /* merged operands are files: never idle */
    if (!in->r) {
        if (in->cur >= in->n) return 1;
        in->r = iot_reader_open(in->paths[in->cur++], in->max_line);
    }
    return iot_reader_wait(in->r, timeout_ms);
}

void iot_in_close(struct iot_in *in)
{
    if (!in) return;
    iot_reader_close(in->r);
    if (in->m) {
        if (in->merged_out_of_order) iot_stat_add("merge_input_out_of_order", in->merged_out_of_order);
        for (int i = 0; i < in->n; i++) iot_reader_close(in->rs[i]);
        iot_merge_free(in->m);
        iot_fields_free(in->tf);
        free(in->rs);
        free(in->pend);
    }
    free(in);
}
