/* mqtt: QoS 1 publishing over libmosquitto (https://mosquitto.org/api/files/mosquitto-h.html)
 * with a ring of records in flight, a spool behind it, and reconnection with exponential
 * backoff. MQTT 3.1.1 (OASIS, 2014) §4.3.2: a QoS 1 PUBLISH is acknowledged by PUBACK. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/time.h"
#include "mqtt.h"
#include "spool.h"

#define WINDOW 256
#define BACKOFF_MIN (100 * IOT_NS_PER_MS)
#define BACKOFF_MAX (5 * IOT_NS_PER_S)

struct flight {
    int mid;
    bool acked, from_spool;
    struct iot_spool_pos end;   /* from_spool: the spool position after this record */
    struct iot_buf rec;         /* topic, NUL, payload (direct records: to spool them if lost) */
    int64_t sent;
};

struct iot_mqtt {
    char *host, *name;
    int port;
    struct iot_mqtt_opts o;
    struct mosquitto *m;
    int connack;                /* 0 waiting, 1 accepted, -1 refused */
    bool lost, failed, ever_connected;
    bool up;                    /* CONNACK accepted: records can be published */
    int64_t connect_deadline;
    int64_t next_try, backoff;
    struct flight ring[WINDOW];
    int head, n;
    struct iot_spool *sp;
    struct iot_buf tmp;         /* the record being sent */
    struct iot_buf rbuf;        /* the record being replayed (pump runs while tmp is in use) */
    int64_t since_pump;
    struct iot_mqtt_counts c;
    bool warned_full;
    char err[4096];
};

static bool lib_ready;

static void on_connect(struct mosquitto *m, void *obj, int rc) { ((struct iot_mqtt *)obj)->connack = rc == 0 ? 1 : -1; }
static void on_disconnect(struct mosquitto *m, void *obj, int rc) { ((struct iot_mqtt *)obj)->lost = true; }
static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    struct iot_mqtt *q = obj;
    for (int i = 0; i < q->n; i++) {
        struct flight *f = &q->ring[(q->head + i) % WINDOW];
        if (f->mid == mid && !f->acked) { f->acked = true; return; }
    }
}

struct iot_mqtt *iot_mqtt_new(const char *host, int port, const char *name,
                              const struct iot_mqtt_opts *o, char *err, size_t errcap)
{
    if (!lib_ready) { mosquitto_lib_init(); lib_ready = true; }
    struct iot_mqtt *q = iot_xcalloc(1, sizeof *q);
    q->host = iot_xstrdup(host);
    q->name = iot_xstrdup(name);
    q->port = port;
    q->o = *o;
    if (q->o.ack_timeout <= 0) q->o.ack_timeout = 10 * IOT_NS_PER_S;
    q->backoff = BACKOFF_MIN;
    if (o->spool) {
        q->sp = iot_spool_open(o->spool, o->spool_max, err, errcap);
        if (!q->sp) { iot_mqtt_free(q); return NULL; }
    }
    return q;
}

static int fail(struct iot_mqtt *q, const char *why, int64_t lost)
{
    snprintf(q->err, sizeof q->err, "%s: %s; %lld record%s not acknowledged (--spool DIR keeps them)",
             q->name, why, (long long)lost, lost == 1 ? "" : "s");
    q->failed = true;
    return -1;
}

static void spool_rec(struct iot_mqtt *q, const char *rec, size_t n)
{
    int r = iot_spool_append(q->sp, rec, n);
    if (r == 0) { q->c.spooled++; return; }
    if (r > 0) {
        q->c.spool_dropped++;
        if (!q->warned_full) iot_warn("%s: the spool is full (--spool-max): newest records dropped and counted (spool_dropped)", q->name);
        q->warned_full = true;
        return;
    }
    iot_die(IOT_EX_IOERR, "%s", iot_spool_error(q->sp));
}

/* The connection is gone: unacknowledged records go (back) to the spool, in order. */
static int go_down(struct iot_mqtt *q, const char *why)
{
    if (q->m) { mosquitto_destroy(q->m); q->m = NULL; }
    q->up = false;
    q->connack = 0;
    int64_t lost = 0;
    if (q->sp) iot_spool_rewind(q->sp);
    for (int i = 0; i < q->n; i++) {
        struct flight *f = &q->ring[(q->head + i) % WINDOW];
        if (!f->acked && !f->from_spool) {
            lost++;
            if (q->sp) spool_rec(q, f->rec.p, f->rec.len);
        }
    }
    q->n = 0;
    q->next_try = iot_time_mono() + q->backoff;
    if (!q->sp) return fail(q, why, lost);
    return 0;
}

static void connect_failed(struct iot_mqtt *q, const char *why)
{
    mosquitto_destroy(q->m);
    q->m = NULL;
    q->up = false;
    q->next_try = iot_time_mono() + q->backoff;
    q->backoff = q->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : q->backoff * 2;
    if (!q->sp) {
        snprintf(q->err, sizeof q->err, "%s: cannot connect to %s:%d (%s): nothing more delivered (--spool DIR keeps records while the broker is away)",
                 q->name, q->host, q->port, why);
        q->failed = true;
    }
}

/* After the socket was served: is the CONNACK in, refused, or overdue? */
static void check_connack(struct iot_mqtt *q)
{
    if (q->connack == 1 && !q->lost) {
        q->up = true;
        if (q->ever_connected) q->c.reconnects++;
        q->ever_connected = true;
        q->backoff = BACKOFF_MIN;
    } else if (q->connack < 0 || q->lost) {
        connect_failed(q, "refused");
    } else if (iot_time_mono() >= q->connect_deadline) {
        connect_failed(q, "no CONNACK");
    }
}

/* Opens the TCP connection and sends CONNECT. With a spool the CONNACK is awaited by the
 * pump (records meanwhile go to the spool, so a stalled broker does not stall the input);
 * without one there is nowhere to keep records, so it is awaited here (2 s at most). */
static void try_connect(struct iot_mqtt *q)
{
    int64_t now = iot_time_mono();
    if (q->m || now < q->next_try) return;
    q->m = mosquitto_new(NULL, true, q);
    if (!q->m) iot_die(IOT_EX_SOFTWARE, "%s: mosquitto_new failed", q->name);
    mosquitto_int_option(q->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    /* small packets both ways: without TCP_NODELAY, Nagle and delayed ACKs hold PUBACKs back
     * for tens of ms; and let libmosquitto keep our whole window in flight (its default is 20) */
    mosquitto_int_option(q->m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_int_option(q->m, MOSQ_OPT_SEND_MAXIMUM, WINDOW);
    mosquitto_connect_callback_set(q->m, on_connect);
    mosquitto_disconnect_callback_set(q->m, on_disconnect);
    mosquitto_publish_callback_set(q->m, on_publish);
    q->connack = 0;
    q->lost = false;
    q->up = false;
    q->connect_deadline = now + 2 * IOT_NS_PER_S;
    int rc = mosquitto_connect(q->m, q->host, q->port, 30);
    if (rc != MOSQ_ERR_SUCCESS) { connect_failed(q, mosquitto_strerror(rc)); return; }
    if (q->sp) return;
    while (q->m && !q->up) {
        rc = mosquitto_loop(q->m, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) connect_failed(q, mosquitto_strerror(rc));
        else check_connack(q);
    }
}

static int publish(struct iot_mqtt *q, const char *rec, size_t n, bool from_spool, struct iot_spool_pos end)
{
    size_t tl = strlen(rec);
    struct flight *f = &q->ring[(q->head + q->n) % WINDOW];
    int rc = mosquitto_publish(q->m, &f->mid, rec, (int)(n - tl - 1), rec + tl + 1, 1, false);
    if (rc != MOSQ_ERR_SUCCESS) return -1;
    f->acked = false;
    f->from_spool = from_spool;
    f->end = end;
    f->sent = iot_time_mono();
    iot_buf_reset(&f->rec);
    if (!from_spool) iot_buf_add(&f->rec, rec, n);
    q->n++;
    return 0;
}

int iot_mqtt_pump(struct iot_mqtt *q, int wait_ms)
{
    if (q->failed) return -1;
    if (!q->m) {
        try_connect(q);
        if (q->failed) return -1;
        if (!q->m) return 0;
    }
    int rc = mosquitto_loop(q->m, wait_ms, 1);
    if (!q->up) {
        if (rc != MOSQ_ERR_SUCCESS) connect_failed(q, mosquitto_strerror(rc));
        else check_connack(q);
        if (!q->up) return q->failed ? -1 : 0;
    }
    if (rc != MOSQ_ERR_SUCCESS || q->lost) return go_down(q, rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc) : "connection lost");
    /* acknowledged from the oldest on: spool records are committed in order */
    struct iot_spool_pos pos = { 0, 0 };
    uint64_t nrec = 0;
    while (q->n && q->ring[q->head].acked) {
        struct flight *f = &q->ring[q->head];
        q->c.acked++;
        if (f->from_spool) { pos = f->end; nrec++; q->c.replayed++; }
        q->head = (q->head + 1) % WINDOW;
        q->n--;
    }
    if (nrec && iot_spool_commit(q->sp, pos, nrec) < 0) iot_die(IOT_EX_IOERR, "%s", iot_spool_error(q->sp));
    if (q->n && iot_time_mono() - q->ring[q->head].sent > q->o.ack_timeout)
        return go_down(q, "no PUBACK within --ack-timeout");
    /* replay */
    while (q->sp && q->n < WINDOW && iot_spool_unread(q->sp)) {
        struct iot_spool_pos end;
        int r = iot_spool_next(q->sp, &q->rbuf, &end);
        if (r < 0) iot_die(IOT_EX_IOERR, "%s: spool read failed", q->name);
        if (r == 0) break;
        if (!memchr(q->rbuf.p, 0, q->rbuf.len)) continue;   /* not ours: no topic */
        if (publish(q, q->rbuf.p, q->rbuf.len, true, end) < 0) return go_down(q, "publish failed");
    }
    return 0;
}

int iot_mqtt_send(struct iot_mqtt *q, const char *topic, const char *payload, size_t n)
{
    if (q->failed) return -1;
    iot_buf_reset(&q->tmp);
    iot_buf_adds(&q->tmp, topic);
    iot_buf_addc(&q->tmp, 0);
    iot_buf_add(&q->tmp, payload, n);
    if (!q->m) try_connect(q);
    if (q->failed) return -1;
    while (q->up && q->n >= WINDOW)
        if (iot_mqtt_pump(q, 100) < 0) return -1;
    if (q->sp && (!q->up || iot_spool_unread(q->sp))) {
        /* behind a spool that is not empty (or a broker that is gone): keep the order */
        struct iot_buf rec = q->tmp;
        q->tmp = (struct iot_buf){ 0 };
        spool_rec(q, rec.p, rec.len);
        iot_buf_free(&rec);
        return iot_mqtt_pump(q, 0);
    }
    if (publish(q, q->tmp.p, q->tmp.len, false, (struct iot_spool_pos){ 0, 0 }) < 0) {
        struct iot_buf rec = q->tmp;
        q->tmp = (struct iot_buf){ 0 };
        int r = go_down(q, "publish failed");
        if (r == 0) spool_rec(q, rec.p, rec.len);
        iot_buf_free(&rec);
        return r;
    }
    if (++q->since_pump >= 32) { q->since_pump = 0; return iot_mqtt_pump(q, 0); }
    return 0;
}

int iot_mqtt_close(struct iot_mqtt *q)
{
    /* drain while the broker makes progress: give up after ack_timeout without a PUBACK */
    int64_t deadline = iot_time_mono() + q->o.ack_timeout, acked = q->c.acked;
    while (!q->failed && (q->n || (q->sp && iot_spool_unread(q->sp))) && iot_time_mono() < deadline) {
        if (!q->m && q->sp && q->next_try > deadline) break;   /* the broker is not back in time */
        if (iot_mqtt_pump(q, 50) < 0) break;
        if (q->c.acked != acked) { acked = q->c.acked; deadline = iot_time_mono() + q->o.ack_timeout; }
    }
    if (q->failed) return -1;
    if (q->n && !q->sp) return fail(q, "no PUBACK before the end (--ack-timeout)", q->n);
    if (q->m) {
        if (q->n) go_down(q, "closing");
        else { mosquitto_disconnect(q->m); mosquitto_loop(q->m, 100, 1); mosquitto_destroy(q->m); q->m = NULL; }
    }
    if (q->sp) {
        q->c.spool_left = (int64_t)iot_spool_records(q->sp);
        q->c.spool_corrupt = iot_spool_corrupt(q->sp);
        if (q->c.spool_left)
            iot_warn("%s: %lld record%s kept in the spool (the broker did not take them); a later run with the same --spool sends them",
                     q->name, (long long)q->c.spool_left, q->c.spool_left == 1 ? "" : "s");
        if (iot_spool_sync(q->sp) < 0) iot_die(IOT_EX_IOERR, "%s", iot_spool_error(q->sp));
    }
    return 0;
}

const char *iot_mqtt_error(const struct iot_mqtt *q) { return q->err; }
void iot_mqtt_counts(const struct iot_mqtt *q, struct iot_mqtt_counts *c)
{
    *c = q->c;
    c->in_flight = q->n;
    if (q->sp) {
        c->spool_records = (int64_t)iot_spool_records(q->sp);
        c->spool_bytes = (int64_t)iot_spool_bytes(q->sp);
    }
}

void iot_mqtt_free(struct iot_mqtt *q)
{
    if (!q) return;
    if (q->m) mosquitto_destroy(q->m);
    for (int i = 0; i < WINDOW; i++) iot_buf_free(&q->ring[i].rec);
    iot_buf_free(&q->tmp);
    iot_buf_free(&q->rbuf);
    iot_spool_close(q->sp);
    free(q->host);
    free(q->name);
    free(q);
}
