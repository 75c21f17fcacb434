/* board: what a live dashboard knows about a stream — per device the record count, first and
 * last event time, latest values and a short history of each field, and the active alarms.
 * Alarms come from iot-anomaly: alert records (alertType, severity, field) and flagged samples
 * (anomaly.isAnomaly, anomaly.FIELD.isAnomaly). An alert record with "event":"cleared" (or
 * "state":"clear") clears its alarm; otherwise an alarm stays active until `hold` of event time
 * has passed without it. Memory: max_keys devices × fields × IOT_BOARD_HIST values, plus
 * IOT_BOARD_MAX_ALARMS alarms (the oldest is dropped and counted beyond). */
#ifndef IOT_TOP_BOARD_H
#define IOT_TOP_BOARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/diag.h"
#include "core/keytab.h"

#define IOT_BOARD_HIST 32
#define IOT_BOARD_MAXF 8
#define IOT_BOARD_MAX_ALARMS 256

struct iot_board_cfg {
    const char *key, *time_field;
    int time_unit;
    char **fields;
    int nfields;               /* <= IOT_BOARD_MAXF */
    size_t max_keys;
    int64_t offline;           /* ns of event time without records before a device is offline */
    int64_t hold;              /* ns an alarm stays active without a repeat */
};

struct iot_dev {
    int64_t n, first_t, last_t;
    double last[IOT_BOARD_MAXF];
    float hist[IOT_BOARD_MAXF][IOT_BOARD_HIST];
    uint8_t hpos[IOT_BOARD_MAXF], hlen[IOT_BOARD_MAXF];
    int alarms;                /* active alarms (kept by iot_board_expire) */
};

/* Severity ranks, worst first. */
enum { IOT_SEV_CRIT = 0, IOT_SEV_MAJOR, IOT_SEV_WARN, IOT_SEV_INFO };
struct iot_alarm {
    struct iot_dev *dev;
    char type[24], field[24];
    int sev;
    int64_t since, last_t, count;
};

struct iot_board {
    struct iot_board_cfg cfg;
    struct iot_keytab *devs;
    int64_t records, nonnumeric, keys_dropped, alarms_dropped;
    int64_t min_t, max_t;      /* over all records; min_t > max_t before the first */
    struct iot_alarm alarms[IOT_BOARD_MAX_ALARMS];
    int nalarms;
    void *scan;                /* private: compiled fields */
};

void iot_board_init(struct iot_board *b, const struct iot_board_cfg *cfg);
/* One input line: bad JSON or a bad time is rejected (iot_reject); returns 0 or -1. */
int iot_board_line(struct iot_board *b, const char *line, size_t len, const struct iot_src *src);
/* Drops alarms older than hold and recounts each device's active alarms. */
void iot_board_expire(struct iot_board *b);
bool iot_board_online(const struct iot_board *b, const struct iot_dev *d);
/* Records per second of event time for a device (0 with one record). */
double iot_board_rate(const struct iot_dev *d);
/* Last values of field f, oldest first, into out (IOT_BOARD_HIST); returns the count. */
int iot_board_hist(const struct iot_dev *d, int f, float *out);
void iot_board_free(struct iot_board *b);
#endif
