/* iot-anomaly: per-device anomaly detection and alert rules. Options and wiring; lib/anomaly/anojob.c
 * runs the detectors (detect.c), series decomposition (decompose.c) and rules over the input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "anomaly/anojob.h"
#include "anomaly/mvjob.h"
#include "core/cli.h"
#include "core/diag.h"

enum { O_FIELD = 1, O_METHOD, O_THRESHOLD, O_WINDOW, O_WARMUP, O_ALPHA, O_CONFIDENCE, O_HISTORY,
       O_MODE, O_MART, O_EPSILON, O_SEASON, O_TREND, O_TESTPTS, O_ADMETHOD, O_SEASONTHR,
       O_RULE, O_ALERTS, O_RENOTIFY, O_ABSENT, O_WITH, O_EPISODE, O_ACKS, O_STATE, O_BASELINE, O_LEARN, O_MODEL, O_EXPLAINED, O_HOLD, O_LIMITS, O_MODELBY, O_MAXKEYS };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Detection:", 0 },
    { "field", 'f', IOT_ARG, "FIELD[,FIELD]", "numeric fields to watch, each with its own state per key", O_FIELD },
    { "method", 'm', IOT_ARG, "METHOD", "auto (default), zscore, mad, ewma, spikedip, changepoint, decompose or t2", O_METHOD },
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
    { NULL, 0, 0, NULL, "Condition monitoring (--method t2, one model of all -f fields; --window: median of N, default 5;\n  --confidence: control limits, default 99.9):", 0 },
    { "baseline", 0, IOT_ARG, "N|DURATION", "the first N records or DURATION of each key are healthy: the model's baseline", O_BASELINE },
    { "learn", 0, IOT_ARG, "FILE", "learn one model per key from the whole input, write it to FILE (no output)", O_LEARN },
    { "model", 0, IOT_ARG, "FILE", "score with the models of FILE (--learn; learned with -k none: for every key)", O_MODEL },
    { "model-by", 0, IOT_ARG, "FIELD", "--model: look models up by FIELD (learned with -k FIELD), e.g. deviceType", O_MODELBY },
    { "explained", 0, IOT_ARG, "PCT", "variance the retained principal components explain (default 85)", O_EXPLAINED },
    { "hold", 0, IOT_ARG, "N", "a fault state ends after N records below both limits (default 30)", O_HOLD },
    { "limits", 0, IOT_ARG, "KIND", "longrun (default: components' long-run variances) or iid (rows independent)", O_LIMITS },
    { NULL, 0, 0, NULL, "Rules and output:", 0 },
    { "rule", 'r', IOT_ARG, "'NAME[/SEV]: COND [for D] [clear COND [for D]]'", "alarm rule (repeatable); annotations name the first that matches", O_RULE },
    { "alerts", 'a', IOT_NOARG, NULL, "write only alerts: detector alert records and alarm events (raised, updated, cleared)", O_ALERTS },
    { "renotify", 0, IOT_ARG, "DURATION", "alarms: an 'updated' event every DURATION while active and not acknowledged", O_RENOTIFY },
    { "absent", 0, IOT_ARG, "DURATION", "alarms: DEVICE_SILENT when a key sends nothing for DURATION of event time", O_ABSENT },
    { "acks", 0, IOT_ARG, "FILE", "alarms: acknowledgements {KEY, alarm, timestamp} appended to FILE, followed as it grows", O_ACKS },
    { "episode", 0, IOT_ARG, "DURATION", "detector alerts as ANOMALY alarms, cleared after DURATION without an alert", O_EPISODE },
    { "with", 0, IOT_ARG, "FIELD[,FIELD]", "alarms: copy these fields of the raising record into its events", O_WITH },
    { "state", 's', IOT_ARG, "FILE", "load learned state from FILE if it exists; save it there at the end", O_STATE },
    { "max-keys", 0, IOT_ARG, "N", "at most N keys (devices) in memory; further keys are rejected (default 1000000)", O_MAXKEYS },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    IOT_OPT_APPEND,
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-anomaly", "[OPTION]... [FILE]...",
    "Score each record for anomalies per device and field; annotate it, or emit alert records.",
    "Examples:\n"
    "  iot-anomaly -f temperature,vibration < telemetry.ndjson\n"
    "  iot-anomaly -m spikedip --confidence 95 --history 120 -f temperature --alerts\n"
    "  iot-anomaly --rule 'HOT/warning: temperature > 80 for 30s clear temperature < 75 for 1m' --alerts\n"
    "  iot-anomaly -m decompose -f avg_temperature --alerts series.ndjson\n",
    opts
};

#define MAX_RULES 64

static struct {
    char **fields;
    int nf;
    bool decompose, alerts;
    struct iot_det_params p;
    struct iot_decompose_opts dopt;
    const char *rules_text[MAX_RULES];
    int nrules;
    const char *state, *acks;
    int64_t max_keys, renotify, absent, episode;
    char **with;
    int nwith;
    int method;
    bool mv;
    struct iot_mvjob m;
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
    case O_RENOTIFY: A.renotify = iot_cli_duration("--renotify", arg); break;
    case O_ABSENT: A.absent = iot_cli_duration("--absent", arg); break;
    case O_ACKS: A.acks = arg; break;
    case O_EPISODE: A.episode = iot_cli_duration("--episode", arg); break;
    case O_WITH:
        iot_strv_free(A.with);
        A.with = iot_split(arg, ',', &A.nwith);
        break;
    case O_STATE: A.state = arg; break;
    case O_MAXKEYS: A.max_keys = iot_cli_int("--max-keys", arg, 1, INT32_MAX); break;
    default: raw[id] = arg; break;
    }
}

/* -m t2: the options of mvjob.h, checked here. */
static void mv_options(void)
{
    struct iot_mvjob *m = &A.m;
    *m = (struct iot_mvjob){ .explained = 0.85, .confidence = 0.999, .window = 5, .hold = 30, .longrun = true };
    if (A.nf < 2 || A.nf > 32) iot_usage("--method t2: give 2 to 32 fields (-f a,b,...)");
    if (A.nrules || A.absent || A.episode || A.renotify || A.acks || A.nwith)
        iot_usage("--method t2 does not take --rule, --absent, --episode, --renotify, --acks or --with");
    const char *b = raw[O_BASELINE];
    if (b && strspn(b, "0123456789") == strlen(b)) m->baseline_n = iot_cli_int("--baseline", b, 1, INT64_MAX);
    else if (b) m->baseline_ns = iot_cli_duration("--baseline", b);
    m->learn = raw[O_LEARN], m->model = raw[O_MODEL], m->model_by = raw[O_MODELBY];
    if (!b && !m->learn && !m->model) iot_usage("--method t2: give --baseline N|DURATION, --learn FILE or --model FILE");
    if (m->model_by && !m->model) iot_usage("--model-by needs --model FILE");
    if (m->learn && (b || m->model || A.state || A.alerts))
        iot_usage("--learn takes the whole input as the baseline: not with --baseline, --model, --state or --alerts");
    if (raw[O_EXPLAINED]) m->explained = iot_cli_double("--explained", raw[O_EXPLAINED]) / 100;
    if (!(m->explained > 0 && m->explained <= 1)) iot_usage("--explained must be within (0, 100]");
    if (raw[O_CONFIDENCE]) m->confidence = iot_cli_double("--confidence", raw[O_CONFIDENCE]) / 100;
    if (!(m->confidence >= 0.5 && m->confidence < 1)) iot_usage("--confidence must be within [50, 100) for t2");
    if (raw[O_WINDOW]) m->window = (int)iot_cli_int("--window", raw[O_WINDOW], 1, IOT_MV_MAXWIN);
    if (raw[O_HOLD]) m->hold = (int)iot_cli_int("--hold", raw[O_HOLD], 1, INT32_MAX);
    if (raw[O_LIMITS]) m->longrun = parse_enum("--limits", raw[O_LIMITS], (const char *const[]){ "iid", "longrun" }, 2);
    if (raw[O_THRESHOLD] || raw[O_WARMUP] || raw[O_ALPHA] || raw[O_HISTORY] || raw[O_MODE] || raw[O_SEASON])
        iot_usage("--method t2: only --window, --confidence and the condition monitoring options apply");
}

static void apply_options(void)
{
    A.method = IOT_DET_AUTO;
    if ((A.mv = raw[O_METHOD] && strcmp(raw[O_METHOD], "t2") == 0)) { mv_options(); return; }
    if (raw[O_BASELINE] || raw[O_LEARN] || raw[O_MODEL] || raw[O_EXPLAINED] || raw[O_HOLD] || raw[O_LIMITS] || raw[O_MODELBY])
        iot_usage("--baseline, --learn, --model, --model-by, --explained, --hold, --limits: need --method t2");
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
    if (A.nf == 0 && A.nrules == 0 && A.absent == 0)
        iot_usage("nothing to watch: give -f FIELD, --rule 'NAME: EXPR' or --absent DURATION");
    if ((A.renotify || A.absent || A.nwith || A.episode || A.acks) && !A.alerts)
        iot_usage("--renotify, --absent, --episode, --acks and --with shape alarm events: they need --alerts");
    if ((A.renotify || A.absent || A.nwith || A.episode || A.acks) && A.decompose)
        iot_usage("--renotify, --absent, --episode, --acks and --with do not apply to --method decompose");
    if (A.acks && !A.nrules && !A.episode) iot_usage("--acks: no alarm to acknowledge (give --rule or --episode)");
    if (A.episode && !A.nf) iot_usage("--episode: no detector to make episodes of (give -f FIELD)");
    for (int i = 0; i < A.nf; i++)
        if (!A.fields[i][0]) iot_usage("--field: empty field name");
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-anomaly");
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, NULL);
    apply_options();
    struct iot_anojob j = {
        .fields = A.fields, .nf = A.nf, .decompose = A.decompose, .alerts = A.alerts,
        .det = A.p, .dopt = A.dopt, .rules = A.rules_text, .nrules = A.nrules,
        .state = A.state, .max_keys = A.max_keys, .renotify = A.renotify, .absent = A.absent,
        .episode = A.episode, .acks = A.acks,
        .with = A.with, .nwith = A.nwith, .quiet = iot_diag.quiet,
        .key = iot_common.key, .time_field = iot_common.time_field, .time_unit = iot_common.time_unit,
    };
    if (A.mv) {
        struct iot_mvjob *m = &A.m;
        m->fields = A.fields, m->nf = A.nf, m->alerts = A.alerts, m->quiet = iot_diag.quiet;
        m->state = A.state, m->max_keys = A.max_keys, m->key = iot_common.key;
        m->time_field = iot_common.time_field, m->time_unit = iot_common.time_unit;
        iot_mvjob_run(m, argv + optind_, argc - optind_, iot_common.max_line, iot_out_std());
    } else {
        iot_anojob_run(&j, argv + optind_, argc - optind_, iot_common.max_line, iot_out_std());
    }
    int rc = iot_diag_finish();
    iot_strv_free(A.fields);
    iot_strv_free(A.with);
    return rc;
}
