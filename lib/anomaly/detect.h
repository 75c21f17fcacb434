/* detect: streaming anomaly detectors, one small state per series (key × field).
 * Methods: auto (surprise → anomaly likelihood: Ahmad, Lavin, Purdy & Agha, "Unsupervised
 * real-time anomaly detection for streaming data", Neurocomputing 262, 2017; judged on the
 * Numenta Anomaly Benchmark, github.com/numenta/NAB), zscore, mad, ewma,
 * spikedip (ASA AnomalyDetection_SpikeAndDip, ML.NET IID KDE p-value), changepoint (ASA
 * AnomalyDetection_ChangePoint, exchangeability martingale). See learn.microsoft.com/azure/stream-analytics/stream-analytics-machine-learning-anomaly-detection.
 * Every update scores the value against the state BEFORE learning it, then learns it. */
#ifndef IOT_DETECT_H
#define IOT_DETECT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>

enum iot_det_method { IOT_DET_AUTO = 0, IOT_DET_ZSCORE, IOT_DET_MAD, IOT_DET_EWMA,
                      IOT_DET_SPIKEDIP, IOT_DET_CHANGEPOINT };
enum iot_det_side { IOT_SIDE_SPIKES = 1, IOT_SIDE_DIPS = 2, IOT_SIDE_BOTH = 3 };
enum iot_det_mart { IOT_MART_POWER = 0, IOT_MART_MIXTURE };

/* Parameters shared by every series of a run. Fill with iot_det_defaults, then override. */
struct iot_det_params {
    enum iot_det_method method;
    double threshold;     /* auto: score (0.5); zscore/ewma: |z| (3); mad: |M| (3.5) */
    int window;           /* zscore, mad: values in the sliding window (100) */
    int warmup;           /* zscore, mad, ewma: no alert before this many values (30) */
    double alpha;         /* ewma: weight of the newest value (0.05) */
    double confidence;    /* spikedip, changepoint: percent, 1..100 (95) */
    int history;          /* spikedip, changepoint: W (120) */
    enum iot_det_side side;   /* spikedip (both) */
    enum iot_det_mart mart;   /* changepoint (power) */
    double epsilon;       /* changepoint power martingale (0.1) */
};
void iot_det_defaults(struct iot_det_params *p, enum iot_det_method m);
/* "auto" … "changepoint" → method; -1 if unknown. iot_det_method_name: the reverse. */
int iot_det_method_parse(const char *s);
const char *iot_det_method_name(enum iot_det_method m);

/* auto: constants of the design (issue 6). */
#define IOT_AUTO_ALPHA      (1.0 / 6400)  /* long memory of the value model */
#define IOT_AUTO_SHORT      10            /* short-term mean of raw surprise */
#define IOT_AUTO_REESTIMATE 100           /* likelihood distribution re-estimated every N */
#define IOT_AUTO_WARMUP     300           /* no likelihood alert before N values */
#define IOT_AUTO_EXTREME_N  150           /* new-extreme override active from N values */
#define IOT_AUTO_EXTREME    0.05          /* ... beyond the range by this fraction of it */
#define IOT_AUTO_EXTREME_Z  5.0           /* ... and this many sd from the value model */
#define IOT_AUTO_RANGE_N    30            /* isolated surprising values kept out of the range from N */
#define IOT_AUTO_REFRACTORY 30            /* no second alert within N values */
#define IOT_AUTO_CLIP       3.0           /* value model learns deviations clipped to ±N sd */
#define IOT_AUTO_LT_K       0.9205        /* E[min(z², c²)], z ~ N(0,1), c = LT_CLIP: the variance's shrinkage */
#define IOT_AUTO_LT_CLIP    2.0           /* likelihood moments learn short means winsorised at ±N sd */
#define IOT_AUTO_LT_CLIP_N  1000          /* ... once the moments have learned N short means */
/* Calibration in time: the per-event tail levels scale with the series' own event interval
 * (learned from event time), so that the false alerts per day, not per event, stay put. */
#define IOT_AUTO_REF_DT     1.0           /* s: the interval the levels above are set for (1 Hz) */
#define IOT_AUTO_DT_MIN     1e-3          /* s: interval scale clamped to [MIN, MAX] */
#define IOT_AUTO_DT_MAX     3600.0
#define IOT_AUTO_DT_ALPHA   0.01          /* EW weight of a new log-interval (exact mean before) */
#define IOT_AUTO_REFRACTORY_S 0.0         /* s: refractory also lasts at least this long */
#define IOT_DET_NO_TIME     INT64_MIN     /* iot_det_update_at: the value has no event time */

/* auto state: fixed size, no heap (≤ 300 bytes per series). */
struct iot_det_auto {
    uint32_t n;             /* values learned */
    uint32_t since_alert;   /* values since the last alert (saturates) */
    uint32_t lt_n;          /* short-term means learned by the likelihood model */
    uint8_t ring_pos;
    uint8_t beyond;         /* the previous value was surprising (|z| >= EXTREME_Z) */
    double mean, var;       /* value model (exact until 1/alpha values, then EW) */
    double lo, hi;          /* range of values seen (isolated excursions excluded) */
    double pend;            /* the previous value */
    double res;             /* resolution: smallest nonzero step between consecutive values */
    double ring[IOT_AUTO_SHORT];
    double lt_mean, lt_var; /* moments of the short-term mean (exact, then EW) */
    double d_mean, d_sd;    /* distribution used for scoring (re-estimated every 100) */
    double prev_p;          /* previous unfiltered tail probability */
    double dt;              /* s: learned event interval (geometric EW mean); 0 = not yet */
    int64_t t_last;         /* ns: event time of the previous timed value; IOT_DET_NO_TIME */
};

/* Windowed states own a heap buffer. */
struct iot_det_win {
    double *buf;            /* cap values (ring) */
    uint32_t cap, n, pos;
    uint32_t seen;          /* values learned, saturating */
};
struct iot_det_ewma { double mean, var; uint32_t n; };
struct iot_det_cp {
    struct iot_det_win kde;     /* last W values */
    double *u;                  /* last W martingale log-updates (ring, same W) */
    double logm;
    uint32_t un, upos;
    uint32_t cooldown;          /* alerts suppressed while > 0 */
};

/* One series. Zero-initialised memory + iot_det_init gives a fresh detector. */
struct iot_det {
    union {
        struct iot_det_auto a;
        struct iot_det_win w;       /* zscore, mad, spikedip */
        struct iot_det_ewma e;
        struct iot_det_cp c;
    } u;
};

struct iot_det_result {
    double score;     /* auto: [0,1]; z-family: signed z; spikedip: p-value; changepoint: martingale */
    double expected;  /* the model's centre before this value (mean/median); NaN if none yet */
    int dir;          /* +1 above expected, -1 below, 0 unknown/equal */
    bool alert;
    bool extreme;     /* auto: the new-extreme override fired */
};

/* Allocates what the method needs (exit 70 on memory failure). */
void iot_det_init(struct iot_det *d, const struct iot_det_params *p);
/* Scores x (finite; callers skip NaN/missing) then learns it. */
void iot_det_update(struct iot_det *d, const struct iot_det_params *p, double x,
                    struct iot_det_result *r);
/* The same, with the value's event time in ns (IOT_DET_NO_TIME if none): auto learns the
 * series' event interval from it and scales its per-event tail levels by it. */
void iot_det_update_at(struct iot_det *d, const struct iot_det_params *p, double x, int64_t t_ns,
                       struct iot_det_result *r);
void iot_det_free(struct iot_det *d, const struct iot_det_params *p);
/* Heap bytes a series of these parameters owns besides sizeof(struct iot_det). */
size_t iot_det_heap_bytes(const struct iot_det_params *p);

/* State as JSON (exact round trip of every double); load returns 0, or -1 if j does not fit p
 * (d is then left initialised and empty). d must have been iot_det_init'ed. */
json_t *iot_det_save(const struct iot_det *d, const struct iot_det_params *p);
int iot_det_load(struct iot_det *d, const struct iot_det_params *p, const json_t *j);
/* Parameters as JSON, to check on --state load that a state file fits the options. */
json_t *iot_det_params_json(const struct iot_det_params *p);

/* Pure pieces, exposed for tests and reuse. */
/* ML.NET adaptive-bandwidth KDE: ≈ fraction of b[0..n) above x (0.5 if n == 0). Unclamped. */
double iot_kde_pvalue(const double *b, size_t n, double x);
/* log β(p): power martingale (eps) or mixture martingale. */
double iot_mart_log_beta(enum iot_det_mart m, double eps, double p);
/* Q-function: P(N(0,1) > z). */
double iot_norm_tail(double z);
/* Numenta tail probability of x under N(mean, sd), folded around the mean (two-sided). */
double iot_likelihood_tail(double x, double mean, double sd);
/* stdlib incr/ewvariance step: first value (n == 0) sets mean = x, var = 0. */
void iot_ewvar_step(double *mean, double *var, uint32_t *n, double a, double x);
/* Median of v[0..n) (v is reordered). */
double iot_median(double *v, size_t n);
#endif
