/* sim_impl: the simulator's private state, shared by lib/sim*.c only. */
#ifndef IOT_SIM_IMPL_H
#define IOT_SIM_IMPL_H
#include <math.h>
#include "sim.h"

#define KEY_DEV_BITS 24
#define KEY_TIME_MAX ((INT64_C(1) << 40) - 1)

/* Pre-rendered pieces of a type's records, so that a line is mostly memcpy. */
struct iot_sim_frag {
    char head[96]; unsigned head_len;   /* {"deviceId":"cnc-          (CSV: nothing) */
    char mid[128]; unsigned mid_len;    /* ","deviceType":"CNC-Machine","timestamp":"  (CSV: ,CNC-Machine,) */
    char key[IOT_SIM_MAX_SENSORS][64];  /* ,"temperature":            (CSV: ,) */
    unsigned key_len[IOT_SIM_MAX_SENSORS];
    int col[IOT_SIM_MAX_SENSORS];       /* CSV column of each sensor */
};

struct iot_sim {
    struct iot_sim_config c;
    struct iot_sim_fleet *f;
    struct iot_sim_dev *dev;
    uint64_t *heap, *heap_mem;        /* key = (ms since base) << 24 | device */
    int64_t n, base_ms, end, emitted;
    double cum[IOT_SIM_MAX_TYPES];    /* cumulative shares, normalised */
    double inv_gamma[IOT_SIM_MAX_TYPES];
    double peak_cos[IOT_SIM_MAX_TYPES][IOT_SIM_MAX_SENSORS], peak_sin[IOT_SIM_MAX_TYPES][IOT_SIM_MAX_SENSORS];
    struct iot_sim_frag frag[IOT_SIM_MAX_TYPES];
    int ncols;                        /* CSV: sensor columns (union over types) */
    const char *cols[IOT_SIM_MAX_TYPES * IOT_SIM_MAX_SENSORS];
    struct iot_sim_ctl *ctl;          /* NULL unless --commands */
};

/* A device's state under commands (iot-sim --commands); allocated only when commands are read,
 * so a run without them is unchanged. The load approaches its target with the start-up time
 * constant: sensor values move between idle and running values as at a start or stop. */
struct iot_sim_ctl {
    double load0, target;       /* load at t_cmd, and where it goes */
    double setpoint;            /* the target while running (start restores it) */
    int64_t t_cmd;
    int64_t interval;           /* setProperties interval; 0 = the configured one */
    int64_t reboot_until;       /* silent until then */
    bool active, stopped;
    char *props;                /* reported properties as JSON members ",\"k\":v", or NULL */
    size_t plen;
    void *reported;             /* json_t object of the reported properties */
};
#define IOT_SIM_TAU_S 1200.0    /* temperature settles with τ ≈ 20 min (motor thermal time constant) */

static inline double iot_sim_ctl_load(const struct iot_sim_ctl *c, int64_t t)
{
    if (!c->active) return 1;
    double dt = (double)(t - c->t_cmd) / 1e9;
    if (dt <= 0) return c->load0;
    return c->target + (c->load0 - c->target) * exp(-dt / IOT_SIM_TAU_S);
}

/* Maintenance now: wear reset (a new life from t), or the repair of a failed device ends. */
void iot_sim_maintain(struct iot_sim *s, int64_t i, int64_t t);

/* Renders the per-type fragments (after the config and fleet are set). */
void iot_sim_frag_init(struct iot_sim *s);
#endif
