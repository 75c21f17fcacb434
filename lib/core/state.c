#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "crc32c.h"
#include "diag.h"
#include "out.h"
#include "state.h"

/* ---- sealed JSON: the document, then ,"crc32c":"%08x"} over every byte before the comma ---- */
#define SEAL_HEAD ",\"crc32c\":\""
#define SEAL_LEN (sizeof SEAL_HEAD - 1 + 8 + 2)     /* head, 8 hex digits, "} */

struct sealer { struct iot_out *o; uint32_t crc; char held; bool has; };

/* jansson writes the document in pieces; the last byte ('}') is held back so that the checksum
 * member goes inside the object */
static int seal_cb(const char *buf, size_t n, void *v)
{
    struct sealer *s = v;
    if (!n) return 0;
    if (s->has) {
        s->crc = iot_crc32c(s->crc, &s->held, 1);
        iot_out_putc(s->o, s->held);
    }
    s->crc = iot_crc32c(s->crc, buf, n - 1);
    iot_out_write(s->o, buf, n - 1);
    s->held = buf[n - 1];
    s->has = true;
    return 0;
}

void iot_sealed_save(const char *path, const json_t *doc)
{
    struct sealer s = { iot_out_open(path, IOT_OUT_ATOMIC | IOT_OUT_NOZSTD), 0, 0, false };
    if (!json_object_size(doc) || json_dump_callback(doc, seal_cb, &s, JSON_COMPACT | JSON_REAL_PRECISION(17)) != 0 ||
        !s.has || s.held != '}')
        iot_die(IOT_EX_SOFTWARE, "%s: cannot serialise", path);
    char tail[SEAL_LEN + 2];
    snprintf(tail, sizeof tail, SEAL_HEAD "%08x\"}\n", (unsigned)s.crc);
    iot_out_puts(s.o, tail);
    iot_out_close(s.o);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return NULL;
        iot_die(IOT_EX_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t cap = 1 << 16, len = 0;
    char *p = iot_xmalloc(cap);
    size_t k;
    while ((k = fread(p + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) p = iot_xrealloc(p, cap *= 2);
    }
    if (ferror(f)) iot_die(IOT_EX_IOERR, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    *n = len;
    return p;
}

static int hexval(const char *s, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 8; i++) {
        int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

json_t *iot_sealed_load(const char *path, const char *what, bool *sealed)
{
    size_t n;
    char *p = slurp(path, &n);
    if (!p) return NULL;
    size_t m = n && p[n - 1] == '\n' ? n - 1 : n;
    size_t h = sizeof SEAL_HEAD - 1;
    uint32_t want;
    *sealed = m >= SEAL_LEN && memcmp(p + m - SEAL_LEN, SEAL_HEAD, h) == 0 &&
              memcmp(p + m - 2, "\"}", 2) == 0 && hexval(p + m - 10, &want) == 0;
    if (*sealed && iot_crc32c(0, p, m - SEAL_LEN) != want)
        iot_die(IOT_EX_DATAERR, "%s: checksum mismatch (crc32c): the %s is damaged; refusing it", path, what);
    json_error_t je;
    json_t *doc = json_loadb(p, n, 0, &je);
    free(p);
    if (!doc)
        iot_die(IOT_EX_DATAERR, "%s: not a usable %s (line %d: %s); refusing to start over silently "
                "— move it away to reset", path, what, je.line, je.text);
    if (!*sealed && json_object_get(doc, "crc32c"))
        iot_die(IOT_EX_DATAERR, "%s: its checksum member is damaged: the %s is damaged; refusing it", path, what);
    json_object_del(doc, "crc32c");
    return doc;
}

/* ---- state files and the commit protocol ---- */
static json_t *inputs_json(const struct iot_commit *c)
{
    if (!c || c->ninputs <= 0) return NULL;
    json_t *a = json_array();
    for (int i = 0; i < c->ninputs; i++) {
        struct stat st;
        if (strcmp(c->inputs[i], "-") == 0 || stat(c->inputs[i], &st) < 0 || !S_ISREG(st.st_mode)) {
            json_decref(a);
            return NULL;        /* standard input or a pipe: no identity */
        }
        json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I}", "name", c->inputs[i],
            "size", (json_int_t)st.st_size, "ino", (json_int_t)st.st_ino,
            "mtime_ns", (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec));
    }
    return a;
}

static void cut_back(const char *path, const json_t *rec, struct iot_out *o)
{
    struct iot_out_id id;
    if (!json_is_object(rec) || iot_out_id(o, &id) < 0 || !id.append) return;
    if ((uint64_t)iot_json_get_int(rec, "dev", -1) != id.dev || (uint64_t)iot_json_get_int(rec, "ino", -1) != id.ino)
        return;       /* another file (a new day's output, a rotated log): nothing of it is ours */
    int64_t bytes = iot_json_get_int(rec, "bytes", -1);
    if (bytes < 0) iot_die(IOT_EX_DATAERR, "%s: the output record is damaged", path);
    if (id.size > bytes) {
        iot_warn("%s: %lld bytes after the length committed in %s (a run that stopped before it "
                 "committed) cut back", iot_out_path(o), (long long)(id.size - bytes), path);
        iot_stat_add("output_cut_bytes", id.size - bytes);
        iot_out_cut(o, bytes);
    } else if (id.size < bytes) {
        iot_warn("%s: shorter (%lld bytes) than committed in %s (%lld): changed since; appending to it",
                 iot_out_path(o), (long long)id.size, path, (long long)bytes);
    }
}

/* Temp files of this state that a killed run left (out.c names them .BASE.tmp.PID.N): removed
 * when that PID is gone — kill(pid, 0) failing with ESRCH (kill(2)). Only this file's pattern. */
static void sweep_temps(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[4096], pre[512];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    if (snprintf(pre, sizeof pre, ".%s.tmp.", base) >= (int)sizeof pre) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    size_t np = strlen(pre);
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (strncmp(n, pre, np) != 0) continue;
        char *end;
        long pid = strtol(n + np, &end, 10);
        if (pid <= 0 || *end != '.' || end[1] < '0' || end[1] > '9' || end[1 + strspn(end + 1, "0123456789")])
            continue;
        if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[4608];
        snprintf(full, sizeof full, "%s%s%s", dir, slash ? "" : "/", n);
        if (unlink(full) == 0) iot_stat_add("stale_temp_removed", 1);
    }
    closedir(d);
}

json_t *iot_state_begin(const char *path, const char *kind, int version, const struct iot_commit *c)
{
    sweep_temps(path);
    bool sealed;
    json_t *doc = iot_sealed_load(path, "state file", &sealed);
    struct iot_out_id id;
    if (!doc && c && c->out && iot_out_id(c->out, &id) == 0 && id.append) {
        /* a first run appending in place: commit the output's length as it is now, so that what
         * this run writes before a crash is cut back by the rerun (body null: nothing learned) */
        iot_state_commit(path, kind, version, json_null(), c);
        doc = iot_sealed_load(path, "state file", &sealed);
    }
    if (!doc) return NULL;
    const char *k = json_string_value(json_object_get(doc, "iotkit_state"));
    json_t *v = json_object_get(doc, "version"), *body = json_object_get(doc, "body");
    if (!k || strcmp(k, kind) != 0) {
        /* k points into doc: no decref before the message (iot_die does not return) */
        iot_die(IOT_EX_DATAERR, "%s: not an %s state file (it is %s%s)", path, kind,
                k ? "of kind " : "not an iotkit state file", k ? k : "");
    }
    long long got = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
    if (!sealed)
        iot_die(IOT_EX_DATAERR, "%s: %s state file version %lld is older than this build's %d (it has "
                "no checksum); refusing it — rebuild the state from the input", path, kind, got, version);
    if (got != version || !body) {
        json_decref(doc);
        if (got > 0 && got < version)
            iot_die(IOT_EX_DATAERR, "%s: %s state file version %lld is older than this build's %d "
                    "(keys or layout changed, see iot(7)); refusing it — rebuild the state from the input",
                    path, kind, got, version);
        iot_die(IOT_EX_DATAERR, "%s: %s state file of another version (want %d); refusing it", path, kind, version);
    }
    if (c && c->out) cut_back(path, json_object_get(doc, "output"), c->out);
    /* only where the output is exactly once (appended in place): elsewhere feeding a file again
     * is the user's choice */
    json_t *ins = c && c->out && iot_out_id(c->out, &id) == 0 && id.append ? inputs_json(c) : NULL;
    if (ins && !json_is_null(body) && json_equal(ins, json_object_get(doc, "inputs"))) {
        iot_warn("%s: these inputs were already committed with this state (a rerun after a crash?); "
                 "nothing to do", path);
        exit(0);
    }
    json_decref(ins);
    if (json_is_null(body)) body = NULL;      /* committed before anything was learned */
    else json_incref(body);
    json_decref(doc);
    return body;
}

json_t *iot_state_load(const char *path, const char *kind, int version)
{
    return iot_state_begin(path, kind, version, NULL);
}

void iot_state_commit(const char *path, const char *kind, int version, json_t *body, const struct iot_commit *c)
{
    json_t *doc = json_pack("{s:s, s:i, s:s}", "iotkit_state", kind, "version", version, "tool", iot_prog);
    if (!doc) iot_die(IOT_EX_SOFTWARE, "%s: cannot build the state document", path);
    if (c && c->out) {
        struct iot_out_id id;
        int64_t len = iot_out_commit(c->out);     /* output first: the state never runs ahead */
        if (len >= 0 && iot_out_id(c->out, &id) == 0)
            json_object_set_new(doc, "output", json_pack("{s:s, s:I, s:I, s:I}", "path", iot_out_path(c->out),
                "dev", (json_int_t)id.dev, "ino", (json_int_t)id.ino, "bytes", (json_int_t)len));
    }
    /* a run stopped by a signal did not read all of its inputs: no claim on them */
    json_t *ins = iot_stop_requested || json_is_null(body) ? NULL : inputs_json(c);
    if (ins) json_object_set_new(doc, "inputs", ins);
    json_object_set_new(doc, "body", body);
    iot_sealed_save(path, doc);
    json_decref(doc);
}

void iot_state_save(const char *path, const char *kind, int version, json_t *body)
{
    iot_state_commit(path, kind, version, body, NULL);
}

json_t *iot_json_real(double v)
{
    return v == v && v - v == 0 ? json_real(v) : json_null();
}

double iot_json_get_real(const json_t *j, const char *key, double dflt)
{
    json_t *v = json_object_get(j, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

int64_t iot_json_get_int(const json_t *j, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(j, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}
