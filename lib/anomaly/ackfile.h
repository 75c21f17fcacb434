/* ackfile: acknowledgements from a file that another process appends to (iot-anomaly --acks):
 * JSON Lines records with the key fields, "alarm" (the alarm name) and a time, the same
 * records as acknowledgements on the input ("messageType":"ack" optional here). The file is
 * followed as it grows: each poll reads the complete lines appended since the last one. Acks
 * are queued by their time and taken in event-time order, so a replay gives the same result
 * as a live run. Bad lines are rejected through core/diag (kind "bad ack"). */
#ifndef IOT_ACKFILE_H
#define IOT_ACKFILE_H
#include <stddef.h>
#include <stdint.h>

struct iot_acks;

/* Opens path (cannot: message, exit 66). keys: the -k fields (nkeys, 0 for none). */
struct iot_acks *iot_acks_open(const char *path, char *const *keys, int nkeys, const char *time_field,
                               int time_unit);
/* Reads the complete lines appended since the last call and queues their acks. */
void iot_acks_poll(struct iot_acks *q);
/* Takes the earliest queued ack with time <= upto (ties in file order): 1 with its key bytes
 * (iot_key_build), alarm name and time, valid until the next call; 0 if there is none. */
int iot_acks_pop(struct iot_acks *q, int64_t upto, const char **key, size_t *klen,
                 const char **alarm, int64_t *ts);
void iot_acks_close(struct iot_acks *q);
#endif
