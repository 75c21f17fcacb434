/* endpoint: templates, atomic file segments over out.c, child processes over pipes, one LRU
 * bound over both. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "endpoint.h"
#include "core/keytab.h"
#include "core/out.h"
#include "core/time.h"
#include "mqtt.h"

extern char **environ;

/* ------------------------------------------------------------------ templates */

enum { S_LIT, S_YYYY, S_MON, S_DAY, S_HOUR, S_MIN, S_SEC, S_SHARD, S_FIELD };

struct seg { int kind; char *lit; size_t n; int field; };

struct iot_tmpl {
    struct seg *seg;
    int nseg;
    bool needs_time, needs_shard;
    char *ext;
    struct iot_buf *scratch;     /* unescaped string values; mutable behind a const template */
};

static void seg_add(struct iot_tmpl *t, int kind, const char *lit, size_t n, int field)
{
    if (kind == S_LIT && t->nseg && t->seg[t->nseg - 1].kind == S_LIT) {
        struct seg *s = &t->seg[t->nseg - 1];
        s->lit = iot_xrealloc(s->lit, s->n + n + 1);
        memcpy(s->lit + s->n, lit, n);
        s->n += n;
        s->lit[s->n] = 0;
        return;
    }
    t->seg = iot_xrealloc(t->seg, (size_t)(t->nseg + 1) * sizeof *t->seg);
    struct seg *s = &t->seg[t->nseg++];
    s->kind = kind;
    s->field = field;
    s->n = n;
    s->lit = NULL;
    if (kind == S_LIT) {
        s->lit = iot_xmalloc(n + 1);
        memcpy(s->lit, lit, n);
        s->lit[n] = 0;
    }
}

struct iot_tmpl *iot_tmpl_compile(const char *text, struct iot_fields *f, char *err, size_t errcap)
{
    struct iot_tmpl *t = iot_xcalloc(1, sizeof *t);
    t->scratch = iot_xcalloc(1, sizeof *t->scratch);
    static const struct { const char *name; int kind; } tok[] = {
        { "yyyy", S_YYYY }, { "MM", S_MON }, { "dd", S_DAY }, { "HH", S_HOUR },
        { "mm", S_MIN }, { "ss", S_SEC }, { "shard", S_SHARD },
    };
    for (size_t i = 0; text[i]; ) {
        if (text[i] == '{' && text[i + 1] == '{') { seg_add(t, S_LIT, "{", 1, -1); i += 2; continue; }
        if (text[i] == '}' && text[i + 1] == '}') { seg_add(t, S_LIT, "}", 1, -1); i += 2; continue; }
        if (text[i] == '}') {
            snprintf(err, errcap, "column %zu: '}' without '{' (write }} for a literal brace)", i + 1);
            goto fail;
        }
        if (text[i] != '{') {
            size_t j = i;
            while (text[j] && text[j] != '{' && text[j] != '}') j++;
            seg_add(t, S_LIT, text + i, j - i, -1);
            i = j;
            continue;
        }
        size_t st = i + 1, e = st;
        while (text[e] && text[e] != '}' && text[e] != '{') e++;
        if (text[e] != '}') {
            snprintf(err, errcap, "column %zu: '{' without '}' (write {{ for a literal brace)", i + 1);
            goto fail;
        }
        size_t n = e - st;
        if (n == 0 || text[st] == '.' || text[e - 1] == '.' || memmem(text + st, n, "..", 2)) {
            snprintf(err, errcap, "column %zu: bad placeholder '{%.*s}'", i + 1, (int)n, text + st);
            goto fail;
        }
        int kind = S_FIELD;
        for (size_t k = 0; k < sizeof tok / sizeof tok[0]; k++)
            if (strlen(tok[k].name) == n && memcmp(tok[k].name, text + st, n) == 0) kind = tok[k].kind;
        if (kind == S_FIELD) {
            char *path = iot_xmalloc(n + 1);
            memcpy(path, text + st, n);
            path[n] = 0;
            seg_add(t, S_FIELD, NULL, 0, iot_fields_add(f, path));
            free(path);
        } else {
            seg_add(t, kind, NULL, 0, -1);
            if (kind == S_SHARD) t->needs_shard = true;
            else t->needs_time = true;
        }
        i = e + 1;
    }
    /* the extension: literal text after the last placeholder, from its first '.' after a '/' */
    const char *ext = "";
    if (t->nseg && t->seg[t->nseg - 1].kind == S_LIT) {
        const char *l = t->seg[t->nseg - 1].lit;
        const char *slash = strrchr(l, '/');
        const char *dot = strchr(slash ? slash + 1 : l, '.');
        if (dot && (dot != l || t->nseg > 1)) ext = dot;
    }
    t->ext = iot_xstrdup(ext);
    return t;
fail:
    iot_tmpl_free(t);
    return NULL;
}

bool iot_tmpl_const(const struct iot_tmpl *t) { return t->nseg == 0 || (t->nseg == 1 && t->seg[0].kind == S_LIT); }
bool iot_tmpl_needs_time(const struct iot_tmpl *t) { return t->needs_time; }
bool iot_tmpl_needs_shard(const struct iot_tmpl *t) { return t->needs_shard; }
const char *iot_tmpl_ext(const struct iot_tmpl *t) { return t->ext; }

void iot_tmpl_free(struct iot_tmpl *t)
{
    if (!t) return;
    for (int i = 0; i < t->nseg; i++) free(t->seg[i].lit);
    free(t->seg);
    free(t->ext);
    if (t->scratch) iot_buf_free(t->scratch);
    free(t->scratch);
    free(t);
}

static const char HEX[] = "0123456789ABCDEF";

void iot_name_component(struct iot_buf *b, const char *s, size_t n)
{
    if (n == 0) { iot_buf_add(b, "_empty", 6); return; }
    size_t start = b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || ((c == '.' || c == '-' || c == '_') && i > 0);
        if (ok) {
            iot_buf_addc(b, (char)c);
        } else {
            char e[3] = { '%', HEX[c >> 4], HEX[c & 15] };
            iot_buf_add(b, e, 3);
        }
        if (b->len - start > 120) break;
    }
    if (b->len - start > 120) {
        size_t cut = start + 100;
        if (b->p[cut - 1] == '%') cut -= 1;
        else if (b->p[cut - 2] == '%') cut -= 2;
        b->len = cut;
        char h[18];
        snprintf(h, sizeof h, "~%016llx", (unsigned long long)iot_hash64(s, n));
        iot_buf_add(b, h, 17);
    }
}

static void put2(struct iot_buf *b, unsigned v)
{
    char d[2] = { (char)('0' + v / 10 % 10), (char)('0' + v % 10) };
    iot_buf_add(b, d, 2);
}

void iot_tmpl_expand(const struct iot_tmpl *t, const struct iot_val *vals, int64_t t_ns, int shard,
                     struct iot_buf *b)
{
    int64_t y = 0, sod = 0;
    unsigned mo = 0, d = 0;
    if (t->needs_time) {
        int64_t days = iot_floordiv(t_ns, 86400 * IOT_NS_PER_S);
        sod = (t_ns - days * 86400 * IOT_NS_PER_S) / IOT_NS_PER_S;
        iot_civil_from_days(days, &y, &mo, &d);
    }
    char num[24];
    for (int i = 0; i < t->nseg; i++) {
        const struct seg *s = &t->seg[i];
        switch (s->kind) {
        case S_LIT: iot_buf_add(b, s->lit, s->n); break;
        case S_YYYY:
            if (y >= 0 && y <= 9999) { put2(b, (unsigned)(y / 100)); put2(b, (unsigned)(y % 100)); }
            else iot_buf_add(b, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)y));
            break;
        case S_MON: put2(b, mo); break;
        case S_DAY: put2(b, d); break;
        case S_HOUR: put2(b, (unsigned)(sod / 3600)); break;
        case S_MIN: put2(b, (unsigned)(sod / 60 % 60)); break;
        case S_SEC: put2(b, (unsigned)(sod % 60)); break;
        case S_SHARD: iot_buf_add(b, num, (size_t)snprintf(num, sizeof num, "%d", shard)); break;
        case S_FIELD: {
            const struct iot_val *v = &vals[s->field];
            switch (v->type) {
            case IOT_J_ABSENT: iot_buf_add(b, "_missing", 8); break;
            case IOT_J_NULL: iot_buf_add(b, "_null", 5); break;
            case IOT_J_STR:
                if (!v->esc) { iot_name_component(b, v->p + 1, v->n - 2); break; }
                iot_buf_reset(t->scratch);
                iot_val_str(v, t->scratch);
                iot_name_component(b, t->scratch->p, t->scratch->len);
                break;
            default: iot_name_component(b, v->p, v->n); break;
            }
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------ endpoints */

enum { EP_STDOUT, EP_DROP, EP_FILE, EP_EXEC, EP_SH, EP_MQTT };

struct inst {
    struct iot_ep *ep;
    struct inst *prev, *next;    /* LRU list, head = most recently used */
    struct iot_out *out;         /* file */
    pid_t pid;                   /* child */
    int fd;
    struct iot_buf pend;         /* child: bytes not yet written to the pipe */
    int64_t pend_recs;
    int64_t pend_line;           /* where the first pending record came from */
    char pend_file[256];         /* (a copy: the reader's name may be gone by the time we report) */
    int64_t opened;              /* iot_time_mono() */
    char *name;                  /* path or command line, for messages */
};

struct iot_ep {
    int kind;
    char *spec;
    struct iot_tmpl *path;       /* EP_FILE; EP_MQTT: the topic */
    struct iot_mqtt *mq;         /* EP_MQTT */
    bool mq_closed;
    struct iot_tmpl **argv;      /* EP_EXEC */
    int argc;
    char *sh;                    /* EP_SH */
    bool needs_time, needs_shard, is_const;
    struct iot_keytab *inst;     /* expansion → struct inst (children; files are in iot_eps.files) */
    struct inst *only;           /* cached instance of a constant endpoint */
};

struct iot_eps {
    struct iot_fields *f;
    struct iot_eps_opts o;
    struct iot_ep **ep;
    int n;
    struct inst *head, *tail;
    struct iot_keytab *files;    /* path → struct inst: one open segment per path, whichever
                                    endpoints' templates name it */
    struct iot_keytab *dirs;     /* folders already swept for stale temp files */
    int nopen;
    struct iot_buf key;
    char err[2048];
    bool failed;
    int64_t segments, children, evicted, stale;
    bool any_mqtt;
};

struct iot_eps *iot_eps_new(struct iot_fields *f, const struct iot_eps_opts *o)
{
    struct iot_eps *s = iot_xcalloc(1, sizeof *s);
    s->f = f;
    s->o = *o;
    if (s->o.max_open <= 0) s->o.max_open = 64;
    s->files = iot_keytab_new(sizeof(struct inst), 0);
    s->dirs = iot_keytab_new(1, 0);
    return s;
}

const char *iot_ep_spec(const struct iot_ep *ep) { return ep->spec; }
bool iot_ep_needs_time(const struct iot_ep *ep) { return ep->needs_time; }
bool iot_ep_needs_shard(const struct iot_ep *ep) { return ep->needs_shard; }
bool iot_ep_is_drop(const struct iot_ep *ep) { return ep->kind == EP_DROP; }
const char *iot_eps_error(const struct iot_eps *s) { return s->err; }

void iot_eps_counts(const struct iot_eps *s, int64_t *segments, int64_t *children, int64_t *evicted)
{
    *segments = s->segments;
    *children = s->children;
    *evicted = s->evicted;
}

int64_t iot_eps_stale_removed(const struct iot_eps *s) { return s->stale; }

/* Splits a command line into words: blanks separate; '...' is literal; "..." honours \" and \\;
 * a backslash outside quotes takes the next byte. Returns the count or -1 (err set). */
static int split_words(const char *s, char ***out, char *err, size_t errcap)
{
    char **v = NULL;
    int n = 0;
    struct iot_buf w = { 0 };
    size_t i = 0;
    for (;;) {
        while (s[i] == ' ' || s[i] == '\t') i++;
        if (!s[i]) break;
        iot_buf_reset(&w);
        iot_buf_add(&w, "", 0);
        while (s[i] && s[i] != ' ' && s[i] != '\t') {
            if (s[i] == '\'') {
                size_t st = ++i;
                while (s[i] && s[i] != '\'') i++;
                if (!s[i]) { snprintf(err, errcap, "column %zu: unterminated '", st); goto fail; }
                iot_buf_add(&w, s + st, i - st);
                i++;
            } else if (s[i] == '"') {
                size_t st = i++;
                while (s[i] && s[i] != '"') {
                    if (s[i] == '\\' && (s[i + 1] == '"' || s[i + 1] == '\\')) i++;
                    iot_buf_addc(&w, s[i++]);
                }
                if (!s[i]) { snprintf(err, errcap, "column %zu: unterminated \"", st + 1); goto fail; }
                i++;
            } else if (s[i] == '\\' && s[i + 1]) {
                iot_buf_addc(&w, s[i + 1]);
                i += 2;
            } else {
                iot_buf_addc(&w, s[i++]);
            }
        }
        v = iot_xrealloc(v, (size_t)(n + 2) * sizeof *v);
        v[n++] = iot_xstrdup(w.p);
        v[n] = NULL;
    }
    iot_buf_free(&w);
    *out = v;
    return n;
fail:
    iot_buf_free(&w);
    for (int k = 0; k < n; k++) free(v[k]);
    free(v);
    return -1;
}

static void mkdirs(const char *path);

static bool in_path(const char *prog)
{
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path; ; ) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        snprintf(buf, sizeof buf, "%.*s/%s", n ? (int)n : 1, n ? p : ".", prog);
        if (access(buf, X_OK) == 0) return true;
        if (!c) return false;
        p = c + 1;
    }
}

struct iot_ep *iot_eps_add(struct iot_eps *s, const char *spec, char *err, size_t errcap)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->ep[i]->spec, spec) == 0) return s->ep[i];
    struct iot_ep *ep = iot_xcalloc(1, sizeof *ep);
    ep->spec = iot_xstrdup(spec);
    char sub[900];
    if (strcmp(spec, "-") == 0 || strcmp(spec, "stdout") == 0) {
        ep->kind = EP_STDOUT;
    } else if (strcmp(spec, "drop") == 0) {
        ep->kind = EP_DROP;
    } else if (strncmp(spec, "file:", 5) == 0) {
        ep->kind = EP_FILE;
        if (!spec[5]) { snprintf(err, errcap, "%s: empty file name", spec); goto fail; }
        ep->path = iot_tmpl_compile(spec + 5, s->f, sub, sizeof sub);
        if (!ep->path) { snprintf(err, errcap, "%s: %s", spec, sub); goto fail; }
        ep->needs_time = iot_tmpl_needs_time(ep->path);
        ep->needs_shard = iot_tmpl_needs_shard(ep->path);
        ep->is_const = iot_tmpl_const(ep->path);
    } else if (strncmp(spec, "exec:", 5) == 0) {
        ep->kind = EP_EXEC;
        char **words;
        int n = split_words(spec + 5, &words, sub, sizeof sub);
        if (n < 0) { snprintf(err, errcap, "%s: %s", spec, sub); goto fail; }
        if (n == 0) { snprintf(err, errcap, "%s: no command", spec); free(words); goto fail; }
        ep->argv = iot_xcalloc((size_t)n, sizeof *ep->argv);
        ep->argc = n;
        ep->is_const = true;
        for (int i = 0; i < n; i++) {
            ep->argv[i] = iot_tmpl_compile(words[i], s->f, sub, sizeof sub);
            if (!ep->argv[i]) {
                snprintf(err, errcap, "%s: word %d: %s", spec, i + 1, sub);
                for (int k = 0; k < n; k++) free(words[k]);
                free(words);
                goto fail;
            }
            ep->needs_time |= iot_tmpl_needs_time(ep->argv[i]);
            ep->needs_shard |= iot_tmpl_needs_shard(ep->argv[i]);
            ep->is_const &= iot_tmpl_const(ep->argv[i]);
        }
        bool found = !iot_tmpl_const(ep->argv[0]) || in_path(words[0]);
        if (!found) snprintf(err, errcap, "%s: %s: command not found", spec, words[0]);
        for (int k = 0; k < n; k++) free(words[k]);
        free(words);
        if (!found) goto fail;
    } else if (strncmp(spec, "mqtt://", 7) == 0) {
        ep->kind = EP_MQTT;
        const char *h = spec + 7, *slash = strchr(h, '/');
        const char *colon = memchr(h, ':', slash ? (size_t)(slash - h) : strlen(h));
        if (!slash || !slash[1]) { snprintf(err, errcap, "%s: no topic (mqtt://HOST:PORT/TOPIC)", spec); goto fail; }
        size_t hl = (size_t)((colon ? colon : slash) - h);
        long port = 1883;
        if (colon) {
            char *end;
            port = strtol(colon + 1, &end, 10);
            if (end != slash || port < 1 || port > 65535) { snprintf(err, errcap, "%s: bad port", spec); goto fail; }
        }
        if (hl == 0 || hl >= 256) { snprintf(err, errcap, "%s: bad host", spec); goto fail; }
        char host[256];
        memcpy(host, h, hl);
        host[hl] = 0;
        ep->path = iot_tmpl_compile(slash + 1, s->f, sub, sizeof sub);
        if (!ep->path) { snprintf(err, errcap, "%s: topic: %s", spec, sub); goto fail; }
        ep->needs_time = iot_tmpl_needs_time(ep->path);
        ep->needs_shard = iot_tmpl_needs_shard(ep->path);
        struct iot_mqtt_opts mo = { NULL, s->o.spool_max, s->o.ack_timeout };
        char dir[4096];
        if (s->o.spool) {
            /* one spool per endpoint, named by a hash of its text */
            snprintf(dir, sizeof dir, "%s/mqtt-%016llx", s->o.spool, (unsigned long long)iot_hash64(spec, strlen(spec)));
            mkdirs(dir);
            mo.spool = dir;
        }
        ep->mq = iot_mqtt_new(host, (int)port, spec, &mo, sub, sizeof sub);
        if (!ep->mq) { snprintf(err, errcap, "%s: %s", spec, sub); goto fail; }
        s->any_mqtt = true;
    } else if (strncmp(spec, "sh:", 3) == 0) {
        ep->kind = EP_SH;
        ep->sh = iot_xstrdup(spec + 3);
        ep->is_const = true;
        if (!spec[3]) { snprintf(err, errcap, "%s: empty command", spec); goto fail; }
    } else {
        snprintf(err, errcap, "%s: unknown endpoint (use -, drop, file:PATH, mqtt://HOST:PORT/TOPIC, exec:COMMAND or sh:COMMAND)", spec);
        goto fail;
    }
    ep->inst = iot_keytab_new(sizeof(struct inst), 0);
    s->ep = iot_xrealloc(s->ep, (size_t)(s->n + 1) * sizeof *s->ep);
    s->ep[s->n++] = ep;
    return ep;
fail:
    free(ep->spec);
    iot_tmpl_free(ep->path);
    for (int i = 0; i < ep->argc; i++) iot_tmpl_free(ep->argv[i]);
    free(ep->argv);
    free(ep->sh);
    free(ep);
    return NULL;
}

/* ---- LRU ---- */

static void lru_unlink(struct iot_eps *s, struct inst *in)
{
    if (in->prev) in->prev->next = in->next; else s->head = in->next;
    if (in->next) in->next->prev = in->prev; else s->tail = in->prev;
    in->prev = in->next = NULL;
}

static void lru_front(struct iot_eps *s, struct inst *in)
{
    in->next = s->head;
    in->prev = NULL;
    if (s->head) s->head->prev = in;
    s->head = in;
    if (!s->tail) s->tail = in;
}

/* ---- children ---- */

static void child_status(struct inst *in, char *buf, size_t cap)
{
    int st;
    pid_t r = waitpid(in->pid, &st, 0);
    if (r != in->pid) snprintf(buf, cap, "child lost");
    else if (WIFEXITED(st)) snprintf(buf, cap, "child exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, cap, "child killed by signal %d", WTERMSIG(st));
    else snprintf(buf, cap, "child stopped");
    in->pid = 0;
}

static int child_fail(struct iot_eps *s, struct inst *in, int err, int64_t extra)
{
    char why[128];
    if (in->fd >= 0) { close(in->fd); in->fd = -1; }
    if (in->pid > 0) child_status(in, why, sizeof why);
    else snprintf(why, sizeof why, "child gone");
    int64_t lost = in->pend_recs + extra;
    int off = snprintf(s->err, sizeof s->err, "%s: %s (%s)", in->name, why,
                       err == EPIPE ? "it stopped reading its input" : strerror(err));
    if (lost > 0 && off > 0 && (size_t)off < sizeof s->err)
        snprintf(s->err + off, sizeof s->err - (size_t)off, "; up to %lld record%s not delivered, the first from %s:%lld",
                 (long long)lost, lost == 1 ? "" : "s", in->pend_file[0] ? in->pend_file : "<input>",
                 (long long)in->pend_line);
    in->pend_recs = 0;
    iot_buf_reset(&in->pend);
    s->failed = true;
    return -1;
}

static int child_flush(struct iot_eps *s, struct inst *in)
{
    size_t off = 0;
    while (off < in->pend.len) {
        ssize_t w = write(in->fd, in->pend.p + off, in->pend.len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return child_fail(s, in, errno, 0);
        }
        off += (size_t)w;
    }
    iot_buf_reset(&in->pend);
    in->pend_recs = 0;
    return 0;
}

static int child_start(struct iot_eps *s, struct inst *in, char **argv)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) iot_die(IOT_EX_IOERR, "%s: pipe: %s", in->name, strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (p[0] != 0) posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);   /* children get the default SIGPIPE back */
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&in->pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[0]);
    if (rc != 0) {
        close(p[1]);
        in->fd = -1;
        in->pid = 0;
        snprintf(s->err, sizeof s->err, "%s: cannot run: %s", in->name, strerror(rc));
        s->failed = true;
        return -1;
    }
    in->fd = p[1];
    s->children++;
    return 0;
}

/* ---- files ---- */

static void mkdirs(const char *path)
{
    char *p = iot_xstrdup(path);
    for (char *q = strchr(p + 1, '/'); q; q = strchr(q + 1, '/')) {
        *q = 0;
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            int e = errno;
            struct stat st;
            if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                iot_die(IOT_EX_CANTCREAT, "%s: cannot create folder: %s", p, strerror(e));
        }
        *q = '/';
    }
    free(p);
}

/* Lake files: zstd level 1 (the hot path's throughput over the last few % of ratio), small
 * buffers (hundreds may be open), and a segment keeps its records if the run dies. */
#define SEG_FLAGS (IOT_OUT_ATOMIC | IOT_OUT_FAST | IOT_OUT_SMALLBUF | IOT_OUT_KEEP_ON_ERROR)

/* Is name our own temp-file pattern (".NAME.tmp.PID.SEQ", see out.c) of a process that is
 * gone? kill(pid, 0) failing with ESRCH says no such process (kill(2)). */
static bool stale_temp(const char *name)
{
    size_t n = strlen(name);
    if (n < 9 || name[0] != '.') return false;
    size_t e = n;
    while (e > 0 && name[e - 1] >= '0' && name[e - 1] <= '9') e--;
    if (e == n || e == 0 || name[e - 1] != '.') return false;
    size_t pe = e - 1, ps = pe;
    while (ps > 0 && name[ps - 1] >= '0' && name[ps - 1] <= '9') ps--;
    if (ps == pe || pe - ps > 9 || ps < 6 || memcmp(name + ps - 5, ".tmp.", 5) != 0) return false;
    long pid = strtol(name + ps, NULL, 10);
    if (pid <= 0 || pid == (long)getpid()) return false;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Once per folder we write in: removes temp segments that killed runs left behind. */
static void sweep_dir(struct iot_eps *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", dl ? (int)dl : 1, dl ? path : (slash ? "/" : "."));
    int created;
    iot_keytab_get(s->dirs, dir, strlen(dir), &created);
    if (!created) return;
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *de; (de = readdir(d)); ) {
        if (!stale_temp(de->d_name)) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
            s->stale++;
            iot_warn("%s/%s: removed a temporary segment left by a process that is gone", dir, de->d_name);
        }
    }
    closedir(d);
}

/* Lake files: zstd level 1 (the hot path's throughput over the last few % of ratio), small
 * buffers (hundreds may be open), and a segment keeps its records if the run dies. */
#define SEG_FLAGS (IOT_OUT_ATOMIC | IOT_OUT_FAST | IOT_OUT_SMALLBUF | IOT_OUT_KEEP_ON_ERROR)

static struct iot_out *file_open(struct iot_eps *s, struct iot_ep *ep, const char *path)
{
    mkdirs(path);
    if (s->o.append) return iot_out_open(path, IOT_OUT_APPEND | IOT_OUT_FAST | IOT_OUT_SMALLBUF);
    sweep_dir(s, path);
    /* a segment: published under the name itself if free, else NAME~1.EXT, NAME~2.EXT ...,
     * never over an existing file, whoever wrote it ('~' never comes out of a field value,
     * so segments of one key cannot be mistaken for another key) */
    const char *ext = iot_tmpl_ext(ep->path);
    size_t pl = strlen(path), el = strlen(ext);
    if (el >= pl || strcmp(path + pl - el, ext) != 0) el = 0;
    struct iot_out *o = iot_out_open(path, SEG_FLAGS);
    iot_out_set_noreplace(o, pl - el);
    return o;
}

/* ---- instances ---- */

static int inst_close(struct iot_eps *s, struct inst *in)
{
    struct iot_ep *ep = in->ep;
    int rc = 0;
    lru_unlink(s, in);
    s->nopen--;
    if (in->out) {
        iot_out_close(in->out);
        s->segments++;
    } else if (in->pid > 0 || in->fd >= 0) {
        if (in->fd >= 0 && !s->failed) rc = child_flush(s, in);
        if (in->fd >= 0) { close(in->fd); in->fd = -1; }
        if (in->pid > 0) {
            char why[128];
            pid_t pid = in->pid;
            child_status(in, why, sizeof why);
            if (strcmp(why, "child exited with status 0") != 0 && !s->failed) {
                snprintf(s->err, sizeof s->err, "%s: %s (pid %ld); what was written to it may not all have been processed",
                         in->name, why, (long)pid);
                s->failed = true;
                rc = -1;
            }
        }
    }
    iot_buf_free(&in->pend);
    free(in->name);
    bool file = ep->kind == EP_FILE;
    if (file) {
        for (int i = 0; i < s->n; i++)
            if (s->ep[i]->only == in) s->ep[i]->only = NULL;
    } else if (ep->only == in) {
        ep->only = NULL;
    }
    size_t kl;
    const char *k = iot_keytab_key(in, &kl);
    iot_keytab_del(file ? s->files : ep->inst, k, kl);
    return rc;
}

static struct inst *inst_get(struct iot_eps *s, struct iot_ep *ep, const struct iot_ep_rec *r)
{
    if (ep->only) return ep->only;
    iot_buf_reset(&s->key);
    char **argv = NULL;
    if (ep->kind == EP_FILE) {
        iot_tmpl_expand(ep->path, r->vals, r->t_ns, r->shard, &s->key);
    } else if (ep->kind == EP_EXEC) {
        /* words NUL-separated: the key, and the argv after the table lookup */
        for (int i = 0; i < ep->argc; i++) {
            iot_tmpl_expand(ep->argv[i], r->vals, r->t_ns, r->shard, &s->key);
            iot_buf_addc(&s->key, 0);
        }
    }
    int created;
    struct iot_keytab *tab = ep->kind == EP_FILE ? s->files : ep->inst;
    struct inst *in = iot_keytab_get(tab, s->key.p ? s->key.p : "", s->key.len, &created);
    if (!created) {
        if (in != s->head) { lru_unlink(s, in); lru_front(s, in); }
        if (ep->is_const) ep->only = in;
        return in;
    }
    while (s->nopen >= s->o.max_open && s->tail) {
        s->evicted++;
        struct inst *victim = s->tail;
        if (inst_close(s, victim) < 0) {
            size_t kl;
            const char *k = iot_keytab_key(in, &kl);
            iot_keytab_del(tab, k, kl);
            return NULL;
        }
    }
    in->ep = ep;
    in->fd = -1;
    in->opened = iot_time_mono();
    s->nopen++;
    lru_front(s, in);
    if (ep->kind == EP_FILE) {
        in->name = iot_xstrdup(s->key.p);
        in->out = file_open(s, ep, s->key.p);
    } else {
        struct iot_buf nm = { 0 };
        iot_buf_adds(&nm, ep->kind == EP_SH ? "sh:" : "exec:");
        if (ep->kind == EP_SH) {
            iot_buf_adds(&nm, ep->sh);
            argv = iot_xcalloc(4, sizeof *argv);
            argv[0] = "/bin/sh"; argv[1] = "-c"; argv[2] = ep->sh;
        } else {
            argv = iot_xcalloc((size_t)ep->argc + 1, sizeof *argv);
            char *w = s->key.p;
            for (int i = 0; i < ep->argc; i++) {
                argv[i] = w;
                if (i) iot_buf_addc(&nm, ' ');
                iot_buf_adds(&nm, w);
                w += strlen(w) + 1;
            }
        }
        in->name = nm.p;
        int rc = child_start(s, in, argv);
        free(argv);
        if (rc < 0) { inst_close(s, in); return NULL; }
    }
    if (ep->is_const) ep->only = in;
    return in;
}

static int mqtt_fail(struct iot_eps *s, struct iot_ep *ep)
{
    snprintf(s->err, sizeof s->err, "%s", iot_mqtt_error(ep->mq));
    s->failed = true;
    return -1;
}

static int mqtt_pump(struct iot_eps *s, int wait_ms)
{
    for (int i = 0; i < s->n; i++)
        if (s->ep[i]->kind == EP_MQTT && iot_mqtt_pump(s->ep[i]->mq, wait_ms) < 0) return mqtt_fail(s, s->ep[i]);
    return 0;
}

bool iot_eps_needs_pump(const struct iot_eps *s) { return s->any_mqtt; }

bool iot_eps_mqtt_counts(const struct iot_eps *s, struct iot_mqtt_counts *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < s->n; i++) {
        if (s->ep[i]->kind != EP_MQTT) continue;
        struct iot_mqtt_counts e;
        iot_mqtt_counts(s->ep[i]->mq, &e);
        c->acked += e.acked; c->spooled += e.spooled; c->replayed += e.replayed;
        c->reconnects += e.reconnects; c->spool_dropped += e.spool_dropped;
        c->spool_left += e.spool_left; c->spool_corrupt += e.spool_corrupt;
        c->spool_records += e.spool_records; c->spool_bytes += e.spool_bytes; c->in_flight += e.in_flight;
    }
    return s->any_mqtt;
}

int iot_ep_write(struct iot_eps *s, struct iot_ep *ep, const struct iot_ep_rec *r)
{
    if (s->failed) return -1;
    switch (ep->kind) {
    case EP_DROP:
        return 0;
    case EP_STDOUT: {
        struct iot_out *o = iot_out_std();
        iot_out_write(o, r->line, r->len);
        iot_out_eol(o);
        return 0;
    }
    case EP_MQTT:
        iot_buf_reset(&s->key);
        iot_tmpl_expand(ep->path, r->vals, r->t_ns, r->shard, &s->key);
        iot_buf_addc(&s->key, 0);
        if (iot_mqtt_send(ep->mq, s->key.p, r->line, r->len) < 0) return mqtt_fail(s, ep);
        return 0;
    default: break;
    }
    struct inst *in = inst_get(s, ep, r);
    if (!in) return -1;
    if (in->out) {
        iot_out_write(in->out, r->line, r->len);
        iot_out_putc(in->out, '\n');
        if (s->o.max_bytes && iot_out_bytes(in->out) >= s->o.max_bytes) inst_close(s, in);
        return 0;
    }
    if (in->pend_recs == 0 && r->src) {
        snprintf(in->pend_file, sizeof in->pend_file, "%s", r->src->file ? r->src->file : "<input>");
        in->pend_line = r->src->line;
    }
    iot_buf_add(&in->pend, r->line, r->len);
    iot_buf_addc(&in->pend, '\n');
    in->pend_recs++;
    if (in->pend.len >= 64 * 1024 || s->o.unbuffered) return child_flush(s, in);
    return 0;
}

int iot_eps_flush(struct iot_eps *s)
{
    if (s->failed) return -1;
    for (struct inst *in = s->head; in; in = in->next)
        if (in->fd >= 0 && in->pend.len && child_flush(s, in) < 0) return -1;
    return mqtt_pump(s, 0);
}

int iot_eps_tick(struct iot_eps *s, int64_t now)
{
    if (s->failed) return -1;
    if (s->any_mqtt && mqtt_pump(s, 0) < 0) return -1;
    if (!s->o.max_age) return 0;
    for (struct inst *in = s->tail, *prev; in; in = prev) {
        prev = in->prev;
        if (in->out && now - in->opened >= s->o.max_age) inst_close(s, in);
    }
    return 0;
}

int iot_eps_close(struct iot_eps *s)
{
    int rc = s->failed ? -1 : 0;
    while (s->tail)
        if (inst_close(s, s->tail) < 0) rc = -1;
    for (int i = 0; i < s->n; i++) {
        struct iot_ep *ep = s->ep[i];
        if (ep->kind != EP_MQTT || ep->mq_closed) continue;
        ep->mq_closed = true;
        if (iot_mqtt_close(ep->mq) < 0 && rc == 0) { mqtt_fail(s, ep); rc = -1; }
    }
    return rc;
}

void iot_eps_free(struct iot_eps *s)
{
    if (!s) return;
    iot_eps_close(s);
    for (int i = 0; i < s->n; i++) {
        struct iot_ep *ep = s->ep[i];
        iot_keytab_free(ep->inst, NULL);
        iot_tmpl_free(ep->path);
        iot_mqtt_free(ep->mq);
        for (int k = 0; k < ep->argc; k++) iot_tmpl_free(ep->argv[k]);
        free(ep->argv);
        free(ep->sh);
        free(ep->spec);
        free(ep);
    }
    free(s->ep);
    iot_keytab_free(s->files, NULL);
    iot_keytab_free(s->dirs, NULL);
    iot_buf_free(&s->key);
    free(s);
}

int iot_size_parse(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    unsigned sh = 0;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': sh = 10; end++; break;
    case 'm': case 'M': sh = 20; end++; break;
    case 'g': case 'G': sh = 30; end++; break;
    case 't': case 'T': sh = 40; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end || v == 0 || v > (UINT64_MAX >> sh)) return -1;
    *out = (uint64_t)v << sh;
    return 0;
}
