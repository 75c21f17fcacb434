/* sim_impl: the simulator's private state, shared by lib/sim*.c only. */
#ifndef IOT_SIM_IMPL_H
#define IOT_SIM_IMPL_H
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
};

/* Renders the per-type fragments (after the config and fleet are set). */
void iot_sim_frag_init(struct iot_sim *s);
#endif
