/* collect: reads records into drawable series, one per (key, field), in memory bounded by the
 * picture: max_keys keys × fields × cap buckets (see ds.h), plus at most IOT_PLOT_MAX_ALERTS
 * alert marks per series. Understands plain telemetry, iot-anomaly output (anomaly.isAnomaly or
 * anomaly.FIELD.isAnomaly flags the sample), iot-anomaly --alerts records (alertType, field,
 * timestamp: a mark on that key's panels) and iot-window rows (min_F/avg_F/max_F: a band and
 * its average, placed at windowStart when the time field is absent), and iot-window --series
 * records (a time array and an array per field, null elements breaking the line). */
#ifndef IOT_PLOT_COLLECT_H
#define IOT_PLOT_COLLECT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/keytab.h"
#include "ds.h"
#include "hist.h"

#define IOT_PLOT_MAX_ALERTS 256

struct iot_plot_cfg {
    const char *key;           /* -k, e.g. "deviceId" */
    const char *time_field;
    int time_unit;
    char **fields;             /* numeric fields to draw */
    int nfields;
    size_t max_keys;           /* 0 = unlimited */
    size_t cap;                /* buckets per series (2 per pixel column is plenty) */
    size_t max_line;
    bool hist;                 /* also a histogram per field, every key pooled */
    int hist_bins;             /* at most this many bins (the final count is between half and all) */
};

struct iot_plot_alert { int64_t t; char type[24]; bool critical; };   /* severity "critical" */

struct iot_plot_series {
    bool on;                   /* something arrived (ds allocated) */
    bool band;                 /* iot-window rows: lo/hi hold min_F/max_F */
    struct iot_ds ds, lo, hi;
    struct iot_plot_alert *alerts;
    int nalerts;
};

struct iot_plot_key {
    struct iot_plot_series *s;   /* nfields of them */
    int64_t records, last_t;
    /* the latest iot-predict score of the key: rul (seconds), failureProbability */
    double rul, prob;
    int64_t rul_t, prob_t;
    bool has_rul, has_prob;
};

struct iot_plot_data {
    struct iot_plot_cfg cfg;
    struct iot_keytab *keys;     /* → struct iot_plot_key */
    /* records drawn, samples, skipped values and records, alert records and marks not kept, flags */
    int64_t records, values, nonnumeric, nodata, keys_dropped, alerts, alerts_dropped, flags;
    int64_t tmin, tmax;          /* over every drawn sample and alert; tmin > tmax when none */
    struct iot_hist *hist;       /* nfields of them with cfg.hist, else NULL */
};

/* A key's state for a fleet view: critical (an alert of severity critical), warning (another
 * alert, or an anomaly), stale (nothing in
 * the last `stale` ns before the newest time of the whole input), ok. Ranks sort worst first. */
enum iot_plot_status { IOT_ST_CRIT = 0, IOT_ST_WARN, IOT_ST_STALE, IOT_ST_OK };
enum iot_plot_status iot_plot_status(const struct iot_plot_data *d, const struct iot_plot_key *k, int64_t stale);
/* Keys that have something to draw, sorted by status (if stale >= 0) and then key bytes.
 * Caller frees the array. */
struct iot_plot_key **iot_plot_keys(const struct iot_plot_data *d, int64_t stale, size_t *n);

/* Reads paths (n == 0: stdin) to the end (or until SIGINT/SIGTERM). Bad JSON and bad or missing
 * times of records that carry something to draw are rejected through iot_reject; non-numeric
 * values are counted in nonnumeric and skipped. The caller says the counts (iot_plot_say). */
void iot_plot_read(struct iot_plot_data *d, const struct iot_plot_cfg *cfg, char **paths, int n);
/* Warns on stderr about every skipped or dropped thing, and adds them to --stats. */
void iot_plot_say(const struct iot_plot_data *d);
void iot_plot_free(struct iot_plot_data *d);
#endif
