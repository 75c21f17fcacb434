/* ackfile: a followed file of acknowledgements. See ackfile.h. */
#include "ackfile.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/key.h"
#include "core/rec.h"

struct ack { int64_t ts, seq; char *key, *alarm; size_t klen; };

struct iot_acks {
    int fd;
    char *path;
    struct iot_src src;
    struct iot_buf part;          /* bytes after the last complete line */
    struct iot_fields *f;
    struct iot_val *vals;
    int *kidx, nkeys, tidx, aidx, time_unit;
    struct iot_buf kb, name;
    struct ack *q, cur;
    size_t n, cap, head;
    int64_t seq;
};

struct iot_acks *iot_acks_open(const char *path, char *const *keys, int nkeys, const char *time_field,
                               int time_unit)
{
    struct iot_acks *q = iot_xcalloc(1, sizeof *q);
    q->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (q->fd < 0) iot_die(IOT_EX_NOINPUT, "%s: %s", path, strerror(errno));
    q->path = strdup(path);
    q->src.file = q->path;
    q->f = iot_fields_new();
    q->nkeys = nkeys;
    q->kidx = iot_xcalloc((size_t)nkeys + 1, sizeof *q->kidx);
    for (int i = 0; i < nkeys; i++) q->kidx[i] = iot_fields_add(q->f, keys[i]);
    q->tidx = iot_fields_add(q->f, time_field);
    q->aidx = iot_fields_add(q->f, "alarm");
    q->time_unit = time_unit;
    q->vals = iot_xcalloc((size_t)iot_fields_count(q->f) + 1, sizeof *q->vals);
    return q;
}

static void add(struct iot_acks *q, const char *line, size_t len)
{
    q->src.line++;
    const char *err, *why;
    int64_t ts;
    if (iot_rec_scan(q->f, line, len, q->vals, &err) < 0) {
        iot_reject(&q->src, line, len, "bad ack", "%s", err);
        return;
    }
    iot_buf_reset(&q->name);
    if (iot_val_str(&q->vals[q->aidx], &q->name) < 0) {
        iot_reject(&q->src, line, len, "bad ack", "alarm: expected the alarm's name");
        return;
    }
    if (iot_val_time(&q->vals[q->tidx], q->time_unit, &ts, &why) < 0) {
        iot_reject(&q->src, line, len, "bad ack", "time: %s", why);
        return;
    }
    if (!iot_key_build(&q->kb, q->vals, q->kidx, q->nkeys)) {
        iot_reject(&q->src, line, len, "bad ack", "missing key field");
        return;
    }
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 16;
        q->q = iot_xrealloc(q->q, q->cap * sizeof *q->q);
    }
    size_t i = q->n++;   /* insertion by (time, file order): acks come nearly sorted */
    while (i > q->head && q->q[i - 1].ts > ts) { q->q[i] = q->q[i - 1]; i--; }
    q->q[i] = (struct ack){ ts, q->seq++, strndup(q->kb.p ? q->kb.p : "", q->kb.len),
                            strdup(q->name.p ? q->name.p : ""), q->kb.len };
}

void iot_acks_poll(struct iot_acks *q)
{
    char b[65536];
    ssize_t r;
    while ((r = read(q->fd, b, sizeof b)) > 0 || (r < 0 && errno == EINTR)) {
        if (r < 0) continue;
        iot_buf_add(&q->part, b, (size_t)r);
        size_t s = 0;
        for (size_t i = 0; i < q->part.len; i++)
            if (q->part.p[i] == '\n') {
                size_t e = i;
                if (e > s && q->part.p[e - 1] == '\r') e--;
                if (e > s) add(q, q->part.p + s, e - s);
                else q->src.line++;
                s = i + 1;
            }
        memmove(q->part.p, q->part.p + s, q->part.len - s);
        q->part.len -= s;
        q->part.p[q->part.len] = 0;
    }
    if (r < 0) iot_die(IOT_EX_IOERR, "%s: %s", q->path, strerror(errno));
}

int iot_acks_pop(struct iot_acks *q, int64_t upto, const char **key, size_t *klen,
                 const char **alarm, int64_t *ts)
{
    free(q->cur.key);
    free(q->cur.alarm);
    q->cur = (struct ack){ 0 };
    if (q->head == q->n || q->q[q->head].ts > upto) return 0;
    q->cur = q->q[q->head++];
    if (q->head == q->n) q->head = q->n = 0;
    *key = q->cur.key;
    *klen = q->cur.klen;
    *alarm = q->cur.alarm;
    *ts = q->cur.ts;
    return 1;
}

void iot_acks_close(struct iot_acks *q)
{
    if (!q) return;
    free(q->cur.key);
    free(q->cur.alarm);
    for (size_t i = q->head; i < q->n; i++) { free(q->q[i].key); free(q->q[i].alarm); }
    free(q->q);
    close(q->fd);
    free(q->path);
    iot_fields_free(q->f);
    free(q->vals);
    free(q->kidx);
    iot_buf_free(&q->kb);
    iot_buf_free(&q->name);
    iot_buf_free(&q->part);
    free(q);
}
