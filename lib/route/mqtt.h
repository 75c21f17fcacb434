/* mqtt: one MQTT 3.1.1 publisher (libmosquitto, single-threaded: we drive its loop) with QoS 1,
 * where the broker's PUBACK is the acknowledgement: a record counts as delivered only then.
 * A lost connection, a refused one, or no PUBACK within ack_timeout: with a spool, the
 * unacknowledged records and every later one go to the spool (lib/route/spool.h), the broker
 * is retried with exponential backoff (100 ms doubling to 5 s), and on reconnection the spool
 * is replayed in order before new records (at-least-once); without a spool the run fails
 * with the number of records not acknowledged. Bounded: at most 256 records in flight. */
#ifndef IOT_MQTT_H
#define IOT_MQTT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iot_mqtt_opts {
    const char *spool;        /* spool folder of this endpoint, or NULL */
    uint64_t spool_max;       /* bytes, 0 = no bound; a full spool drops the newest (counted) */
    int64_t ack_timeout;      /* ns: a PUBACK later than this means the broker is gone; also
                                 how long the end of input waits for the rest */
};

struct iot_mqtt_counts {
    int64_t acked, spooled, replayed, reconnects, spool_dropped, spool_left, spool_corrupt;
    int64_t spool_records, spool_bytes, in_flight;   /* now */
};

struct iot_mqtt;

/* Connects lazily at the first send. name is for messages (the endpoint text). NULL with err
 * set when the spool cannot be opened. */
struct iot_mqtt *iot_mqtt_new(const char *host, int port, const char *name,
                              const struct iot_mqtt_opts *o, char *err, size_t errcap);
/* Publishes payload[0..n) to topic (NUL-terminated), or spools it. Returns 0, or -1 when the
 * record cannot be delivered nor kept (iot_mqtt_error says why and how many were lost). */
int iot_mqtt_send(struct iot_mqtt *q, const char *topic, const char *payload, size_t n);
/* Network work without a record: acknowledgements, reconnection, replay; waits up to wait_ms
 * for the socket. Returns 0 or -1 as above. */
int iot_mqtt_pump(struct iot_mqtt *q, int wait_ms);
/* Sends on until every acknowledgement is in and the spool is drained, then
 * disconnects; gives up after ack_timeout without a PUBACK. What is left stays in the spool
 * (said on stderr). Returns 0 or -1. */
int iot_mqtt_close(struct iot_mqtt *q);
const char *iot_mqtt_error(const struct iot_mqtt *q);
void iot_mqtt_counts(const struct iot_mqtt *q, struct iot_mqtt_counts *c);
void iot_mqtt_free(struct iot_mqtt *q);
#endif
