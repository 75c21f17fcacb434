/* sim_fleet: built-in device types, fleet files (jansson), --types and --faults specs.
 * Figures: vibration zones of ISO 10816-3; the rest are typical values for industrial pumps, motors and CNC spindles. */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/cli.h"
#include "sim.h"
#include "core/time.h"

#define DAY (86400 * IOT_NS_PER_S)
#define HOUR (3600 * IOT_NS_PER_S)

static void sensor(struct iot_sim_type *t, const char *name, const char *unit, double base,
                   double noise, double daily, double idle, double offset, double lo, double hi,
                   int dec)
{
    struct iot_sim_sensor *s = &t->s[t->nsensors++];
    *s = (struct iot_sim_sensor){ iot_xstrdup(name), iot_xstrdup(unit), base, noise, daily, 15,
                                  0, 0, idle, offset, lo, hi, dec };
}

static int sensor_index(const struct iot_sim_type *t, const char *name)
{
    for (int i = 0; i < t->nsensors; i++)
        if (strcmp(t->s[i].name, name) == 0) return i;
    return -1;
}

/* gains/lags given as name=value pairs; unnamed sensors are unaffected */
static void mode(struct iot_sim_type *t, const char *name, double weight, int lead_min_d,
                 int lead_max_d, double vib, double temp, double pres, double temp_lag)
{
    struct iot_sim_mode *m = &t->m[t->nmodes++];
    memset(m, 0, sizeof *m);
    m->name = iot_xstrdup(name);
    m->weight = weight;
    m->lead_min = lead_min_d * DAY;
    m->lead_max = lead_max_d * DAY;
    for (int i = 0; i < IOT_SIM_MAX_SENSORS; i++) m->gain[i] = 1;
    int v = sensor_index(t, "vibration"), tp = sensor_index(t, "temperature"),
        p = sensor_index(t, "pressure");
    if (v >= 0) m->gain[v] = vib;
    if (tp >= 0) { m->gain[tp] = temp; m->lag[tp] = temp_lag; }
    if (p >= 0) m->gain[p] = pres;
}

static struct iot_sim_type *newtype(struct iot_sim_fleet *f, const char *name, const char *prefix,
                                    int schedule, double shape, double scale_days,
                                    int repair_min_h, int repair_max_h)
{
    struct iot_sim_type *t = &f->t[f->ntypes++];
    memset(t, 0, sizeof *t);
    t->name = iot_xstrdup(name);
    t->prefix = iot_xstrdup(prefix);
    t->share = 1;
    t->schedule = schedule;
    t->weibull_shape = shape;
    t->weibull_scale = scale_days * 86400.0;
    t->repair_min = repair_min_h * HOUR;
    t->repair_max = repair_max_h * HOUR;
    return t;
}

static void models(struct iot_sim_type *t, const char *a, const char *b, const char *c)
{
    const char *v[] = { a, b, c };
    for (int i = 0; i < 3; i++)
        if (v[i]) t->models[t->nmodels++] = iot_xstrdup(v[i]);
}

struct iot_sim_fleet *iot_sim_fleet_builtin(void)
{
    struct iot_sim_fleet *f = iot_xcalloc(1, sizeof *f);
    struct iot_sim_type *t;
    /* CNC: spindle housing temperature, coolant pressure, spindle vibration; runs 24x5.
     * MTBF about 2 years (Weibull β 1.2, η 776 d → mean 730 d). */
    t = newtype(f, "CNC-Machine", "cnc", IOT_SIM_24X5, 1.2, 776, 4, 48);
    sensor(t, "temperature", "Cel", 38, 0.3, 3, 22, 1.5, NAN, 60, 1);
    sensor(t, "pressure", "bar", 20, 0.15, 0.3, 1, 0.5, 12, 30, 1);
    sensor(t, "vibration", "mm/s", 1.2, 0.1, 0.1, 0.12, 0.15, NAN, 4.5, 2);
    t->s[1].saw = 0.8; t->s[1].saw_period = 300;
    mode(t, "spindle-bearing", 3, 21, 42, 8, 1.5, 1, 0.3);
    mode(t, "ball-screw", 1, 21, 42, 5, 1.2, 0.9, 0.2);
    models(t, "VMC-850", "HMC-630", "LT-200");
    /* Pump: bearing temperature (ambient + 25 °C), discharge pressure, vibration; 24x7.
     * Weibull β 1.2, η 35 000 h. */
    t = newtype(f, "Pump", "pump", IOT_SIM_24X7, 1.2, 1458, 2, 24);
    sensor(t, "temperature", "Cel", 45, 0.3, 3, 20, 2, NAN, 85, 1);
    sensor(t, "pressure", "bar", 6, 0.05, 0.3, 0, 0.2, 4, 8, 2);
    sensor(t, "vibration", "mm/s", 1.8, 0.15, 0.1, 0.18, 0.2, NAN, 4.5, 2);
    mode(t, "bearing", 3, 30, 60, 4, 1.5, 1, 0.3);
    mode(t, "seal", 2, 7, 30, 1.3, 1.4, 0.85, 0);
    models(t, "CP-80", "CP-125", "ISO-2900");
    /* Screw compressor: discharge temperature 70–95 °C (abnormal > 100), pressure with a
     * load/unload sawtooth, vibration; 24x7. Weibull β 1.9, η 60 000 h. */
    t = newtype(f, "Compressor", "comp", IOT_SIM_24X7, 1.9, 2500, 4, 36);
    sensor(t, "temperature", "Cel", 85, 0.8, 4, 25, 2, NAN, 100, 1);
    sensor(t, "pressure", "bar", 7, 0.05, 0, 0, 0.1, 5.5, 8.5, 2);
    sensor(t, "vibration", "mm/s", 2, 0.2, 0.1, 0.2, 0.2, NAN, 7.1, 2);
    t->s[1].saw = 0.5; t->s[1].saw_period = 600;
    mode(t, "cooler", 2, 14, 45, 1.1, 1.3, 1, 0);
    mode(t, "bearing", 1, 30, 60, 6, 1.12, 1, 0.3);
    models(t, "GA-37", "SSR-55", "ZR-90");
    /* Conveyor: gearbox temperature, gearbox oil pressure, drive vibration; 24x5.
     * Motor Weibull β 1.2, η 100 000 h. */
    t = newtype(f, "Conveyor", "conv", IOT_SIM_24X5, 1.2, 4167, 2, 12);
    sensor(t, "temperature", "Cel", 55, 0.4, 3, 22, 2, NAN, 90, 1);
    sensor(t, "pressure", "bar", 2.5, 0.03, 0.1, 0.2, 0.1, 1.5, 4, 2);
    sensor(t, "vibration", "mm/s", 1.5, 0.15, 0.2, 0.15, 0.15, NAN, 4.5, 2);
    mode(t, "drive-bearing", 3, 30, 60, 5, 1.35, 1, 0.3);
    mode(t, "idler", 1, 7, 30, 1.5, 1.3, 1, 0);
    models(t, "BC-800", "BC-1200", NULL);
    return f;
}

static void type_free(struct iot_sim_type *t)
{
    free(t->name); free(t->prefix);
    for (int i = 0; i < t->nsensors; i++) { free(t->s[i].name); free(t->s[i].unit); }
    for (int i = 0; i < t->nmodes; i++) free(t->m[i].name);
    for (int i = 0; i < t->nmodels; i++) free(t->models[i]);
}

void iot_sim_fleet_free(struct iot_sim_fleet *f)
{
    if (!f) return;
    for (int i = 0; i < f->ntypes; i++) type_free(&f->t[i]);
    free(f);
}

const struct iot_sim_type *iot_sim_fleet_find(const struct iot_sim_fleet *f, const char *name)
{
    for (int i = 0; i < f->ntypes; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}

static int seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Names end up unquoted in CSV and inside JSON strings: keep them plain. */
static int plain_name(const char *s)
{
    if (!*s || strlen(s) > 48) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.') return 0;
    return 1;
}

int iot_sim_fleet_select(struct iot_sim_fleet *f, const char *spec, char *err, size_t errlen)
{
    int n = 0;
    char **v = iot_split(spec, ',', &n);
    struct iot_sim_fleet *out = iot_xcalloc(1, sizeof *out);
    int rc = 0;
    bool used[IOT_SIM_MAX_TYPES] = { 0 };
    for (int i = 0; i < n && rc == 0; i++) {
        char *colon = strchr(v[i], ':');
        double share = 1;
        if (colon) {
            *colon = 0;
            char *end;
            share = strtod(colon + 1, &end);
            if (end == colon + 1 || *end || !(share > 0) || !isfinite(share))
                rc = seterr(err, errlen, "--types: %s: share must be a positive number", v[i]);
        }
        int k = -1;
        for (int j = 0; j < f->ntypes; j++)
            if (strcmp(f->t[j].name, v[i]) == 0) k = j;
        if (rc) break;
        if (k < 0) {
            char names[512] = "";
            for (int j = 0; j < f->ntypes; j++) {
                strncat(names, j ? ", " : "", sizeof names - strlen(names) - 1);
                strncat(names, f->t[j].name, sizeof names - strlen(names) - 1);
            }
            rc = seterr(err, errlen, "--types: unknown device type '%s' (known: %s)", v[i], names);
        } else if (used[k]) {
            rc = seterr(err, errlen, "--types: %s given twice", v[i]);
        } else {
            used[k] = true;
            out->t[out->ntypes] = f->t[k];
            out->t[out->ntypes++].share = share;
        }
    }
    if (rc == 0 && n == 0) rc = seterr(err, errlen, "--types: empty list");
    if (rc == 0) {
        for (int j = 0; j < f->ntypes; j++)
            if (!used[j]) type_free(&f->t[j]);
        *f = *out;
    }
    free(out);
    iot_strv_free(v);
    return rc;
}

int iot_sim_faults_parse(const char *spec, struct iot_sim_faults *f, char *err, size_t errlen)
{
    int n = 0, rc = 0;
    char **v = iot_split(spec, ',', &n);
    for (int i = 0; i < n && rc == 0; i++) {
        char *eq = strchr(v[i], '=');
        if (!eq) { rc = seterr(err, errlen, "--faults: '%s': expected KIND=PROB", v[i]); break; }
        *eq = 0;
        char *val = eq + 1, *colon = strchr(val, ':'), *end;
        if (colon) *colon = 0;
        double p = strtod(val, &end);
        if (end == val || *end || !(p >= 0 && p <= 1)) {
            rc = seterr(err, errlen, "--faults: %s: probability must be within 0..1", v[i]);
            break;
        }
        if (colon && strcmp(v[i], "late") != 0) {
            rc = seterr(err, errlen, "--faults: %s: only late takes :DURATION", v[i]);
            break;
        }
        if (strcmp(v[i], "late") == 0) {
            f->late = p;
            if (colon && iot_dur_parse(colon + 1, &f->late_max) != 0)
                rc = seterr(err, errlen, "--faults: late: bad duration '%s'", colon + 1);
        } else if (strcmp(v[i], "dup") == 0) f->dup = p;
        else if (strcmp(v[i], "drop") == 0) f->drop = p;
        else if (strcmp(v[i], "malformed") == 0) f->malformed = p;
        else rc = seterr(err, errlen, "--faults: unknown fault '%s' (late, dup, drop, malformed)", v[i]);
    }
    if (rc == 0 && n == 0) rc = seterr(err, errlen, "--faults: empty list");
    iot_strv_free(v);
    return rc;
}

/* ---- fleet files ---- */

static int jnum(json_t *o, const char *key, double *out, const char *where, char *err, size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    if (json_is_null(v) && (strcmp(key, "min") == 0 || strcmp(key, "max") == 0)) {
        *out = NAN;
        return 0;
    }
    if (!json_is_number(v)) return seterr(err, n, "%s: %s: expected a number", where, key);
    *out = json_number_value(v);
    if (!isfinite(*out)) return seterr(err, n, "%s: %s: not finite", where, key);
    return 0;
}

static int jdur(json_t *o, const char *key, int64_t *out, const char *where, char *err, size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    if (!json_is_string(v) || iot_dur_parse(json_string_value(v), out) != 0)
        return seterr(err, n, "%s: %s: expected a duration such as \"30d\"", where, key);
    return 0;
}

/* "lead": ["21d", "42d"] or "21d" */
static int jrange(json_t *o, const char *key, int64_t *lo, int64_t *hi, const char *where,
                  char *err, size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    const char *a = NULL, *b = NULL;
    if (json_is_string(v)) a = b = json_string_value(v);
    else if (json_is_array(v) && json_array_size(v) == 2 && json_is_string(json_array_get(v, 0))
             && json_is_string(json_array_get(v, 1))) {
        a = json_string_value(json_array_get(v, 0));
        b = json_string_value(json_array_get(v, 1));
    }
    if (!a || iot_dur_parse(a, lo) != 0 || iot_dur_parse(b, hi) != 0 || *hi < *lo)
        return seterr(err, n, "%s: %s: expected a duration or [min, max]", where, key);
    return 0;
}

static int jstr(json_t *o, const char *key, char **out, bool plain, const char *where, char *err,
                size_t n)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    if (!json_is_string(v) || (plain && !plain_name(json_string_value(v))))
        return seterr(err, n, "%s: %s: expected a %sstring", where, key,
                      plain ? "plain (letters, digits, -_.) " : "");
    free(*out);
    *out = iot_xstrdup(json_string_value(v));
    return 0;
}

static int load_sensor(struct iot_sim_type *t, json_t *js, const char *where, char *err, size_t n)
{
    json_t *jn = json_object_get(js, "name");
    if (!json_is_string(jn) || !plain_name(json_string_value(jn)))
        return seterr(err, n, "%s: sensor needs a plain \"name\"", where);
    const char *name = json_string_value(jn);
    static const char *reserved[] = { "deviceId", "deviceType", "timestamp", "priority",
                                      "messageType", NULL };
    for (int i = 0; reserved[i]; i++)
        if (strcmp(name, reserved[i]) == 0 || name[0] == '_')
            return seterr(err, n, "%s: sensor name '%s' is reserved", where, name);
    int k = sensor_index(t, name);
    if (k < 0) {
        if (t->nsensors == IOT_SIM_MAX_SENSORS)
            return seterr(err, n, "%s: at most %d sensors", where, IOT_SIM_MAX_SENSORS);
        k = t->nsensors++;
        t->s[k] = (struct iot_sim_sensor){ iot_xstrdup(name), iot_xstrdup(""), 0, 0, 0, 15, 0, 0,
                                           NAN, 0, NAN, NAN, 2 };
        for (int m = 0; m < t->nmodes; m++) t->m[m].gain[k] = 1;
    }
    struct iot_sim_sensor *s = &t->s[k];
    char w[160];
    snprintf(w, sizeof w, "%s: %s", where, name);
    double dec = s->decimals, period = s->saw_period;
    if (jstr(js, "unit", &s->unit, false, w, err, n) || jnum(js, "baseline", &s->baseline, w, err, n)
        || jnum(js, "noise", &s->noise, w, err, n) || jnum(js, "daily", &s->daily, w, err, n)
        || jnum(js, "dailyPeak", &s->daily_peak, w, err, n) || jnum(js, "saw", &s->saw, w, err, n)
        || jnum(js, "idle", &s->idle, w, err, n) || jnum(js, "offset", &s->offset, w, err, n)
        || jnum(js, "min", &s->lo, w, err, n) || jnum(js, "max", &s->hi, w, err, n)
        || jnum(js, "decimals", &dec, w, err, n))
        return -1;
    int64_t p = 0;
    if (jdur(js, "sawPeriod", &p, w, err, n)) return -1;
    if (p > 0) period = (double)p / 1e9;
    s->saw_period = period;
    if (s->saw != 0 && !(s->saw_period > 0))
        return seterr(err, n, "%s: saw needs a sawPeriod", w);
    if (dec < 0 || dec > 4 || dec != floor(dec))
        return seterr(err, n, "%s: decimals must be 0..4", w);
    s->decimals = (int)dec;
    if (s->noise < 0 || s->offset < 0) return seterr(err, n, "%s: noise and offset must be >= 0", w);
    if (fabs(s->baseline) > 1e12) return seterr(err, n, "%s: baseline out of range", w);
    return 0;
}

static int load_mode(struct iot_sim_type *t, json_t *jm, const char *where, char *err, size_t n)
{
    json_t *jn = json_object_get(jm, "name");
    if (!json_is_string(jn) || !plain_name(json_string_value(jn)))
        return seterr(err, n, "%s: failure mode needs a plain \"name\"", where);
    if (t->nmodes == IOT_SIM_MAX_MODES)
        return seterr(err, n, "%s: at most %d failure modes", where, IOT_SIM_MAX_MODES);
    struct iot_sim_mode *m = &t->m[t->nmodes++];
    memset(m, 0, sizeof *m);
    m->name = iot_xstrdup(json_string_value(jn));
    m->weight = 1;
    m->lead_min = 14 * DAY;
    m->lead_max = 28 * DAY;
    for (int i = 0; i < IOT_SIM_MAX_SENSORS; i++) m->gain[i] = 1;
    char w[160];
    snprintf(w, sizeof w, "%s: %s", where, m->name);
    if (jnum(jm, "weight", &m->weight, w, err, n) || !(m->weight > 0)
        || jrange(jm, "lead", &m->lead_min, &m->lead_max, w, err, n))
        return err[0] ? -1 : seterr(err, n, "%s: weight must be > 0", w);
    json_t *eff = json_object_get(jm, "effects");
    if (eff && !json_is_object(eff)) return seterr(err, n, "%s: effects: expected an object", w);
    const char *k;
    json_t *v;
    json_object_foreach(eff, k, v) {
        int si = sensor_index(t, k);
        if (si < 0) return seterr(err, n, "%s: effects: no sensor '%s'", w, k);
        double g = NAN, lag = 0;
        if (json_is_number(v)) g = json_number_value(v);
        else if (json_is_object(v)) {
            g = 1;
            if (jnum(v, "gain", &g, w, err, n) || jnum(v, "lag", &lag, w, err, n)) return -1;
        }
        if (!(g > 0) || !(lag >= 0 && lag < 1))
            return seterr(err, n, "%s: effects: %s: gain must be > 0, lag within [0, 1)", w, k);
        m->gain[si] = g;
        m->lag[si] = lag;
    }
    return 0;
}

static int load_type(struct iot_sim_fleet *f, json_t *jt, int idx, char *err, size_t n)
{
    char where[96];
    snprintf(where, sizeof where, "types[%d]", idx);
    if (!json_is_object(jt)) return seterr(err, n, "%s: expected an object", where);
    json_t *jn = json_object_get(jt, "name");
    if (!json_is_string(jn) || !plain_name(json_string_value(jn)))
        return seterr(err, n, "%s: needs a plain \"name\" (letters, digits, -_.)", where);
    const char *name = json_string_value(jn);
    snprintf(where, sizeof where, "%s", name);
    struct iot_sim_type *t = (struct iot_sim_type *)iot_sim_fleet_find(f, name);
    bool fresh = !t;
    if (fresh) {
        if (f->ntypes == IOT_SIM_MAX_TYPES)
            return seterr(err, n, "at most %d device types", IOT_SIM_MAX_TYPES);
        t = &f->t[f->ntypes++];
        memset(t, 0, sizeof *t);
        t->name = iot_xstrdup(name);
        char pre[16];
        size_t k = 0;
        for (const char *p = name; *p && k < 8; p++)
            if (isalnum((unsigned char)*p)) pre[k++] = (char)tolower((unsigned char)*p);
        pre[k] = 0;
        t->prefix = iot_xstrdup(k ? pre : "dev");
        t->share = 1;
        t->weibull_shape = 1.2;
        t->weibull_scale = 365 * 86400.0;
        t->repair_min = 4 * HOUR;
        t->repair_max = 24 * HOUR;
    }
    json_t *js = json_object_get(jt, "sensors"), *jm = json_object_get(jt, "failure");
    int64_t scale = 0;
    const char *sched = NULL;
    if (jstr(jt, "prefix", &t->prefix, true, where, err, n) || jnum(jt, "share", &t->share, where, err, n))
        return -1;
    if (!(t->share >= 0)) return seterr(err, n, "%s: share must be >= 0", where);
    json_t *jsch = json_object_get(jt, "schedule");
    if (jsch) {
        sched = json_string_value(jsch);
        if (sched && strcmp(sched, "24x7") == 0) t->schedule = IOT_SIM_24X7;
        else if (sched && strcmp(sched, "24x5") == 0) t->schedule = IOT_SIM_24X5;
        else return seterr(err, n, "%s: schedule: expected \"24x7\" or \"24x5\"", where);
    }
    json_t *jmod = json_object_get(jt, "models");
    if (jmod) {
        if (!json_is_array(jmod) || json_array_size(jmod) == 0 || json_array_size(jmod) > IOT_SIM_MAX_MODELS)
            return seterr(err, n, "%s: models: expected 1..%d strings", where, IOT_SIM_MAX_MODELS);
        for (int i = 0; i < t->nmodels; i++) free(t->models[i]);
        t->nmodels = 0;
        size_t i;
        json_t *v;
        json_array_foreach(jmod, i, v) {
            if (!json_is_string(v) || !plain_name(json_string_value(v)))
                return seterr(err, n, "%s: models: expected plain strings", where);
            t->models[t->nmodels++] = iot_xstrdup(json_string_value(v));
        }
    }
    if (js) {
        if (!json_is_array(js)) return seterr(err, n, "%s: sensors: expected an array", where);
        size_t i;
        json_t *v;
        json_array_foreach(js, i, v) {
            if (!json_is_object(v)) return seterr(err, n, "%s: sensors[%zu]: expected an object", where, i);
            if (load_sensor(t, v, where, err, n)) return -1;
        }
    }
    if (t->nsensors == 0) return seterr(err, n, "%s: no sensors", where);
    if (jm) {
        if (!json_is_object(jm)) return seterr(err, n, "%s: failure: expected an object", where);
        if (jnum(jm, "shape", &t->weibull_shape, where, err, n) || jdur(jm, "scale", &scale, where, err, n)
            || jrange(jm, "repair", &t->repair_min, &t->repair_max, where, err, n))
            return -1;
        if (!(t->weibull_shape > 0.1 && t->weibull_shape < 20))
            return seterr(err, n, "%s: failure: shape must be within 0.1..20", where);
        if (scale > 0) t->weibull_scale = (double)scale / 1e9;
        json_t *modes = json_object_get(jm, "modes");
        if (modes) {
            if (!json_is_array(modes)) return seterr(err, n, "%s: failure: modes: expected an array", where);
            for (int i = 0; i < t->nmodes; i++) free(t->m[i].name);
            t->nmodes = 0;
            size_t i;
            json_t *v;
            json_array_foreach(modes, i, v) {
                if (!json_is_object(v)) return seterr(err, n, "%s: modes[%zu]: expected an object", where, i);
                if (load_mode(t, v, where, err, n)) return -1;
            }
        }
    }
    if (t->nmodes == 0) {          /* a generic wear mode: vibration-like growth of everything */
        json_t *m = json_pack("{s:s}", "name", "wear");
        int rc = load_mode(t, m, where, err, n);
        json_decref(m);
        if (rc) return -1;
        for (int i = 0; i < t->nsensors; i++) t->m[0].gain[i] = 1.5;
    }
    if (t->nmodels == 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s-100", t->prefix);
        t->models[t->nmodels++] = iot_xstrdup(buf);
    }
    return 0;
}

struct iot_sim_fleet *iot_sim_fleet_load(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (je.line > 0) snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        else snprintf(err, errlen, "%s: %s", path, je.text);
        return NULL;
    }
    struct iot_sim_fleet *f = iot_sim_fleet_builtin();
    json_t *types = json_is_object(root) ? json_object_get(root, "types") : NULL;
    char e2[400] = "";
    int rc = 0;
    if (!json_is_array(types) || json_array_size(types) == 0) {
        rc = seterr(e2, sizeof e2, "expected an object with a non-empty \"types\" array");
    } else {
        /* the file's types form the fleet, in its order; built-ins serve as templates */
        struct iot_sim_fleet *out = iot_xcalloc(1, sizeof *out);
        size_t i;
        json_t *v;
        json_array_foreach(types, i, v) {
            if (rc) break;
            json_t *jn = json_is_object(v) ? json_object_get(v, "name") : NULL;
            const char *name = json_string_value(jn);
            if (name && iot_sim_fleet_find(out, name)) {
                rc = seterr(e2, sizeof e2, "%s: type given twice", name);
                break;
            }
            const struct iot_sim_type *b = name ? iot_sim_fleet_find(f, name) : NULL;
            if (b) {                      /* move the built-in over as the template */
                out->t[out->ntypes++] = *b;
                struct iot_sim_type *bt = (struct iot_sim_type *)b;
                memset(bt, 0, sizeof *bt);
                bt->name = iot_xstrdup("");
                bt->prefix = iot_xstrdup("");
            }
            rc = load_type(out, v, (int)i, e2, sizeof e2);
        }
        /* device ids must not collide */
        for (int a = 0; rc == 0 && a < out->ntypes; a++)
            for (int b = a + 1; b < out->ntypes; b++)
                if (strcmp(out->t[a].prefix, out->t[b].prefix) == 0) {
                    rc = seterr(e2, sizeof e2, "%s and %s share the prefix '%s'", out->t[a].name,
                                out->t[b].name, out->t[a].prefix);
                    break;
                }
        double total = 0;
        for (int a = 0; a < out->ntypes; a++) total += out->t[a].share;
        if (rc == 0 && !(total > 0)) rc = seterr(e2, sizeof e2, "shares add up to 0");
        iot_sim_fleet_free(f);
        f = out;
    }
    json_decref(root);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, e2);
        iot_sim_fleet_free(f);
        return NULL;
    }
    return f;
}
