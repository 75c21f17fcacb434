/* sim: device physics, wear to failure, anomalies, and the event-time scheduler.
 * Degradation: with τ = (t − t_P)/(t_F − t_P), y = y0 · g^(τ^1.5) (a power-law degradation path y0·(y_F/y0)^(τ^p), p = 1.5),
 * temperature lagging by a fraction of the lead time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "sim.h"
#include "sim_impl.h"
#include <jansson.h>
#include "core/time.h"

#define MS IOT_NS_PER_MS
#define DAY_NS (86400 * IOT_NS_PER_S)
#define STARTUP_TAU_S IOT_SIM_TAU_S
#define WEAR_P 1.5

void iot_sim_config_default(struct iot_sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->devices = 10;
    c->start = iot_days_from_civil(2026, 1, 1) * DAY_NS;
    c->duration = 0;
    c->count = -1;
    c->interval = IOT_NS_PER_S;
    c->jitter = 0.05;
}

static inline double unit01(uint64_t h) { return (double)(h >> 11) * 0x1.0p-53; }

/* Approximately N(0,1): Irwin–Hall sum of four 16-bit uniforms, rescaled (one draw, no libm). */
static inline double fast_normal(struct iot_rng *r)
{
    uint64_t x = iot_rng_u64(r);
    double s = (double)((x & 0xffff) + ((x >> 16) & 0xffff) + ((x >> 32) & 0xffff) + (x >> 48));
    return (s * (1.0 / 65536.0) - 2.0) * 1.7320508075688772;
}

/* A device's type from its index alone (Weyl sequence against the cumulative shares), so
 * shares hold closely even for small fleets and never depend on the fleet's size. */
static int type_of(const struct iot_sim *s, int64_t i)
{
    double u = fmod(((double)i + 0.5) * 0.6180339887498949, 1.0);
    for (int k = 0; k < s->f->ntypes - 1; k++)
        if (u < s->cum[k]) return k;
    return s->f->ntypes - 1;
}

static int pick_mode(const struct iot_sim_type *t, double u)
{
    double tot = 0, acc = 0;
    for (int k = 0; k < t->nmodes; k++) tot += t->m[k].weight;
    for (int k = 0; k < t->nmodes; k++) {
        acc += t->m[k].weight / tot;
        if (u < acc) return k;
    }
    return t->nmodes - 1;
}

static int64_t uniform_ns(struct iot_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(iot_rng_uniform(r) * (double)(hi - lo));
}

/* A new life from time t: draws time to failure, failure mode, lead time, offsets. */
static void new_life(struct iot_sim *s, struct iot_sim_dev *d, int64_t t, double residual)
{
    const struct iot_sim_type *ty = &s->f->t[d->type];
    double scale = ty->weibull_scale;
    if (s->c.mtbf > 0) scale = (double)s->c.mtbf / 1e9 * s->inv_gamma[d->type];
    double life = iot_rng_weibull(&d->rng, ty->weibull_shape, scale);
    double u = iot_rng_uniform(&d->rng);
    if (residual > 0) {             /* first life: part of it already behind us */
        d->installed = t - (int64_t)(life * (1 - u) * 1e9);
        d->installed -= d->installed % MS;
        life *= u;
    }
    if (life > 1e9) life = 1e9;     /* ~30 years: never, in practice */
    d->t_f = t + (int64_t)(life * 1e9);
    d->mode = (uint8_t)pick_mode(ty, iot_rng_uniform(&d->rng));
    const struct iot_sim_mode *m = &ty->m[d->mode];
    int64_t lmin = s->c.lead_min > 0 ? s->c.lead_min : m->lead_min;
    int64_t lmax = s->c.lead_max > 0 ? s->c.lead_max : m->lead_max;
    d->t_p = d->t_f - uniform_ns(&d->rng, lmin, lmax);
    for (int k = 0; k < ty->nsensors; k++)
        d->offset[k] = (float)(ty->s[k].offset * fast_normal(&d->rng));
}

/* 4-ary min-heap: half the depth of a binary one, and a node's four children share a cache
 * line (the array is offset so that groups 4j+1..4j+4 are 32-byte aligned). */
static void sift_down(uint64_t *h, int64_t n, int64_t j, uint64_t key)
{
    for (;;) {
        int64_t c = 4 * j + 1;
        if (c >= n) break;
        int64_t m = c, e = c + 4 < n ? c + 4 : n;
        for (int64_t q = c + 1; q < e; q++)
            if (h[q] < h[m]) m = q;
        if (h[m] >= key) break;
        h[j] = h[m];
        j = m;
    }
    h[j] = key;
}

struct iot_sim *iot_sim_new(const struct iot_sim_config *c, struct iot_sim_fleet *f,
                            char *err, size_t errlen)
{
    if (c->devices < 1 || c->devices > IOT_SIM_MAX_DEVICES) {
        snprintf(err, errlen, "--devices must be within 1..%d", IOT_SIM_MAX_DEVICES);
        iot_sim_fleet_free(f);
        return NULL;
    }
    struct iot_sim *s = iot_xcalloc(1, sizeof *s);
    s->c = *c;
    s->f = f;
    s->n = c->devices;
    double tot = 0, acc = 0;
    for (int k = 0; k < f->ntypes; k++) tot += f->t[k].share;
    for (int k = 0; k < f->ntypes; k++) {
        acc += f->t[k].share / tot;
        s->cum[k] = acc;
        s->inv_gamma[k] = 1.0 / tgamma(1 + 1 / f->t[k].weibull_shape);
        for (int j = 0; j < f->t[k].nsensors; j++) {
            double a = f->t[k].s[j].daily_peak * (6.283185307179586 / 24);
            s->peak_cos[k][j] = cos(a);
            s->peak_sin[k][j] = sin(a);
        }
    }
    int64_t start = iot_floordiv(c->start + MS - 1, MS) * MS;
    s->c.start = start;
    s->base_ms = iot_floordiv(start, MS) - 1;
    s->end = c->duration > 0 ? start + c->duration : INT64_MAX;
    s->dev = iot_xcalloc((size_t)s->n, sizeof *s->dev);
    size_t hbytes = (((size_t)s->n + 8) * sizeof *s->heap + 127) / 64 * 64;  /* a multiple of 64 */
    s->heap_mem = aligned_alloc(64, hbytes);
    if (!s->heap_mem) {
        snprintf(err, errlen, "out of memory for %lld devices", (long long)s->n);
        free(s->dev);
        iot_sim_fleet_free(f);
        free(s);
        return NULL;
    }
    s->heap = s->heap_mem + 3;
    int64_t ims = c->interval / MS;
    for (int64_t i = 0; i < s->n; i++) {
        struct iot_sim_dev *d = &s->dev[i];
        iot_rng_seed(&d->rng, c->seed, (uint64_t)i);
        d->type = (uint8_t)type_of(s, i);
        d->t0 = start + (int64_t)iot_rng_below(&d->rng, (uint64_t)(ims > 0 ? ims : 1)) * MS;
        d->t = d->t0;
        new_life(s, d, start, 1);
        /* last service within the half year before the start (not before installation) */
        int64_t lm = start - (int64_t)(iot_sim_hash(c->seed, (uint64_t)i, 0, 7) % 180) * DAY_NS;
        lm = iot_floordiv(lm, DAY_NS) * DAY_NS;
        d->last_maint = lm > d->installed ? lm : d->installed;
        s->heap[i] = ((uint64_t)(d->t / MS - s->base_ms) << KEY_DEV_BITS) | (uint64_t)i;
    }
    iot_sim_frag_init(s);
    for (int64_t i = (s->n - 2) / 4; i >= 0; i--) sift_down(s->heap, s->n, i, s->heap[i]);
    return s;
}

void iot_sim_free(struct iot_sim *s)
{
    if (!s) return;
    iot_sim_fleet_free(s->f);
    if (s->ctl)
        for (int64_t i = 0; i < s->n; i++) {
            free(s->ctl[i].props);
            json_decref(s->ctl[i].reported);
        }
    free(s->ctl);
    free(s->dev);
    free(s->heap_mem);
    free(s);
}

const struct iot_sim_dev *iot_sim_device(const struct iot_sim *s, int64_t i) { return &s->dev[i]; }
const struct iot_sim_fleet *iot_sim_fleet_of(const struct iot_sim *s) { return s->f; }
const struct iot_sim_config *iot_sim_config_of(const struct iot_sim *s) { return &s->c; }

/* Where t falls in the day and week, computed once per sample. */
struct clock { double run, c, s; };          /* running fraction; cos, sin of the day angle */

/* Running fraction of a 24x5 machine (Mon–Fri running, UTC): approaches 1 after a start and
 * 0 after a stop with the start-up time constant. */
static void clock_at(struct clock *ck, const struct iot_sim_type *ty, int64_t t)
{
    int64_t day = t / DAY_NS, r = t % DAY_NS;
    if (r < 0) { day--; r += DAY_NS; }
    double tod = (double)r / 1e9;
    sincos(tod * (6.283185307179586 / 86400), &ck->s, &ck->c);
    ck->run = 1;
    if (ty->schedule != IOT_SIM_24X5) return;
    int dow = (int)((day + 4) % 7);                    /* 0 = Sunday; 1970-01-01 was a Thursday */
    if (dow < 0) dow += 7;
    if (dow >= 1 && dow <= 5) {
        double dt = (dow - 1) * 86400.0 + tod;
        ck->run = dt > 20 * STARTUP_TAU_S ? 1 : 1 - exp(-dt / STARTUP_TAU_S);
    } else {
        double dt = (dow == 6 ? 0 : 86400.0) + tod;
        ck->run = dt > 20 * STARTUP_TAU_S ? 0 : exp(-dt / STARTUP_TAU_S);
    }
}

static inline double wear_factor(const struct iot_sim_dev *d, const struct iot_sim_mode *m, int k,
                                 int64_t t)
{
    double g = m->gain[k];
    if (g == 1 || t <= d->t_p) return 1;
    double lead = (double)(d->t_f - d->t_p), lag = m->lag[k] * lead;
    double tau = ((double)(t - d->t_p) - lag) / (lead - lag);
    if (tau <= 0) return 1;
    if (tau > 1) tau = 1;
    return exp(log(g) * pow(tau, WEAR_P));
}

/* Noise-free value of sensor k. */
static double physics(const struct iot_sim *s, const struct iot_sim_dev *d, int k, int64_t t,
                      const struct clock *ck)
{
    const struct iot_sim_type *ty = &s->f->t[d->type];
    const struct iot_sim_sensor *se = &ty->s[k];
    double v = se->baseline + d->offset[k];
    if (se->daily != 0)          /* cos(a − peak) = cos a cos peak + sin a sin peak */
        v += se->daily * (ck->c * s->peak_cos[d->type][k] + ck->s * s->peak_sin[d->type][k]);
    if (se->saw != 0) {
        double x = (double)(t - s->c.start) / 1e9 / se->saw_period + (double)(d - s->dev) * 0.37;
        v += se->saw * (2 * (x - floor(x)) - 1);
    }
    v *= wear_factor(d, &ty->m[d->mode], k, t);
    if (ck->run != 1) {          /* stopped, starting, or a commanded load (may exceed 1) */
        double idle = isnan(se->idle) ? se->baseline : se->idle;
        v = idle + (v - idle) * ck->run;
    }
    return v;
}

double iot_sim_expected(const struct iot_sim *s, int64_t dev, int k, int64_t t)
{
    const struct iot_sim_dev *d = &s->dev[dev];
    struct clock ck;
    clock_at(&ck, &s->f->t[d->type], t);
    return physics(s, d, k, t, &ck);
}

static void start_anomaly(struct iot_sim *s, struct iot_sim_dev *d, const struct iot_sim_type *ty,
                          int64_t i)
{
    uint64_t h = iot_sim_hash(s->c.seed, (uint64_t)i, d->seq, 2);
    uint64_t h2 = iot_sim_hash(s->c.seed, (uint64_t)i, d->seq, 3);
    unsigned w = (unsigned)(h % 100);
    /* spike 40 %, dip 20 %, level shift 15 %, stuck 15 %, dropout 10 % */
    int kind = w < 40 ? IOT_SIM_AN_SPIKE : w < 60 ? IOT_SIM_AN_DIP : w < 75 ? IOT_SIM_AN_SHIFT
             : w < 90 ? IOT_SIM_AN_STUCK : IOT_SIM_AN_DROPOUT;
    int k = (int)((h >> 8) % (uint64_t)ty->nsensors);
    const struct iot_sim_sensor *se = &ty->s[k];
    double scale = fmax(fabs(se->baseline) * 0.25, 6 * se->noise);
    if (scale == 0) scale = 1;
    double u = unit01(h2);
    int len = 1;
    float mag = 0;
    switch (kind) {
    case IOT_SIM_AN_SPIKE: mag = (float)(scale * (1 + u)); break;
    case IOT_SIM_AN_DIP: mag = (float)(-scale * (1 + u)); break;
    case IOT_SIM_AN_SHIFT:
        mag = (float)(scale * (0.4 + 0.4 * u) * ((h >> 20) & 1 ? 1 : -1));
        len = 30 + (int)((h >> 24) % 271);
        break;
    case IOT_SIM_AN_STUCK: len = 20 + (int)((h >> 24) % 181); mag = NAN; break;
    case IOT_SIM_AN_DROPOUT: len = 1 + (int)((h >> 24) % 30); break;
    }
    d->an_kind = (uint8_t)kind;
    d->an_sensor = (uint8_t)k;
    d->an_left = (uint16_t)len;
    d->an_mag = mag;
}

static inline int64_t round_fixed(double v, int dec)
{
    static const double p10[] = { 1, 10, 100, 1000, 10000 };
    double x = v * p10[dec];
    if (x > 9e15) x = 9e15;
    if (x < -9e15) x = -9e15;
    return (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
}

static void telemetry(struct iot_sim *s, struct iot_sim_dev *d, int64_t i, struct iot_sim_rec *r)
{
    const struct iot_sim_type *ty = &s->f->t[d->type];
    int64_t t = d->t;
    struct clock ck;
    clock_at(&ck, ty, t);
    if (s->ctl) ck.run *= iot_sim_ctl_load(&s->ctl[i], t);
    double run = ck.run, nscale = run < 1 ? 0.3 + 0.7 * run : 1;
    r->msg = IOT_SIM_TELEMETRY;
    r->high = false;
    r->anomaly = IOT_SIM_AN_NONE;
    r->an_sensor = -1;
    r->rul = (d->t_f - t) / IOT_NS_PER_S;
    if (s->c.anomalies > 0 && d->an_left == 0
        && unit01(iot_sim_hash(s->c.seed, (uint64_t)i, d->seq, 1)) < s->c.anomalies)
        start_anomaly(s, d, ty, i);
    for (int k = 0; k < ty->nsensors; k++) {
        const struct iot_sim_sensor *se = &ty->s[k];
        double v = physics(s, d, k, t, &ck) + se->noise * nscale * fast_normal(&d->rng);
        r->missing[k] = 0;
        if (d->an_left && d->an_sensor == k) {
            switch (d->an_kind) {
            case IOT_SIM_AN_SPIKE: case IOT_SIM_AN_DIP: case IOT_SIM_AN_SHIFT: v += d->an_mag; break;
            case IOT_SIM_AN_STUCK:
                if (isnan(d->an_mag)) d->an_mag = (float)v;
                v = d->an_mag;
                break;
            case IOT_SIM_AN_DROPOUT: r->missing[k] = 1; break;
            }
            r->anomaly = d->an_kind;
            r->an_sensor = k;
        }
        r->value[k] = round_fixed(v, se->decimals);
        if (!r->missing[k]) {
            double rv = (double)r->value[k] / (se->decimals == 0 ? 1 : se->decimals == 1 ? 10
                        : se->decimals == 2 ? 100 : se->decimals == 3 ? 1000 : 10000);
            if (rv > se->hi || (rv < se->lo && run > 0.95)) r->high = true;
        }
    }
    if (d->an_left) d->an_left--;
}

/* One slot of device i: what happens at d->t. */
static void step(struct iot_sim *s, int64_t i, struct iot_sim_rec *r)
{
    struct iot_sim_dev *d = &s->dev[i];
    const struct iot_sim_type *ty = &s->f->t[d->type];
    r->dev = (uint32_t)i;
    r->seq = d->seq;
    r->type = ty;
    r->t = d->t;
    r->mode = d->mode;
    if (s->ctl && s->ctl[i].reboot_until > d->t) {
        r->msg = IOT_SIM_SKIP;          /* rebooting: silent */
    } else if (d->down_until) {
        if (d->t < d->down_until) {
            r->msg = IOT_SIM_SKIP;
        } else {                      /* repaired: maintenance record, fresh wear state */
            r->msg = IOT_SIM_MAINTENANCE;
            r->high = false;
            r->downtime = d->t - d->t_f;
            d->down_until = 0;
            d->last_maint = d->t;
            d->an_left = 0;
            new_life(s, d, d->t, 0);
        }
    } else if (d->t >= d->t_f) {
        r->msg = IOT_SIM_FAILURE;
        r->high = true;
        r->rul = 0;
        d->down_until = d->t + uniform_ns(&d->rng, ty->repair_min, ty->repair_max);
        if (d->down_until <= d->t) d->down_until = d->t + 1;
        d->an_left = 0;
    } else {
        telemetry(s, d, i, r);
    }
    /* next slot: t0 + k * interval + jitter, ms-aligned */
    d->seq++;
    int64_t iv = s->ctl && s->ctl[i].interval ? s->ctl[i].interval : s->c.interval;
    int64_t nominal = iv == s->c.interval ? d->t0 + (int64_t)d->seq * iv : r->t + iv;
    int64_t jit = (int64_t)(iot_rng_uniform(&d->rng) * s->c.jitter * (double)iv);
    int64_t nt = nominal + jit;
    nt = iot_floordiv(nt, MS) * MS;
    d->t = nt > r->t ? nt : r->t + MS;
}

void iot_sim_maintain(struct iot_sim *s, int64_t i, int64_t t)
{
    struct iot_sim_dev *d = &s->dev[i];
    if (d->down_until) {
        d->down_until = d->t;           /* repaired at its next slot (a maintenance record) */
        return;
    }
    d->last_maint = t;
    d->an_left = 0;
    new_life(s, d, t, 0);
}

int64_t iot_sim_peek_time(const struct iot_sim *s)
{
    return s->dev[s->heap[0] & ((UINT64_C(1) << KEY_DEV_BITS) - 1)].t;
}

bool iot_sim_next(struct iot_sim *s, struct iot_sim_rec *r)
{
    for (;;) {
        if (s->c.count >= 0 && s->emitted >= s->c.count) return false;
        uint64_t top = s->heap[0];
        int64_t i = (int64_t)(top & ((UINT64_C(1) << KEY_DEV_BITS) - 1));
        struct iot_sim_dev *d = &s->dev[i];
        if (d->t >= s->end) return false;
        step(s, i, r);
        int64_t rel = d->t / MS - s->base_ms;
        if (rel > KEY_TIME_MAX) return false;
        sift_down(s->heap, s->n, 0, ((uint64_t)rel << KEY_DEV_BITS) | (uint64_t)i);
        /* the next device's state is a cache miss in a large fleet: start loading it now,
         * while this record is formatted and written */
        const char *nx = (const char *)&s->dev[s->heap[0] & ((UINT64_C(1) << KEY_DEV_BITS) - 1)];
        __builtin_prefetch(nx);
        __builtin_prefetch(nx + 64);
        __builtin_prefetch(nx + 128);
        if (r->msg == IOT_SIM_SKIP) continue;
        if (r->msg != IOT_SIM_TELEMETRY && !s->c.events) continue;
        s->emitted++;
        return true;
    }
}
