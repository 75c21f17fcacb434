/* feature: model-owned streaming features per key. The same code computes a key's features at
 * training (rows in event order) and at scoring (a live stream), so there is no train/serve skew.
 *
 * Spec text: comma-separated items
 *   raw(F)  ewm(F,ALPHA)  mean(F,W) std(F,W) min(F,W) max(F,W) slope(F,W)  xmean(F) xslope(F)
 *   count  hour  dow  since_reset  since(F)
 * F is a field path or `health` (the first principal component of the standardised fields);
 * W is a number of events (`24`) or a duration (`6h`); x-features are expanding since the start
 * or the last reset. Slopes are per day, least squares of value over event time. since(F) is
 * the days from the date or timestamp in field F (e.g. an asset registry's lastMaintenance) to
 * the event time; F is read as a time, never standardised, and no other feature may read it.
 * Steps per event: raw field values → standardised (if fitted; by group) → health channel →
 * per-key state update → feature vector. Missing values (NaN) leave the state unchanged. */
#ifndef IOT_FEATURE_H
#define IOT_FEATURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "regime.h"

enum iot_fk { IOT_FK_RAW, IOT_FK_COUNT, IOT_FK_EWM, IOT_FK_RMEAN, IOT_FK_RSTD, IOT_FK_RMIN,
              IOT_FK_RMAX, IOT_FK_RSLOPE, IOT_FK_XMEAN, IOT_FK_XSLOPE, IOT_FK_HOUR, IOT_FK_DOW,
              IOT_FK_SINCE, IOT_FK_SINCEF };

struct iot_feat {
    int kind;           /* enum iot_fk */
    int chan;           /* input channel: 0..nfields-1, nfields = health, -1 none */
    double alpha;       /* ewm */
    int nev;            /* rolling window in events, or 0 */
    int64_t dur;        /* rolling window in ns, or 0 */
    char *name;         /* canonical text, e.g. "ewm(temperature,0.1)" */
};

struct iot_featspec {
    int nfields;
    char **fields;              /* input fields (paths) */
    bool *ftime;                /* [nfields] read as a time by since(F), or NULL */
    bool has_time;              /* some ftime[j] is true (internal) */
    int nfeat;
    struct iot_feat *feat;
    bool health;                /* health channel wanted (fitted weights in pcw) */
    bool standardize;           /* standardise the fields (fitted at training) */
    int ngroupby;
    char **groupby;             /* --standardize-by fields; values joined by '\x1f' */
    struct iot_regimes *regimes;    /* --regimes: the group of a record is its regime (or NULL) */
    int *rgroup;                /* [regimes->k] standardisation group of each regime */
    /* fitted: group 0 is the global one (key ""); others by group key */
    int ngroups;
    char **gkeys;
    double *gmean, *gsd;        /* [ngroups * nfields] */
    double *pcw;                /* [nfields] health weights on standardised fields, or NULL */
    bool fitted;
    void *gindex;               /* group key → index (internal) */
    bool *xs_used;              /* [nfields + 1] channels an xmean/xslope reads (internal) */
    int *plan;                  /* [nfeat] feature indices: raw, then ewm, then xslope, then the
                                   others; plan_end[k] ends each run (internal) */
    int plan_end[3];
};

/* Parses spec text (see above) over a spec that may already hold fields (from auto). Returns a new
 * spec, or NULL with "what is wrong" in err. `auto` is not accepted here (see iot_featspec_auto). */
struct iot_featspec *iot_featspec_parse(const char *text, char *err, size_t errcap);
/* The `auto` spec: for each field raw, ewm(0.1), xslope; then count; since_reset if reset;
 * with health: raw, ewm(0.1) and xslope of the health channel too. */
struct iot_featspec *iot_featspec_auto(char **fields, int nfields, bool reset, bool health);
/* The same with one ewm per alpha (alphas[0..nalpha-1]) instead of ewm(0.1). */
struct iot_featspec *iot_featspec_auto_spans(char **fields, int nfields, bool reset, bool health,
                                             const double *alphas, int nalpha);
/* Keeps only the features with keep[i] true (the fields stay). */
void iot_featspec_keep(struct iot_featspec *s, const bool *keep);
/* Keeps only the fields with keep[i] true (and the features over them). */
void iot_featspec_prune(struct iot_featspec *s, const bool *keep);
void iot_featspec_free(struct iot_featspec *s);

/* Fits standardisation (if s->standardize) and the health weights (if s->health) on n rows of raw
 * field values X (n × nfields, NaN = missing) with group keys gkey[i] (NULL when ungrouped).
 * Also computes and returns in sd_out[nfields] (if not NULL) the global sd, for dropping
 * constant fields before fitting. */
void iot_featspec_fit(struct iot_featspec *s, const double *X, size_t n,
                      const char *const *gkey, double *sd_out);
/* Global standard deviation per field (sample, n-1), NaN-aware; out has nfields entries. */
void iot_featspec_field_sd(const struct iot_featspec *s, const double *X, size_t n, double *out);
/* Index of a standardisation group for a key (0 = global, also for unseen keys). */
int iot_featspec_group(const struct iot_featspec *s, const char *key, size_t klen);
/* With regimes: the group key of regime r ("#r", in buf of 16 bytes), and after fitting the
 * group index of regime r (0, the global group, for r < 0: settings missing). */
const char *iot_featspec_regime_key(int r, char buf[16]);
int iot_featspec_regime_group(const struct iot_featspec *s, int r);
/* Sets the fitted regimes (taken) and maps them to the fitted groups. */
void iot_featspec_set_regimes(struct iot_featspec *s, struct iot_regimes *R);

/* Serialises the spec and its fitted parameters (exact doubles). from_json returns NULL with
 * a message in err when the JSON is not a valid spec. */
json_t *iot_featspec_to_json(const struct iot_featspec *s);
struct iot_featspec *iot_featspec_from_json(const json_t *j, char *err, size_t errcap);

/* Per-key state. */
struct iot_featstate;
struct iot_featstate *iot_featstate_new(const struct iot_featspec *s);
void iot_featstate_free(struct iot_featstate *st);
/* A reset event (e.g. maintenance) at time t: expanding features and the counter restart,
 * since_reset counts from t. */
void iot_featstate_reset(const struct iot_featspec *s, struct iot_featstate *st, int64_t t);
/* One event at time t with raw field values x[nfields] (NaN = missing) in standardisation
 * group g: updates the state and writes the nfeat features to out (NaN = undefined). */
void iot_feat_update(const struct iot_featspec *s, struct iot_featstate *st, int64_t t,
                     const double *x, int g, float *out);
/* The same with feature i written to out[i * stride] (a column of a feature-major batch). */
void iot_feat_update_strided(const struct iot_featspec *s, struct iot_featstate *st, int64_t t,
                             const double *x, int g, float *out, size_t stride);
/* Exact JSON round trip of a state (for --state). from_json returns -1 on a malformed state. */
json_t *iot_featstate_to_json(const struct iot_featspec *s, const struct iot_featstate *st);
int iot_featstate_from_json(const struct iot_featspec *s, struct iot_featstate *st, const json_t *j);
#endif
