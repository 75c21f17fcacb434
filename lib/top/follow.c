/* follow: tail -f for one file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "follow.h"

struct iot_follow {
    int fd;
    char *name, *buf;
    size_t start, end, cap;
    off_t off;
    int64_t line;
};

struct iot_follow *iot_follow_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) iot_die(66, "%s: %s", path, strerror(errno));
    struct iot_follow *f = iot_xcalloc(1, sizeof *f);
    f->fd = fd;
    f->name = iot_xstrdup(path);
    f->cap = 1 << 16;
    f->buf = iot_xmalloc(f->cap);
    return f;
}

int iot_follow_next(struct iot_follow *f, char **line, size_t *len, struct iot_src *src)
{
    for (;;) {
        char *nl = memchr(f->buf + f->start, '\n', f->end - f->start);
        if (nl) {
            *line = f->buf + f->start;
            *len = (size_t)(nl - *line);
            if (*len && (*line)[*len - 1] == '\r') (*len)--;
            (*line)[*len] = 0;
            f->start = (size_t)(nl - f->buf) + 1;
            src->file = f->name;
            src->line = ++f->line;
            return 1;
        }
        struct stat st;
        if (fstat(f->fd, &st) == 0 && st.st_size < f->off) {   /* truncated: from the start again */
            lseek(f->fd, 0, SEEK_SET);
            f->off = 0;
            f->start = f->end = 0;
            f->line = 0;
        }
        if (f->start) {   /* keep the partial line at the front */
            memmove(f->buf, f->buf + f->start, f->end - f->start);
            f->end -= f->start;
            f->start = 0;
        }
        if (f->end + 1 >= f->cap) { f->cap *= 2; f->buf = iot_xrealloc(f->buf, f->cap); }
        ssize_t k = read(f->fd, f->buf + f->end, f->cap - f->end - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) iot_die(74, "%s: %s", f->name, strerror(errno));
        if (k == 0) return 0;
        f->end += (size_t)k;
        f->off += k;
    }
}

void iot_follow_close(struct iot_follow *f)
{
    if (!f) return;
    close(f->fd);
    free(f->name);
    free(f->buf);
    free(f);
}
