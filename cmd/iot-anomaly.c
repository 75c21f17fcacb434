/* iot-anomaly: per-device anomaly detection and alert rules (lib/anomaly/detect.c, lib/anomaly/decompose.c). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/cli.h"
#include "anomaly/decompose.h"
#include "anomaly/detect.h"
#include "core/diag.h"
#include "core/expr.h"
#include "core/in.h"
#include "core/key.h"
#include "core/keytab.h"
#include "core/out.h"
#include "core/rec.h"
#include "core/state.h"
#include "core/time.h"

enum { O_FIELD = 1, O_METHOD, O_THRESHOLD, O_WINDOW, O_WARMUP, O_ALPHA, O_CONFIDENCE, O_HISTORY,
       O_MODE, O_MART, O_EPSILON, O_SEASON, O_TREND, O_TESTPTS, O_ADMETHOD, O_SEASONTHR,
       O_RULE, O_ALERTS, O_STATE, O_MAXKEYS };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Detection:", 0 },
    { "field", 'f', IOT_ARG, "FIELD[,FIELD]", "numeric fields to watch, each with its own state per key", O_FIELD },
    { "method", 'm', IOT_ARG, "METHOD", "auto (default), zscore, mad, ewma, spikedip, changepoint or decompose", O_METHOD },
    { "threshold", 0, IOT_ARG, "X", "alert level: auto score (0.5), |z| for zscore/ewma (3), |M| for mad (3.5), k for decompose (1.5)", O_THRESHOLD },
    { "window", 'w', IOT_ARG, "N", "zscore, mad: values in the sliding window (default 100)", O_WINDOW },
    { "warmup", 0, IOT_ARG, "N", "zscore, mad, ewma: no alert before N values (default 30)", O_WARMUP },
    { "alpha", 0, IOT_ARG, "A", "ewma: weight of the newest value, 0 < A <= 1 (default 0.05)", O_ALPHA },
    { "confidence", 0, IOT_ARG, "PCT", "spikedip, changepoint: confidence 1..100 (default 95)", O_CONFIDENCE },
    { "history", 0, IOT_ARG, "N", "spikedip, changepoint: events in the history (default 120)", O_HISTORY },
    { "mode", 0, IOT_ARG, "MODE", "spikedip: spikes, dips or spikesanddips (default)", O_MODE },
    { "martingale", 0, IOT_ARG, "KIND", "changepoint: power (default) or mixture", O_MART },
    { "epsilon", 0, IOT_ARG, "E", "changepoint: power martingale epsilon, 0 < E < 1 (default 0.1)", O_EPSILON },
    { NULL, 0, 0, NULL, "Series (--method decompose, on the arrays of iot-window series records):", 0 },
    { "seasonality", 0, IOT_ARG, "N", "period in points; -1 detect (default), 0 none", O_SEASON },
    { "trend", 0, IOT_ARG, "KIND", "avg (default), linefit or none", O_TREND },
    { "test-points", 0, IOT_ARG, "N", "points at the end left out of the fit (default 0)", O_TESTPTS },
    { "ad-method", 0, IOT_ARG, "KIND", "ctukey (10/90, default) or tukey (25/75)", O_ADMETHOD },
    { "seasonality-threshold", 0, IOT_ARG, "X", "minimum period score when detecting (default 0.6)", O_SEASONTHR },
    { NULL, 0, 0, NULL, "Rules and output:", 0 },
    { "rule", 'r', IOT_ARG, "'NAME: EXPR'", "alert NAME when EXPR holds (repeatable; first match wins)", O_RULE },
    { "alerts", 'a', IOT_NOARG, NULL, "write only alert records {deviceId, alertType, field, value, score, timestamp, severity}", O_ALERTS },
    { "state", 's', IOT_ARG, "FILE", "load learned state from FILE if it exists; save it there at the end", O_STATE },
    { "max-keys", 0, IOT_ARG, "N", "at most N keys (devices) in memory; further keys are rejected (default 1000000)", O_MAXKEYS },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-anomaly", "[OPTION]... [FILE]...",
    "Score each record for anomalies per device and field; annotate it, or emit alert records.",
    "Examples:\n"
    "  iot-anomaly -f temperature,vibration < telemetry.ndjson\n"
    "  iot-anomaly -m spikedip --confidence 95 --history 120 -f temperature --alerts\n"
    "  iot-anomaly --rule 'HIGH_TEMPERATURE: temperature > 80' --alerts\n"
    "  iot-anomaly -m decompose -f avg_temperature --alerts series.ndjson\n",
    opts
};

#define MAX_RULES 64
struct rule { char *name; const char *severity; struct iot_expr *e; };

static struct {
    char **fields;
    int nf;
    bool decompose, alerts;
    struct iot_det_params p;
    struct iot_decompose_opts dopt;
    bool threshold_set;
    double threshold;
    const char *rules_text[MAX_RULES];
    int nrules;
    struct rule rules[MAX_RULES];
    const char *state;
    int64_t max_keys;
    int method;
} A = { .max_keys = 1000000 };

static int parse_enum(const char *opt, const char *arg, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(arg, names[i]) == 0)
            return i;
    iot_usage("%s: unknown value '%s'", opt, arg);
}

/* Option values are kept raw and applied once the method is known (any order on the line). */
static const char *raw[O_MAXKEYS + 1];

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    switch (id) {
    case O_FIELD:
        iot_strv_free(A.fields);
        A.fields = iot_split(arg, ',', &A.nf);
        break;
    case O_RULE:
        if (A.nrules == MAX_RULES) iot_usage("--rule: at most %d rules", MAX_RULES);
        A.rules_text[A.nrules++] = arg;
        break;
    case O_ALERTS: A.alerts = true; break;
    case O_STATE: A.state = arg; break;
    case O_MAXKEYS: A.max_keys = iot_cli_int("--max-keys", arg, 1, INT32_MAX); break;
    default: raw[id] = arg; break;
    }
}

static void apply_options(void)
{
    A.method = IOT_DET_AUTO;
    if (raw[O_METHOD]) {
        if (strcmp(raw[O_METHOD], "decompose") == 0) {
            A.decompose = true;
        } else if ((A.method = iot_det_method_parse(raw[O_METHOD])) < 0) {
            iot_usage("--method: unknown method '%s'", raw[O_METHOD]);
        }
    }
    struct iot_det_params *p = &A.p;
    iot_det_defaults(p, (enum iot_det_method)A.method);
    iot_decompose_defaults(&A.dopt);
    if (raw[O_THRESHOLD]) {
        double t = iot_cli_double("--threshold", raw[O_THRESHOLD]);
        if (!(t >= 0) || !isfinite(t)) iot_usage("--threshold must be a number >= 0");
        p->threshold = t;
        A.dopt.k = t;
    }
    if (raw[O_WINDOW]) p->window = (int)iot_cli_int("--window", raw[O_WINDOW], 2, 1000000);
    if (raw[O_WARMUP]) p->warmup = (int)iot_cli_int("--warmup", raw[O_WARMUP], 0, INT32_MAX);
    if (raw[O_ALPHA]) {
        p->alpha = iot_cli_double("--alpha", raw[O_ALPHA]);
        if (!(p->alpha > 0 && p->alpha <= 1)) iot_usage("--alpha must be within (0, 1]");
    }
    if (raw[O_CONFIDENCE]) {
        p->confidence = iot_cli_double("--confidence", raw[O_CONFIDENCE]);
        if (!(p->confidence >= 1 && p->confidence <= 100)) iot_usage("--confidence must be within 1..100");
    }
    if (raw[O_HISTORY]) p->history = (int)iot_cli_int("--history", raw[O_HISTORY], 2, 1000000);
    if (raw[O_MODE]) {
        static const char *const m[] = { "spikes", "dips", "spikesanddips" };
        p->side = (enum iot_det_side)(parse_enum("--mode", raw[O_MODE], m, 3) + 1);
    }
    if (raw[O_MART]) {
        static const char *const m[] = { "power", "mixture" };
        p->mart = (enum iot_det_mart)parse_enum("--martingale", raw[O_MART], m, 2);
    }
    if (raw[O_EPSILON]) {
        p->epsilon = iot_cli_double("--epsilon", raw[O_EPSILON]);
        if (!(p->epsilon > 0 && p->epsilon < 1)) iot_usage("--epsilon must be within (0, 1)");
    }
    if (raw[O_SEASON]) A.dopt.seasonality = (int)iot_cli_int("--seasonality", raw[O_SEASON], -1, 1 << 20);
    if (raw[O_TREND]) {
        static const char *const m[] = { "avg", "linefit", "none" };
        A.dopt.trend = (enum iot_trend)parse_enum("--trend", raw[O_TREND], m, 3);
    }
    if (raw[O_TESTPTS]) A.dopt.test_points = (int)iot_cli_int("--test-points", raw[O_TESTPTS], 0, 1 << 20);
    if (raw[O_ADMETHOD]) {
        static const char *const m[] = { "ctukey", "tukey" };
        A.dopt.ad_method = (enum iot_ad_kind)parse_enum("--ad-method", raw[O_ADMETHOD], m, 2);
    }
    if (raw[O_SEASONTHR]) A.dopt.season_threshold = iot_cli_double("--seasonality-threshold", raw[O_SEASONTHR]);
    if (A.decompose && A.state) iot_usage("--state does not apply to --method decompose (it keeps no state)");
    if (A.nf == 0 && A.nrules == 0) iot_usage("nothing to watch: give -f FIELD or --rule 'NAME: EXPR'");
    for (int i = 0; i < A.nf; i++)
        if (!A.fields[i][0]) iot_usage("--field: empty field name");
}

static const char *severity_of(const char *name)
{
    static const char *const s[] = { "critical", "error", "warning", "info" };
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, s[i]) == 0)
            return s[i];
    return "warning";
}

static void compile_rules(struct iot_fields *f)
{
    for (int i = 0; i < A.nrules; i++) {
        const char *t = A.rules_text[i], *colon = strchr(t, ':');
        if (!colon) iot_usage("--rule '%s': expected 'NAME: EXPR'", t);
        const char *a = t, *b = colon;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (a == b) iot_usage("--rule '%s': empty rule name", t);
        for (const char *c = a; c < b; c++)
            if (!(c[0] == '_' || c[0] == '-' || c[0] == '.' || (c[0] >= '0' && c[0] <= '9') ||
                  ((c[0] | 32) >= 'a' && (c[0] | 32) <= 'z')))
                iot_usage("--rule '%s': a rule name is letters, digits, '_', '-' or '.'", t);
        struct rule *r = &A.rules[i];
        r->name = strndup(a, (size_t)(b - a));
        r->severity = severity_of(r->name);
        char err[256];
        r->e = iot_expr_compile(colon + 1, f, err, sizeof err);
        if (!r->e) iot_usage("--rule '%s': %s", t, err);
    }
}

/* ---- per-record work ---- */

static struct iot_fields *F;
static int nkeys, *kidx, *fidx, tidx, aidx;
static struct iot_keytab *tab;
static struct iot_val *vals;
static struct iot_buf kb, tmp;
static size_t slot_size;

enum vstate { V_NUM, V_SKIP, V_BAD };

/* A field value: a JSON number, a numeric string, or null/absent/"NaN" (skipped). */
static enum vstate value_of(const struct iot_val *v, double *x)
{
    switch (v->type) {
    case IOT_J_NUM:
        iot_val_num(v, x);
        return isfinite(*x) ? V_NUM : V_SKIP;
    case IOT_J_ABSENT: case IOT_J_NULL:
        return V_SKIP;
    case IOT_J_STR: {
        iot_buf_reset(&tmp);
        iot_val_str(v, &tmp);
        char *end;
        const char *s = tmp.p ? tmp.p : "";
        *x = strtod(s, &end);
        if (end == s || *end)
            return V_BAD;
        return isnan(*x) ? V_SKIP : isfinite(*x) ? V_NUM : V_BAD;
    }
    default:
        return V_BAD;
    }
}

static const char *alert_type(const struct iot_det_result *r)
{
    if (A.p.method == IOT_DET_CHANGEPOINT) return "changepoint";
    return r->dir > 0 ? "spike" : r->dir < 0 ? "dip" : "anomaly";
}

static const char *det_severity(const struct iot_det_result *r)
{
    const struct iot_det_params *p = &A.p;
    switch (p->method) {
    case IOT_DET_AUTO: return r->score >= 0.9 ? "critical" : "warning";
    case IOT_DET_SPIKEDIP: return r->score <= (1 - p->confidence / 100) / 10 ? "critical" : "warning";
    case IOT_DET_CHANGEPOINT: return "warning";
    default: return fabs(r->score) >= 2 * p->threshold ? "critical" : "warning";
    }
}

static void put_raw_or_null(struct iot_out *o, const struct iot_val *v)
{
    if (v->type == IOT_J_ABSENT) iot_out_puts(o, "null");
    else iot_out_write(o, v->p, v->n);
}

static void alert_head(struct iot_out *o)
{
    iot_out_puts(o, "{\"deviceId\":");
    put_raw_or_null(o, &vals[kidx[0]]);
}

/* Alert times are written as RFC 3339 UTC with milliseconds (epoch numbers read in
 * --time-unit); a time that does not parse is copied as it came, an absent one is null. */
static void put_time_ns(struct iot_out *o, int64_t ns)
{
    char b[48];
    size_t n = iot_time_fmt(ns, b);
    iot_out_putc(o, '"');
    iot_out_write(o, b, n);
    iot_out_putc(o, '"');
}

static void put_time_val(struct iot_out *o, const struct iot_val *v)
{
    int64_t ns;
    const char *why;
    if (v->type != IOT_J_ARR && iot_val_time(v, iot_common.time_unit, &ns, &why) == 0)
        put_time_ns(o, ns);
    else
        put_raw_or_null(o, v);
}

/* Element of a series' time array (iot-window --series writes bin starts as RFC 3339). */
static void put_time_json(struct iot_out *o, const json_t *e)
{
    int64_t ns;
    const char *why;
    char num[40];
    const char *t = NULL;
    size_t n = 0;
    if (json_is_string(e)) {
        t = json_string_value(e);
        n = json_string_length(e);
        if (iot_time_parse(t, n, &ns, &why) == 0) { put_time_ns(o, ns); return; }
    } else if (json_is_integer(e)) {
        n = (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(e));
        t = num;
    } else if (json_is_real(e)) {
        n = (size_t)snprintf(num, sizeof num, "%.17g", json_real_value(e));
        t = num;
    }
    if (t && iot_time_epoch(t, n, iot_common.time_unit, &ns, &why) == 0) { put_time_ns(o, ns); return; }
    if (json_is_string(e)) iot_out_json_str(o, t, n);
    else if (t) iot_out_write(o, t, n);
    else iot_out_puts(o, "null");
}

static void alert_end(struct iot_out *o, const char *severity)
{
    iot_out_puts(o, ",\"severity\":");
    iot_out_json_str(o, severity, strlen(severity));
    iot_out_putc(o, '}');
    iot_out_eol(o);
    iot_stat_add("alerts", 1);
}

static void alert_tail(struct iot_out *o, const char *severity)
{
    iot_out_puts(o, ",\"timestamp\":");
    put_time_val(o, &vals[tidx]);
    alert_end(o, severity);
}

static void emit_rule_alert(struct iot_out *o, const struct rule *r)
{
    alert_head(o);
    iot_out_puts(o, ",\"alertType\":");
    iot_out_json_str(o, r->name, strlen(r->name));
    iot_out_puts(o, ",\"field\":null,\"value\":null,\"score\":null");
    alert_tail(o, r->severity);
}

static const struct rule *match_rule(void)
{
    for (int i = 0; i < A.nrules; i++)
        if (iot_expr_match(A.rules[i].e, vals))
            return &A.rules[i];
    return NULL;
}

/* auto scores lie in [0,1]: written with 6 decimals by integer arithmetic (shortest
 * round-trip printing of a double costs more than the whole detector). */
static void put_unit_score(struct iot_out *o, double s)
{
    long v = lround(s * 1e6);
    if (v <= 0) { iot_out_putc(o, '0'); return; }
    if (v >= 1000000) { iot_out_putc(o, '1'); return; }
    char b[9] = "0.";
    int n = 6;
    while (v % 10 == 0) { v /= 10; n--; }
    for (int i = n; i > 0; i--) { b[1 + i] = (char)('0' + v % 10); v /= 10; }
    iot_out_write(o, b, (size_t)(2 + n));
}

static void put_score(struct iot_out *o, double s)
{
    if (A.p.method == IOT_DET_AUTO) put_unit_score(o, s);
    else iot_out_json_num(o, s);
}

static void put_result(struct iot_out *o, int f, const struct iot_det_result *r, bool have, bool named)
{
    iot_out_puts(o, "{\"score\":");
    if (have) put_score(o, r->score);
    else iot_out_puts(o, "null");
    iot_out_puts(o, r->alert ? ",\"isAnomaly\":true,\"method\":\"" : ",\"isAnomaly\":false,\"method\":\"");
    iot_out_puts(o, iot_det_method_name(A.p.method));
    iot_out_putc(o, '"');
    if (named) {
        iot_out_puts(o, ",\"field\":");
        iot_out_json_str(o, A.fields[f], strlen(A.fields[f]));
    }
}

static void put_rule_member(struct iot_out *o, const struct rule *r)
{
    if (!A.nrules) return;
    iot_out_puts(o, ",\"rule\":");
    if (r) iot_out_json_str(o, r->name, strlen(r->name));
    else iot_out_puts(o, "null");
}

static void detect_record(struct iot_out *o, const char *line, size_t len, const struct iot_src *src)
{
    double x[A.nf ? A.nf : 1];
    enum vstate st[A.nf ? A.nf : 1];
    for (int f = 0; f < A.nf; f++) {
        st[f] = value_of(&vals[fidx[f]], &x[f]);
        if (st[f] == V_BAD) {
            iot_reject(src, line, len, "bad value", "%s: expected a number", A.fields[f]);
            return;
        }
    }
    struct iot_det *dets = NULL;
    if (A.nf) {
        if (!iot_key_build(&kb, vals, kidx, nkeys)) {
            iot_reject(src, line, len, "missing key", "%s: missing key field", iot_common.key);
            return;
        }
        int created;
        dets = iot_keytab_get(tab, kb.p ? kb.p : "", kb.len, &created);
        if (!dets) {
            iot_reject(src, line, len, "too many keys", "more than %lld keys (--max-keys)",
                       (long long)A.max_keys);
            return;
        }
        if (created)
            for (int f = 0; f < A.nf; f++)
                iot_det_init(&dets[f], &A.p);
    }
    struct iot_det_result res[A.nf ? A.nf : 1];
    for (int f = 0; f < A.nf; f++) {
        memset(&res[f], 0, sizeof res[f]);
        if (st[f] == V_NUM)
            iot_det_update(&dets[f], &A.p, x[f], &res[f]);
        else
            iot_stat_add("skipped", 1);
    }
    const struct rule *rule = match_rule();
    if (A.alerts) {
        for (int f = 0; f < A.nf; f++) {
            if (!res[f].alert) continue;
            alert_head(o);
            iot_out_puts(o, ",\"alertType\":");
            iot_out_puts(o, "\"");
            iot_out_puts(o, alert_type(&res[f]));
            iot_out_puts(o, "\",\"field\":");
            iot_out_json_str(o, A.fields[f], strlen(A.fields[f]));
            iot_out_puts(o, ",\"value\":");
            iot_out_json_num(o, x[f]);
            iot_out_puts(o, ",\"score\":");
            put_score(o, res[f].score);
            alert_tail(o, det_severity(&res[f]));
        }
        if (rule) emit_rule_alert(o, rule);
        return;
    }
    const struct iot_val *drop = &vals[aidx];
    int nm = iot_rec_open_edit(o, line, len, &drop, 1);
    iot_rec_member(o, &nm, "anomaly");
    if (A.nf == 1) {
        put_result(o, 0, &res[0], st[0] == V_NUM, true);
        put_rule_member(o, rule);
        iot_out_putc(o, '}');
    } else {
        iot_out_putc(o, '{');
        for (int f = 0; f < A.nf; f++) {
            if (f) iot_out_putc(o, ',');
            iot_out_json_str(o, A.fields[f], strlen(A.fields[f]));
            iot_out_putc(o, ':');
            put_result(o, f, &res[f], st[f] == V_NUM, false);
            iot_out_putc(o, '}');
        }
        if (A.nf == 0) {   /* rules only */
            iot_out_puts(o, rule ? "\"isAnomaly\":true" : "\"isAnomaly\":false");
        }
        put_rule_member(o, rule);
        iot_out_putc(o, '}');
    }
    iot_rec_close(o);
}

/* ---- decompose: one record holds whole series ---- */

static void put_array_num(struct iot_out *o, const double *v, size_t n)
{
    iot_out_putc(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) iot_out_putc(o, ',');
        iot_out_json_num(o, v[i]);
    }
    iot_out_putc(o, ']');
}

static void decompose_record(struct iot_out *o, const char *line, size_t len, const struct iot_src *src)
{
    double *xs[A.nf ? A.nf : 1];
    size_t ns[A.nf ? A.nf : 1];
    int bad = -1;
    for (int f = 0; f < A.nf; f++) {
        xs[f] = NULL;
        ns[f] = 0;
        const struct iot_val *v = &vals[fidx[f]];
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) {
            iot_stat_add("skipped", 1);
            continue;
        }
        json_t *a = v->type == IOT_J_ARR ? json_loadb(v->p, v->n, JSON_DECODE_ANY, NULL) : NULL;
        if (!json_is_array(a)) { json_decref(a); bad = f; break; }
        ns[f] = json_array_size(a);
        xs[f] = iot_xmalloc((ns[f] ? ns[f] : 1) * sizeof(double));
        for (size_t i = 0; i < ns[f]; i++) {
            json_t *e = json_array_get(a, i);
            if (json_is_number(e)) xs[f][i] = json_number_value(e);
            else if (json_is_null(e)) xs[f][i] = NAN;
            else { bad = f; break; }
        }
        json_decref(a);
        if (bad >= 0) break;
    }
    /* the series' time axis: alerts take their element's time from it */
    json_t *times = NULL;
    if (bad < 0 && vals[tidx].type == IOT_J_ARR) {
        times = json_loadb(vals[tidx].p, vals[tidx].n, JSON_DECODE_ANY, NULL);
        for (int f = 0; f < A.nf && bad < 0; f++)
            if (xs[f] && json_array_size(times) != ns[f]) {
                iot_reject(src, line, len, "bad value", "%s: %zu values for %zu times in %s",
                           A.fields[f], ns[f], json_array_size(times), iot_common.time_field);
                bad = -2;
            }
    }
    if (bad != -1) {
        if (bad >= 0)
            iot_reject(src, line, len, "bad value", "%s: expected an array of numbers", A.fields[bad]);
        for (int f = 0; f < A.nf; f++) free(xs[f]);
        json_decref(times);
        return;
    }
    const struct rule *rule = match_rule();
    int nm = 0;
    if (!A.alerts) {
        const struct iot_val *drop = &vals[aidx];
        nm = iot_rec_open_edit(o, line, len, &drop, 1);
        iot_rec_member(o, &nm, "anomaly");
        iot_out_putc(o, '{');
    }
    for (int f = 0; f < A.nf; f++) {
        size_t n = ns[f];
        int *flag = iot_xmalloc((n ? n : 1) * sizeof(int));
        double *score = iot_xmalloc((n ? n : 1) * sizeof(double));
        double *base = iot_xmalloc((n ? n : 1) * sizeof(double));
        int period = xs[f] ? iot_series_decompose_anomalies(xs[f], n, &A.dopt, flag, score, base) : 0;
        if (A.alerts) {
            for (size_t i = 0; i < n; i++) {
                if (!flag[i]) continue;
                alert_head(o);
                iot_out_puts(o, flag[i] > 0 ? ",\"alertType\":\"spike\"" : ",\"alertType\":\"dip\"");
                iot_out_puts(o, ",\"field\":");
                iot_out_json_str(o, A.fields[f], strlen(A.fields[f]));
                iot_out_puts(o, ",\"index\":");
                iot_out_json_int(o, (int64_t)i);
                iot_out_puts(o, ",\"value\":");
                iot_out_json_num(o, xs[f][i]);
                iot_out_puts(o, ",\"score\":");
                iot_out_json_num(o, score[i]);
                const char *sev = fabs(score[i]) >= 2 * A.dopt.k ? "critical" : "warning";
                if (times) {
                    iot_out_puts(o, ",\"timestamp\":");
                    put_time_json(o, json_array_get(times, i));
                    alert_end(o, sev);
                } else {
                    alert_tail(o, sev);
                }
            }
        } else {
            if (A.nf > 1) {
                if (f) iot_out_putc(o, ',');
                iot_out_json_str(o, A.fields[f], strlen(A.fields[f]));
                iot_out_puts(o, ":{");
            }
            iot_out_puts(o, "\"method\":\"decompose\"");
            if (A.nf == 1) {
                iot_out_puts(o, ",\"field\":");
                iot_out_json_str(o, A.fields[f], strlen(A.fields[f]));
            }
            iot_out_puts(o, ",\"period\":");
            iot_out_json_int(o, period);
            iot_out_puts(o, ",\"flags\":[");
            for (size_t i = 0; i < n; i++)
                iot_out_printf(o, i ? ",%d" : "%d", flag[i]);
            iot_out_puts(o, "],\"scores\":");
            put_array_num(o, score, n);
            iot_out_puts(o, ",\"baseline\":");
            put_array_num(o, base, n);
            if (A.nf > 1) iot_out_putc(o, '}');
        }
        free(flag);
        free(score);
        free(base);
        free(xs[f]);
    }
    json_decref(times);
    if (A.alerts) {
        if (rule) emit_rule_alert(o, rule);
        return;
    }
    put_rule_member(o, rule);
    iot_out_putc(o, '}');
    iot_rec_close(o);
}

/* ---- state ---- */

#define STATE_KIND "iot-anomaly"
#define STATE_VERSION 2    /* 2: keys by iot_key_build (42 and "42" differ) */

static json_t *state_config(void)
{
    json_t *f = json_array();
    for (int i = 0; i < A.nf; i++)
        json_array_append_new(f, json_string(A.fields[i]));
    return json_pack("{s:o, s:o, s:s}", "params", iot_det_params_json(&A.p), "fields", f,
                     "key", iot_common.key);
}

static void state_load(void)
{
    json_t *body = iot_state_load(A.state, STATE_KIND, STATE_VERSION);
    if (!body)
        return;
    json_t *cfg = state_config();
    if (!json_equal(cfg, json_object_get(body, "config")))
        iot_die(IOT_EX_DATAERR, "%s: state was saved with other options (method, parameters, "
                "fields or key); remove it or use the same options", A.state);
    json_decref(cfg);
    json_t *series = json_object_get(body, "series");
    size_t i;
    json_t *s;
    json_array_foreach(series, i, s) {
        json_t *k = json_object_get(s, "key"), *d = json_object_get(s, "det");
        if (!json_is_string(k) || !json_is_array(d) || json_array_size(d) != (size_t)A.nf)
            iot_die(IOT_EX_DATAERR, "%s: series %zu: malformed", A.state, i);
        int created;
        struct iot_det *dets = iot_keytab_get(tab, json_string_value(k), json_string_length(k), &created);
        if (!dets)
            iot_die(IOT_EX_DATAERR, "%s: more keys than --max-keys", A.state);
        for (int f = 0; f < A.nf; f++) {
            if (created) iot_det_init(&dets[f], &A.p);
            if (iot_det_load(&dets[f], &A.p, json_array_get(d, (size_t)f)) < 0)
                iot_die(IOT_EX_DATAERR, "%s: series %zu: bad detector state", A.state, i);
        }
    }
    json_decref(body);
}

static void state_save(void)
{
    json_t *series = json_array();
    size_t pos = 0;
    struct iot_det *dets;
    while ((dets = iot_keytab_next(tab, &pos))) {
        size_t kl;
        const char *k = iot_keytab_key(dets, &kl);
        json_t *d = json_array();
        for (int f = 0; f < A.nf; f++)
            json_array_append_new(d, iot_det_save(&dets[f], &A.p));
        json_array_append_new(series, json_pack("{s:s%, s:o}", "key", k, kl, "det", d));
    }
    iot_state_save(A.state, STATE_KIND, STATE_VERSION,
                   json_pack("{s:o, s:o}", "config", state_config(), "series", series));
}

static void free_slot(void *v)
{
    struct iot_det *d = v;
    for (int f = 0; f < A.nf; f++)
        iot_det_free(&d[f], &A.p);
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-anomaly");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    apply_options();

    F = iot_fields_new();
    char **keys = iot_split(iot_common.key, ',', &nkeys);
    kidx = iot_xcalloc((size_t)nkeys, sizeof *kidx);
    for (int k = 0; k < nkeys; k++)
        kidx[k] = iot_fields_add(F, keys[k]);
    tidx = iot_fields_add(F, iot_common.time_field);
    aidx = iot_fields_add(F, "anomaly");
    fidx = iot_xcalloc((size_t)(A.nf ? A.nf : 1), sizeof *fidx);
    for (int f = 0; f < A.nf; f++)
        fidx[f] = iot_fields_add(F, A.fields[f]);
    compile_rules(F);
    vals = iot_xcalloc((size_t)iot_fields_count(F) + 1, sizeof *vals);

    slot_size = (size_t)(A.nf ? A.nf : 1) * sizeof(struct iot_det);
    tab = iot_keytab_new(slot_size, (size_t)A.max_keys);
    if (A.state)
        state_load();

    struct iot_in *in = iot_in_open(argv + optind_, argc - optind_, iot_common.max_line);
    struct iot_out *o = iot_out_std();
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        const char *err;
        if (iot_rec_scan(F, line, len, vals, &err) < 0) {
            iot_reject(&src, line, len, "bad json", "%s", err);
            continue;
        }
        if (A.decompose)
            decompose_record(o, line, len, &src);
        else
            detect_record(o, line, len, &src);
    }
    iot_in_close(in);
    if (A.state)
        state_save();
    int rc = iot_diag_finish();
    iot_keytab_free(tab, free_slot);
    for (int i = 0; i < A.nrules; i++) {
        iot_expr_free(A.rules[i].e);
        free(A.rules[i].name);
    }
    iot_strv_free(keys);
    iot_strv_free(A.fields);
    iot_fields_free(F);
    iot_buf_free(&kb);
    iot_buf_free(&tmp);
    free(vals);
    free(kidx);
    free(fidx);
    return rc;
}
