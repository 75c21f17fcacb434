/* sim: fleet simulator. Device types (sensors with baseline, noise, daily cycle, limits; a
 * wear-to-failure model), per-device state, an event-time scheduler, injected anomalies and
 * delivery faults, record formatting (NDJSON / CSV) and the asset registry.
 * Vibration zones follow ISO 10816-3. Every random draw of device i comes from its own stream
 * (iot_rng_seed(seed, i)) or from a hash of (seed, i, sample number), so a device's records do
 * not depend on how many other devices are simulated, nor on pacing. */
#ifndef IOT_SIM_H
#define IOT_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/rng.h"

#define IOT_SIM_MAX_SENSORS 8
#define IOT_SIM_MAX_MODES   4
#define IOT_SIM_MAX_TYPES   32
#define IOT_SIM_MAX_MODELS  4
#define IOT_SIM_MAX_DEVICES 16000000   /* device index and time share one 64-bit heap key */

struct iot_sim_sensor {
    char *name, *unit;
    double baseline, noise;     /* noise: standard deviation per sample */
    double daily, daily_peak;   /* daily cycle amplitude, hour (UTC) of its peak */
    double saw, saw_period;     /* load/unload sawtooth amplitude and period (s); 0 = none */
    double idle;                /* value approached while the machine is stopped */
    double offset;              /* sd of a per-device installation offset */
    double lo, hi;              /* limits (beyond → priority "high"); NAN = none */
    int decimals;               /* printed fraction digits, 0..4 */
};

struct iot_sim_mode {           /* a failure mode */
    char *name;
    double weight;
    int64_t lead_min, lead_max; /* P-F interval: degradation starts this long before failure (ns) */
    double gain[IOT_SIM_MAX_SENSORS];   /* value factor reached at failure (1 = unaffected) */
    double lag[IOT_SIM_MAX_SENSORS];    /* fraction of the lead time a sensor lags (temperature) */
};

enum iot_sim_schedule { IOT_SIM_24X7 = 0, IOT_SIM_24X5 = 1 };

struct iot_sim_type {
    char *name, *prefix;        /* "CNC-Machine", "cnc" (device ids: prefix-000042) */
    double share;
    int nsensors, nmodes, nmodels, schedule;
    struct iot_sim_sensor s[IOT_SIM_MAX_SENSORS];
    struct iot_sim_mode m[IOT_SIM_MAX_MODES];
    char *models[IOT_SIM_MAX_MODELS];
    double weibull_shape;       /* time to failure ~ Weibull(shape, scale) */
    double weibull_scale;       /* seconds */
    int64_t repair_min, repair_max;     /* downtime after a failure (ns) */
};

struct iot_sim_fleet { int ntypes; struct iot_sim_type t[IOT_SIM_MAX_TYPES]; };

/* Built-in types: CNC-Machine, Pump, Compressor, Conveyor (each share 1). Returns a fleet
 * the caller frees with iot_sim_fleet_free. */
struct iot_sim_fleet *iot_sim_fleet_builtin(void);
/* Reads a fleet file (JSON, see iot-sim(1)). Types named like a built-in start from the built-in
 * and override what the file gives. Returns NULL with a message in err (size errlen). */
struct iot_sim_fleet *iot_sim_fleet_load(const char *path, char *err, size_t errlen);
/* Applies "--types Name:share,Name:share": only the named types remain, in that order, with
 * those shares (a missing ":share" means 1). Returns 0, or -1 with a message in err. */
int iot_sim_fleet_select(struct iot_sim_fleet *f, const char *spec, char *err, size_t errlen);
void iot_sim_fleet_free(struct iot_sim_fleet *f);
const struct iot_sim_type *iot_sim_fleet_find(const struct iot_sim_fleet *f, const char *name);

/* Delivery faults: probabilities per telemetry record; late records are delayed by up to
 * late_max (uniform). */
struct iot_sim_faults { double late, dup, drop, malformed; int64_t late_max; };
/* Parses "late=0.01:30s,dup=0.001,drop=0.001,malformed=0.0001". Returns 0 or -1 + err. */
int iot_sim_faults_parse(const char *spec, struct iot_sim_faults *f, char *err, size_t errlen);

enum iot_sim_format { IOT_SIM_NDJSON = 0, IOT_SIM_CSV = 1 };

struct iot_sim_config {
    uint64_t seed;
    int64_t devices;
    int64_t start;              /* ns */
    int64_t duration;           /* ns; 0 = unbounded */
    int64_t count;              /* telemetry samples to simulate; -1 = unbounded */
    int64_t interval;           /* ns per device */
    double jitter;              /* fraction of the interval, 0..0.5 */
    double anomalies;           /* probability per sample that an anomaly episode starts */
    struct iot_sim_faults faults;
    int64_t mtbf;               /* if > 0: every type's mean time to failure (ns) */
    int64_t lead_min, lead_max; /* if > 0: every mode's P-F interval */
    bool events, truth;
    bool live;                  /* timestamps are the wall clock: no record is written before its time */
    int format;
};
void iot_sim_config_default(struct iot_sim_config *c);

/* Per-device state: about 130 bytes. */
struct iot_sim_dev {
    struct iot_rng rng;
    int64_t t;                  /* time of the current sample slot (ns, ms-aligned) */
    int64_t t0;                 /* phase: slot k is at t0 + k * interval + jitter */
    int64_t t_p, t_f;           /* degradation start, failure */
    int64_t down_until;         /* > 0 while failed (under repair) */
    int64_t installed, last_maint;
    uint32_t seq;               /* sample slots so far */
    uint8_t type, mode;
    uint8_t an_kind, an_sensor; /* active anomaly */
    uint16_t an_left;
    float an_mag;
    float offset[IOT_SIM_MAX_SENSORS];
};

enum iot_sim_anomaly { IOT_SIM_AN_NONE, IOT_SIM_AN_SPIKE, IOT_SIM_AN_DIP, IOT_SIM_AN_SHIFT,
                       IOT_SIM_AN_STUCK, IOT_SIM_AN_DROPOUT };
const char *iot_sim_anomaly_name(int kind);

enum iot_sim_msg { IOT_SIM_TELEMETRY, IOT_SIM_FAILURE, IOT_SIM_MAINTENANCE, IOT_SIM_SKIP };

/* One generated record, before formatting. */
struct iot_sim_rec {
    int msg;                    /* enum iot_sim_msg; SKIP = device down, nothing to write */
    uint32_t dev, seq;          /* device index, its sample slot number */
    const struct iot_sim_type *type;
    int64_t t;
    int64_t value[IOT_SIM_MAX_SENSORS];  /* value * 10^decimals, rounded */
    uint8_t missing[IOT_SIM_MAX_SENSORS];/* dropout: written as null */
    bool high;                  /* a sensor beyond its limit (or a failure) */
    int anomaly, an_sensor;
    int64_t rul;                /* seconds to the next failure */
    int mode;                   /* failure mode (failure / maintenance records) */
    int64_t downtime;           /* maintenance: ns the device was down */
};

struct iot_sim;

/* Builds the fleet's devices (all state allocated here, ~140 bytes each plus an 8-byte heap
 * entry). Takes ownership of f. Returns NULL with a message in err. */
struct iot_sim *iot_sim_new(const struct iot_sim_config *c, struct iot_sim_fleet *f,
                            char *err, size_t errlen);
void iot_sim_free(struct iot_sim *s);
const struct iot_sim_dev *iot_sim_device(const struct iot_sim *s, int64_t i);
const struct iot_sim_fleet *iot_sim_fleet_of(const struct iot_sim *s);
const struct iot_sim_config *iot_sim_config_of(const struct iot_sim *s);

/* Produces the next record in event-time order (ties: lower device index first). Returns
 * false when the duration or count is used up. */
bool iot_sim_next(struct iot_sim *s, struct iot_sim_rec *r);

/* Physics of one sensor of one device at time t (no noise, no anomaly): for tests and tools. */
double iot_sim_expected(const struct iot_sim *s, int64_t dev, int sensor, int64_t t);

/* Formatting into buf (capacity >= IOT_SIM_LINE_MAX), without the newline. Returns length. */
#define IOT_SIM_LINE_MAX 2048
size_t iot_sim_format(const struct iot_sim *s, const struct iot_sim_rec *r, char *buf);
/* CSV header line (columns: union of all types' sensors). */
size_t iot_sim_csv_header(const struct iot_sim *s, char *buf);
/* Device id "prefix-000042" into buf (>= 64 bytes). Returns length. */
size_t iot_sim_device_id(const struct iot_sim *s, int64_t dev, char *buf);
/* Breaks a formatted line in one of several ways (chosen by h) so that it is no longer a valid
 * record of the format: truncation, NaN, invalid UTF-8, a control character, a missing quote,
 * a trailing brace. Returns the new length (buf capacity IOT_SIM_LINE_MAX). */
size_t iot_sim_malform(int format, char *buf, size_t len, uint64_t h);
/* Asset registry line for device i. */
size_t iot_sim_asset(const struct iot_sim *s, int64_t dev, char *buf);
size_t iot_sim_asset_header(char *buf);

/* RFC 3339 UTC with milliseconds (as iot_time_fmt), fast for increasing times. */
size_t iot_sim_fmt_time(char *buf, int64_t ns);

/* Counter-based hash: deterministic draws that consume no stream state. */
uint64_t iot_sim_hash(uint64_t seed, uint64_t dev, uint64_t seq, uint64_t salt);

/* Event time of the next sample slot (the record iot_sim_next will consider first). */
int64_t iot_sim_peek_time(const struct iot_sim *s);

/* Commands (--commands): NDJSON {"deviceId", "command", "commandId"?, "timestamp"?, ...} read
 * without blocking from a file (followed as it grows), a FIFO or standard input. A command
 * with a timestamp waits for that event time; one without applies at once. Kinds: setpoint and
 * throttle ("value" 0..1.5 of the nominal load), stop, start, maintenance (alias
 * reset-maintenance), setProperties ("properties" object; "interval" in seconds changes the
 * sample interval), reboot (silent for 10 s). Each gets a commandAck record: completed, or
 * rejected with a reason (unknown device or command, bad arguments, invalid JSON). */
struct iot_sim_cmds;
/* Opens path ("-" = standard input). Cannot open: message and exit 66. */
struct iot_sim_cmds *iot_sim_cmds_open(const char *path);
/* Reads what has arrived (never blocks); commands without a time are dated now. */
void iot_sim_cmds_poll(struct iot_sim_cmds *c, int64_t now);
/* The next command due by event time upto, applied to s; its ack into buf (capacity
 * IOT_SIM_LINE_MAX), its event time in *t. Returns the ack length, 0 when none is due. */
size_t iot_sim_cmds_apply(struct iot_sim_cmds *c, struct iot_sim *s, int64_t upto, char *buf, int64_t *t);
/* Telemetry of a commanded device: appends ,"setpoint":X,"state":"running"|"stopped" and its
 * reported properties before the closing brace. Returns the new length. */
size_t iot_sim_cmds_annotate(const struct iot_sim *s, uint32_t dev, char *buf, size_t len);
/* After the last record: commands still pending are rejected by iot_sim_cmds_apply. */
void iot_sim_cmds_end(struct iot_sim_cmds *c);
void iot_sim_cmds_free(struct iot_sim_cmds *c);

/* The whole run: writes records (with delivery faults and optional pacing) to out.
 * rate > 0: records per wall second; speed > 0: event seconds per wall second.
 * cmds: NULL, or commands to obey (their acks are written in event-time order). */
struct iot_out;
void iot_sim_run(struct iot_sim *s, struct iot_out *out, double rate, double speed, struct iot_sim_cmds *cmds);
/* Writes the asset registry (NDJSON or CSV per the config's format) to out. */
void iot_sim_write_assets(struct iot_sim *s, struct iot_out *out);
#endif
