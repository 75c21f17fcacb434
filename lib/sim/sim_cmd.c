/* sim_cmd: devices that obey commands (see sim.h). Commands follow the shape of IoT Hub
 * cloud-to-device direct methods, each answered with a status
 * (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods); setProperties
 * follows device twin desired properties reported back by the device. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/out.h"
#include "core/time.h"
#include "sim.h"
#include "sim_impl.h"

#define REBOOT_NS (10 * IOT_NS_PER_S)
#define MAX_PROPS 512               /* bytes of reported properties carried in each record */

struct pend { int64_t t; uint64_t order; json_t *j; char *err; };

struct iot_sim_cmds {
    int fd;
    bool follow, done;              /* follow: EOF is "nothing yet" (a file or a FIFO) */
    bool ended;                     /* the simulation is over: what is still due is rejected */
    char *path;
    struct iot_buf part;            /* an incomplete last line */
    struct pend *q;                 /* pending, kept sorted by (t, order) */
    size_t n, cap;
    uint64_t order;
    int64_t line;
};

struct iot_sim_cmds *iot_sim_cmds_open(const char *path)
{
    struct iot_sim_cmds *c = iot_xcalloc(1, sizeof *c);
    bool in = strcmp(path, "-") == 0;
    c->path = iot_xstrdup(in ? "<stdin>" : path);
    c->fd = in ? 0 : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (c->fd < 0) iot_die(IOT_EX_NOINPUT, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(c->fd, &st) == 0) c->follow = !in && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode));
    int fl = fcntl(c->fd, F_GETFL);
    if (fl >= 0) fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
    return c;
}

static void push(struct iot_sim_cmds *c, int64_t t, json_t *j, char *err)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->q = iot_xrealloc(c->q, c->cap * sizeof *c->q);
    }
    size_t i = c->n++;
    while (i > 0 && c->q[i - 1].t > t) { c->q[i] = c->q[i - 1]; i--; }
    c->q[i] = (struct pend){ t, c->order++, j, err };
}

static void take_line(struct iot_sim_cmds *c, const char *p, size_t n, int64_t now)
{
    c->line++;
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (!n) return;
    json_error_t e;
    json_t *j = json_loadb(p, n, 0, &e);
    if (!j || !json_is_object(j)) {
        char m[256];
        snprintf(m, sizeof m, "%s:%lld: %s", c->path, (long long)c->line, j ? "not a JSON object" : e.text);
        json_decref(j);
        push(c, now, NULL, iot_xstrdup(m));
        return;
    }
    int64_t t = now;
    json_t *ts = json_object_get(j, "timestamp");
    const char *why;
    if (json_is_string(ts) && iot_time_parse(json_string_value(ts), json_string_length(ts), &t, &why) == 0) {
        if (t < now) t = now;
    } else {
        t = now;
    }
    push(c, t, j, NULL);
}

void iot_sim_cmds_poll(struct iot_sim_cmds *c, int64_t now)
{
    if (c->done) return;
    char buf[65536];
    for (;;) {
        ssize_t k = read(c->fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (k < 0) iot_die(IOT_EX_IOERR, "%s: %s", c->path, strerror(errno));
        if (k == 0) {
            if (!c->follow) {
                if (c->part.len) take_line(c, c->part.p, c->part.len, now);
                iot_buf_reset(&c->part);
                c->done = true;
            }
            return;
        }
        const char *p = buf, *e = buf + k;
        while (p < e) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            if (!nl) { iot_buf_add(&c->part, p, (size_t)(e - p)); break; }
            if (c->part.len) {
                iot_buf_add(&c->part, p, (size_t)(nl - p));
                take_line(c, c->part.p, c->part.len, now);
                iot_buf_reset(&c->part);
            } else {
                take_line(c, p, (size_t)(nl - p), now);
            }
            p = nl + 1;
        }
    }
}

/* Device index of id, or -1: ids are prefix-NNNNNN with the index in decimal. */
static int64_t find_dev(const struct iot_sim *s, const char *id, size_t n)
{
    const char *dash = NULL;
    for (size_t i = 0; i < n; i++) if (id[i] == '-') dash = id + i;
    if (!dash || dash + 1 == id + n || (size_t)(id + n - dash - 1) > 9) return -1;
    int64_t v = 0;
    for (const char *p = dash + 1; p < id + n; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    if (v >= s->n) return -1;
    char b[64];
    size_t bn = iot_sim_device_id(s, v, b);
    return bn == n && memcmp(b, id, n) == 0 ? v : -1;
}

static void set_target(struct iot_sim_ctl *k, double target, int64_t t)
{
    k->load0 = iot_sim_ctl_load(k, t);
    k->t_cmd = t;
    k->target = target;
    k->active = true;
}

static int dump_cb(const char *p, size_t n, void *data)
{
    iot_buf_add(data, p, n);
    return 0;
}

/* Applies j to device i at t; returns NULL (completed) or the reason it was rejected. */
static const char *apply(struct iot_sim *s, int64_t i, const char *cmd, json_t *j, int64_t t)
{
    struct iot_sim_ctl *k = &s->ctl[i];
    if (!k->active) {
        k->load0 = k->target = k->setpoint = 1;
        k->t_cmd = t;
    }
    if (strcmp(cmd, "setpoint") == 0 || strcmp(cmd, "throttle") == 0) {
        json_t *v = json_object_get(j, "value");
        double x = json_is_number(v) ? json_number_value(v) : -1;
        if (!(x >= 0 && x <= 1.5)) return "value: expected a number within 0..1.5 (fraction of the nominal load)";
        k->setpoint = x;
        if (!k->stopped) set_target(k, x, t);
        k->active = true;
    } else if (strcmp(cmd, "stop") == 0) {
        k->stopped = true;
        set_target(k, 0, t);
    } else if (strcmp(cmd, "start") == 0) {
        k->stopped = false;
        set_target(k, k->setpoint, t);
    } else if (strcmp(cmd, "maintenance") == 0 || strcmp(cmd, "reset-maintenance") == 0) {
        iot_sim_maintain(s, i, t);
        k->active = true;
    } else if (strcmp(cmd, "reboot") == 0) {
        k->reboot_until = t + REBOOT_NS;
        k->active = true;
    } else if (strcmp(cmd, "setProperties") == 0) {
        json_t *p = json_object_get(j, "properties");
        if (!json_is_object(p) || json_object_size(p) == 0) return "properties: expected a non-empty object";
        json_t *iv = json_object_get(p, "interval");
        if (iv && !(json_is_number(iv) && json_number_value(iv) >= 0.001 && json_number_value(iv) <= 86400))
            return "properties.interval: expected seconds within 0.001..86400";
        json_t *rep = k->reported ? json_deep_copy(k->reported) : json_object();
        json_object_update(rep, p);
        struct iot_buf b = { 0 };
        const char *key;
        json_t *val;
        json_object_foreach(rep, key, val) {
            iot_buf_addc(&b, ',');
            iot_buf_json_str(&b, key, strlen(key));
            iot_buf_addc(&b, ':');
            json_dump_callback(val, dump_cb, &b, JSON_COMPACT | JSON_ENCODE_ANY);
        }
        if (b.len > MAX_PROPS) {
            iot_buf_free(&b);
            json_decref(rep);
            return "properties: more than 512 bytes of reported properties";
        }
        if (iv) k->interval = (int64_t)(json_number_value(iv) * 1e9 / IOT_NS_PER_MS + 0.5) * IOT_NS_PER_MS;
        json_decref(k->reported);
        k->reported = rep;
        free(k->props);
        k->props = b.p;
        k->plen = b.len;
        k->active = true;
    } else {
        return "unknown command";
    }
    return NULL;
}

static void put_json(struct iot_buf *b, json_t *v)
{
    if (v) json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY);
    else iot_buf_adds(b, "null");
}

size_t iot_sim_cmds_apply(struct iot_sim_cmds *c, struct iot_sim *s, int64_t upto, char *buf, int64_t *t)
{
    if (!c->n || c->q[0].t > upto) return 0;
    struct pend p = c->q[0];
    memmove(c->q, c->q + 1, (c->n - 1) * sizeof *c->q);
    c->n--;
    if (!s->ctl) s->ctl = iot_xcalloc((size_t)s->n, sizeof *s->ctl);
    *t = p.t;
    json_t *id = p.j ? json_object_get(p.j, "deviceId") : NULL;
    json_t *cmd = p.j ? json_object_get(p.j, "command") : NULL;
    const char *why = p.err;
    if (!why && c->ended) why = "the simulation ended before the command's time";
    if (!why) {
        int64_t i = json_is_string(id) ? find_dev(s, json_string_value(id), json_string_length(id)) : -1;
        if (!json_is_string(id)) why = "deviceId: expected a string";
        else if (i < 0) why = "unknown device";
        else if (!json_is_string(cmd)) why = "command: expected a string";
        else why = apply(s, i, json_string_value(cmd), p.j, p.t);
    }
    struct iot_buf b = { 0 };
    iot_buf_adds(&b, "{\"deviceId\":");
    put_json(&b, id);
    iot_buf_adds(&b, ",\"messageType\":\"commandAck\",\"command\":");
    put_json(&b, cmd);
    iot_buf_adds(&b, ",\"commandId\":");
    put_json(&b, p.j ? json_object_get(p.j, "commandId") : NULL);
    iot_buf_adds(&b, why ? ",\"status\":\"rejected\",\"reason\":" : ",\"status\":\"completed\"");
    if (why) iot_buf_json_str(&b, why, strlen(why));
    json_t *ver = p.j ? json_object_get(p.j, "version") : NULL;
    if (ver) {
        iot_buf_adds(&b, ",\"version\":");
        put_json(&b, ver);
    }
    char tb[40];
    iot_buf_adds(&b, ",\"timestamp\":\"");
    iot_buf_add(&b, tb, iot_sim_fmt_time(tb, p.t));
    iot_buf_adds(&b, "\"}");
    size_t n = b.len < IOT_SIM_LINE_MAX ? b.len : 0;
    if (!n) {                       /* a huge id or commandId: the ack says so, shorter */
        iot_buf_reset(&b);
        iot_buf_addf(&b, "{\"deviceId\":null,\"messageType\":\"commandAck\",\"status\":\"rejected\",\"reason\":\"command too long\",\"timestamp\":\"");
        iot_buf_add(&b, tb, iot_sim_fmt_time(tb, p.t));
        iot_buf_adds(&b, "\"}");
        n = b.len;
    }
    memcpy(buf, b.p, n);
    iot_buf_free(&b);
    iot_stat_add(why ? "commands_rejected" : "commands_completed", 1);
    json_decref(p.j);
    free(p.err);
    return n;
}

size_t iot_sim_cmds_annotate(const struct iot_sim *s, uint32_t dev, char *buf, size_t len)
{
    if (!s->ctl || !s->ctl[dev].active || len < 2 || buf[len - 1] != '}') return len;
    const struct iot_sim_ctl *k = &s->ctl[dev];
    char num[32];
    int nn = iot_fmt_fixed(num, k->setpoint, 3);
    if (len + (size_t)nn + k->plen + 48 >= IOT_SIM_LINE_MAX) return len;
    len--;
    len += (size_t)sprintf(buf + len, ",\"setpoint\":%.*s,\"state\":\"%s\"", nn, num, k->stopped ? "stopped" : "running");
    if (k->plen) { memcpy(buf + len, k->props, k->plen); len += k->plen; }
    buf[len++] = '}';
    return len;
}

void iot_sim_cmds_end(struct iot_sim_cmds *c) { c->ended = true; }

void iot_sim_cmds_free(struct iot_sim_cmds *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) { json_decref(c->q[i].j); free(c->q[i].err); }
    free(c->q);
    iot_buf_free(&c->part);
    if (c->fd > 0) close(c->fd);
    free(c->path);
    free(c);
}
