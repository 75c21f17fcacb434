/* iot-predict: predictive maintenance. train builds model-owned streaming features and fits
 * gradient-boosted trees or a linear model with grouped cross-validation; score runs the same
 * features over a live stream and adds failureProbability or rul; explain prints importances. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "cli.h"
#include "cv.h"
#include "diag.h"
#include "expr.h"
#include "feature.h"
#include "gbdt.h"
#include "in.h"
#include "keytab.h"
#include "linmodel.h"
#include "model.h"
#include "out.h"
#include "rec.h"
#include "state.h"
#include "time.h"

/* Scores are model outputs, not measurements: 6 decimals carry all their meaning and print
 * without a shortest-round-trip search (which cost a third of scoring time). */
#define SCORE_DECIMALS 6

enum { O_LABEL = 1, O_LABEL_FROM, O_HORIZON, O_TASK, O_CAP, O_FEATURES, O_STANDARDIZE,
       O_STD_BY, O_HEALTH, O_RESET_ON, O_LEARNER, O_TREES, O_LR, O_DEPTH, O_MIN_LEAF,
       O_SUBSAMPLE, O_COLSAMPLE, O_L2, O_SEED, O_FOLDS, O_THRESHOLD, O_PROGRESS, O_MODEL,
       O_ALERT, O_COOLDOWN, O_ALERTS_ONLY, O_STATE, O_MAX_KEYS };

static const struct iot_opt opts[] = {
    IOT_OPT_KEY, IOT_OPT_TIME,
    { NULL, 0, 0, NULL, "Training (iot-predict train -o MODEL [FILE]...):", 0 },
    { "label", 0, IOT_ARG, "FIELD", "target field: remaining life (regress) or 0/1, true/false (classify)", O_LABEL },
    { "label-from", 0, IOT_ARG, "COND", "failure records, e.g. 'messageType == \"failure\"': label = fails within --horizon", O_LABEL_FROM },
    { "horizon", 0, IOT_ARG, "DURATION", "with --label-from: how far ahead a failure counts (default 14d)", O_HORIZON },
    { "task", 0, IOT_ARG, "TASK", "classify or regress (default classify with --label-from, else regress)", O_TASK },
    { "cap", 0, IOT_ARG, "X", "regress: clip the label at X (e.g. remaining life)", O_CAP },
    { "features", 0, IOT_ARG, "SPEC|FILE", "feature spec (see iot-predict(1)) or a JSON spec file; default auto", O_FEATURES },
    { "standardize", 0, IOT_NOARG, NULL, "standardise the input fields by their training mean and sd", O_STANDARDIZE },
    { "standardize-by", 0, IOT_ARG, "FIELD[,FIELD]", "standardise per operating-condition group (implies --standardize)", O_STD_BY },
    { "health", 0, IOT_NOARG, NULL, "add a health-index channel: first principal component of the standardised fields", O_HEALTH },
    { "reset-on", 0, IOT_ARG, "COND", "records that reset expanding features and counters, e.g. maintenance", O_RESET_ON },
    { "learner", 0, IOT_ARG, "NAME", "gbdt (default) or linear (L2 logistic / ridge regression)", O_LEARNER },
    { "trees", 0, IOT_ARG, "N", "gbdt: number of trees (default 400)", O_TREES },
    { "learning-rate", 0, IOT_ARG, "X", "gbdt: shrinkage (default 0.05)", O_LR },
    { "depth", 0, IOT_ARG, "N", "gbdt: tree depth 1..10 (default 4)", O_DEPTH },
    { "min-leaf", 0, IOT_ARG, "N", "gbdt: minimum rows in a leaf (default 20)", O_MIN_LEAF },
    { "subsample", 0, IOT_ARG, "X", "gbdt: share of rows drawn per tree (default 0.8)", O_SUBSAMPLE },
    { "colsample", 0, IOT_ARG, "X", "gbdt: share of features drawn per tree (default 1)", O_COLSAMPLE },
    { "l2", 0, IOT_ARG, "X", "L2 penalty: gbdt leaf values (default 1), linear weights (default 0.01)", O_L2 },
    { "seed", 0, IOT_ARG, "N", "random seed for sampling and folds (default 1)", O_SEED },
    { "folds", 0, IOT_ARG, "K", "k-fold cross-validation grouped by key; 0 = none (default 5)", O_FOLDS },
    { "threshold", 0, IOT_ARG, "P", "classify: decision threshold (default: best F1 in cross-validation, else 0.5)", O_THRESHOLD },
    { "progress", 0, IOT_NOARG, NULL, "show training progress on standard error when it is a terminal", O_PROGRESS },
    { NULL, 0, 0, NULL, "Scoring (iot-predict score -m MODEL [FILE]...), explain (-m MODEL):", 0 },
    { "model", 'm', IOT_ARG, "FILE", "the model file", O_MODEL },
    { "alert", 0, IOT_ARG, "X", "emit a work-order record when probability >= X (regress: rul <= X)", O_ALERT },
    { "cooldown", 0, IOT_ARG, "DURATION", "at most one alert per key within DURATION (default 1d)", O_COOLDOWN },
    { "alerts-only", 0, IOT_NOARG, NULL, "write only the alert records", O_ALERTS_ONLY },
    { "state", 0, IOT_ARG, "FILE", "keep per-key feature state in FILE across runs", O_STATE },
    { "max-keys", 0, IOT_ARG, "N", "at most N keys in memory (default 1000000)", O_MAX_KEYS },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-predict", "train|score|explain [OPTION]... [FILE]...",
    "Predictive maintenance: streaming features, gradient-boosted trees, grouped validation, live scoring.",
    "Examples:\n"
    "  iot-predict train --label _rul --task regress --cap 1209600 -o m.json fleet.ndjson\n"
    "  iot-predict train --label-from 'messageType == \"failure\"' --horizon 14d \\\n"
    "      --reset-on 'messageType == \"maintenance\"' -o m.json fleet.ndjson\n"
    "  iot-sim --live | iot-predict score -m m.json --alert 0.8\n"
    "  iot-predict explain -m m.json",
    opts
};

static struct {
    const char *label, *label_from, *features, *std_by, *reset_on, *model, *state;
    int64_t horizon, cooldown;
    int task;               /* -1 auto, 0 regress, 1 classify */
    double cap, threshold, alert, l2;
    bool standardize, health, progress, alerts_only, linear, l2_set, alert_set;
    int folds;
    int64_t max_keys;
    struct iot_gbdt_params gp;
} P = { .horizon = 14 * 86400 * IOT_NS_PER_S, .cooldown = 86400 * IOT_NS_PER_S, .task = -1,
        .cap = NAN, .threshold = NAN, .folds = 5, .max_keys = 1000000 };

static void on_opt(int id, const char *arg, void *ctx)
{
    (void)ctx;
    switch (id) {
    case O_LABEL: P.label = arg; break;
    case O_LABEL_FROM: P.label_from = arg; break;
    case O_HORIZON: P.horizon = iot_cli_duration("--horizon", arg); break;
    case O_TASK:
        if (strcmp(arg, "classify") == 0) P.task = 1;
        else if (strcmp(arg, "regress") == 0) P.task = 0;
        else iot_usage("--task: expected classify or regress, not '%s'", arg);
        break;
    case O_CAP: P.cap = iot_cli_double("--cap", arg); break;
    case O_FEATURES: P.features = arg; break;
    case O_STANDARDIZE: P.standardize = true; break;
    case O_STD_BY: P.std_by = arg; P.standardize = true; break;
    case O_HEALTH: P.health = true; break;
    case O_RESET_ON: P.reset_on = arg; break;
    case O_LEARNER:
        if (strcmp(arg, "gbdt") == 0) P.linear = false;
        else if (strcmp(arg, "linear") == 0) P.linear = true;
        else iot_usage("--learner: expected gbdt or linear, not '%s'", arg);
        break;
    case O_TREES: P.gp.n_trees = (int)iot_cli_int("--trees", arg, 1, 100000); break;
    case O_LR: P.gp.lr = iot_cli_double("--learning-rate", arg);
        if (!(P.gp.lr > 0 && P.gp.lr <= 1)) iot_usage("--learning-rate: expected 0 < X <= 1");
        break;
    case O_DEPTH: P.gp.max_depth = (int)iot_cli_int("--depth", arg, 1, IOT_GBDT_MAX_DEPTH); break;
    case O_MIN_LEAF: P.gp.min_leaf = (int)iot_cli_int("--min-leaf", arg, 1, INT32_MAX); break;
    case O_SUBSAMPLE: P.gp.subsample = iot_cli_double("--subsample", arg);
        if (!(P.gp.subsample > 0 && P.gp.subsample <= 1)) iot_usage("--subsample: expected 0 < X <= 1");
        break;
    case O_COLSAMPLE: P.gp.colsample = iot_cli_double("--colsample", arg);
        if (!(P.gp.colsample > 0 && P.gp.colsample <= 1)) iot_usage("--colsample: expected 0 < X <= 1");
        break;
    case O_L2: P.l2 = iot_cli_double("--l2", arg); P.l2_set = true;
        if (!(P.l2 >= 0)) iot_usage("--l2: expected X >= 0");
        break;
    case O_SEED: P.gp.seed = (uint64_t)iot_cli_int("--seed", arg, 0, INT64_MAX); break;
    case O_FOLDS: P.folds = (int)iot_cli_int("--folds", arg, 0, 100);
        if (P.folds == 1) iot_usage("--folds: expected 0 (none) or at least 2");
        break;
    case O_THRESHOLD: P.threshold = iot_cli_double("--threshold", arg); break;
    case O_PROGRESS: P.progress = true; break;
    case O_MODEL: P.model = arg; break;
    case O_ALERT: P.alert = iot_cli_double("--alert", arg); P.alert_set = true; break;
    case O_COOLDOWN: P.cooldown = iot_cli_duration("--cooldown", arg); break;
    case O_ALERTS_ONLY: P.alerts_only = true; break;
    case O_STATE: P.state = arg; break;
    case O_MAX_KEYS: P.max_keys = iot_cli_int("--max-keys", arg, 1, INT64_MAX); break;
    }
}

/* ---- record access shared by train and score ---- */

static struct iot_fields *F;
static struct iot_val *vals;
static int nkeys, *kidx, tidx, lidx = -1, *fidx, *gidx;
static char **keys;
static struct iot_expr *reset_e, *fail_e;
static struct iot_buf kb, gb;

enum { R_TELEMETRY, R_RESET, R_FAILURE };

static struct iot_expr *compile(const char *opt, const char *text)
{
    if (!text)
        return NULL;
    char err[256];
    struct iot_expr *e = iot_expr_compile(text, F, err, sizeof err);
    if (!e)
        iot_usage("%s: %s", opt, err);
    return e;
}

static void setup_fields(const struct iot_featspec *s, const char *label, const char *reset_on,
                         const char *label_from)
{
    F = iot_fields_new();
    keys = iot_split(iot_common.key, ',', &nkeys);
    kidx = iot_xcalloc((size_t)nkeys, sizeof *kidx);
    for (int k = 0; k < nkeys; k++)
        kidx[k] = iot_fields_add(F, keys[k]);
    tidx = iot_fields_add(F, iot_common.time_field);
    if (label)
        lidx = iot_fields_add(F, label);
    fidx = iot_xcalloc((size_t)s->nfields + 1, sizeof *fidx);
    for (int j = 0; j < s->nfields; j++)
        fidx[j] = iot_fields_add(F, s->fields[j]);
    gidx = iot_xcalloc((size_t)s->ngroupby + 1, sizeof *gidx);
    for (int j = 0; j < s->ngroupby; j++)
        gidx[j] = iot_fields_add(F, s->groupby[j]);
    reset_e = compile("--reset-on", reset_on);
    fail_e = compile("--label-from", label_from);
    vals = iot_xcalloc((size_t)iot_fields_count(F) + 1, sizeof *vals);
}

/* Scans a line: key into kb, time, kind, raw values x. Returns 0, or -1 after rejecting it. */
static int read_record(const char *line, size_t len, const struct iot_src *src,
                       const struct iot_featspec *s, int64_t *t, int *kind, double *x)
{
    const char *err;
    if (iot_rec_scan(F, line, len, vals, &err) < 0) {
        iot_reject(src, line, len, "bad json", "%s", err);
        return -1;
    }
    iot_buf_reset(&kb);
    bool any = false;
    for (int k = 0; k < nkeys; k++) {
        if (k) iot_buf_addc(&kb, '\x1f');
        if (vals[kidx[k]].type != IOT_J_ABSENT && vals[kidx[k]].type != IOT_J_NULL) any = true;
        iot_val_key(&vals[kidx[k]], &kb);
    }
    if (!any) {
        iot_reject(src, line, len, "missing key", "%s: missing key field", iot_common.key);
        return -1;
    }
    const char *why;
    if (vals[tidx].type == IOT_J_ABSENT) {
        iot_reject(src, line, len, "missing time", "%s: missing time field", iot_common.time_field);
        return -1;
    }
    if (iot_val_time(&vals[tidx], iot_common.time_unit, t, &why) < 0) {
        iot_reject(src, line, len, "bad time", "%s: %s", iot_common.time_field, why);
        return -1;
    }
    *kind = reset_e && iot_expr_match(reset_e, vals) ? R_RESET :
            fail_e && iot_expr_match(fail_e, vals) ? R_FAILURE : R_TELEMETRY;
    if (*kind != R_TELEMETRY)
        return 0;
    for (int j = 0; j < s->nfields; j++) {
        const struct iot_val *v = &vals[fidx[j]];
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) {
            x[j] = NAN;
        } else if (iot_val_num(v, &x[j]) < 0) {
            iot_reject(src, line, len, "bad value", "%s: expected a number", s->fields[j]);
            return -1;
        }
    }
    iot_buf_reset(&gb);
    for (int j = 0; j < s->ngroupby; j++) {
        if (j) iot_buf_addc(&gb, '\x1f');
        iot_val_key(&vals[gidx[j]], &gb);
    }
    return 0;
}

/* ---- progress (terminal only, at most 5 updates a second) ---- */

static int64_t prog_last;
static const char *prog_what;
static void progress(int done, int total, void *ctx)
{
    (void)ctx;
    int64_t now = iot_time_mono();
    if (done != total && now - prog_last < 200 * IOT_NS_PER_MS)
        return;
    prog_last = now;
    fprintf(stderr, "\r%s: tree %d/%d%s", prog_what, done, total, done == total ? "\n" : "");
}

/* ---- train ---- */

struct row { int32_t key, group; int64_t t; uint8_t kind; double y; };

static struct {
    struct row *r;
    double *x;
    size_t n, cap;
    int nf;
} D;

static struct iot_keytab *keyid, *groupid;
static char **group_names;
static int ngroups_seen;
static uint64_t digest = 0xcbf29ce484222325ULL;
static int64_t digest_bytes;

static void digest_add(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        digest ^= (unsigned char)p[i];
        digest *= 0x100000001b3ULL;
    }
    digest ^= '\n';
    digest *= 0x100000001b3ULL;
    digest_bytes += (int64_t)n + 1;
}

static int intern(struct iot_keytab *t, const char *k, size_t n, int *count, char ***names)
{
    int created;
    int *v = iot_keytab_get(t, k, n, &created);
    if (!v)
        iot_die(IOT_EX_DATAERR, "more than %lld keys or groups (--max-keys)", (long long)P.max_keys);
    if (created) {
        *v = (*count)++;
        if (names) {
            *names = iot_xrealloc(*names, (size_t)*count * sizeof **names);
            char *c = iot_xmalloc(n + 1);
            memcpy(c, k, n);
            c[n] = 0;
            (*names)[*v] = c;
        }
    }
    return *v;
}

static int nkeys_seen;

static void train_line(const char *line, size_t len, const struct iot_src *src,
                       const struct iot_featspec *s, bool classify)
{
    int64_t t;
    int kind;
    double x[s->nfields + 1];
    digest_add(line, len);
    if (read_record(line, len, src, s, &t, &kind, x) < 0)
        return;
    double y = NAN;
    if (kind == R_TELEMETRY && lidx >= 0) {
        const struct iot_val *v = &vals[lidx];
        if (v->type == IOT_J_TRUE || v->type == IOT_J_FALSE) {
            y = v->type == IOT_J_TRUE;
        } else if (v->type == IOT_J_NUM) {
            iot_val_num(v, &y);
            if (classify && y != 0 && y != 1) {
                iot_reject(src, line, len, "bad label", "%s: expected 0 or 1 for --task classify", P.label);
                return;
            }
            if (!isnan(P.cap) && y > P.cap)
                y = P.cap;
        } else if (v->type != IOT_J_ABSENT && v->type != IOT_J_NULL) {
            iot_reject(src, line, len, "bad label", "%s: expected a number", P.label);
            return;
        }
    }
    if (D.n == D.cap) {
        D.cap = D.cap ? 2 * D.cap : 4096;
        D.r = iot_xrealloc(D.r, D.cap * sizeof *D.r);
        D.x = iot_xrealloc(D.x, D.cap * (size_t)(D.nf ? D.nf : 1) * sizeof *D.x);
    }
    struct row *r = &D.r[D.n];
    r->key = intern(keyid, kb.p ? kb.p : "", kb.len, &nkeys_seen, NULL);
    r->group = s->ngroupby ? intern(groupid, gb.p ? gb.p : "", gb.len, &ngroups_seen, &group_names) : -1;
    r->t = t;
    r->kind = (uint8_t)kind;
    r->y = y;
    for (int j = 0; j < D.nf; j++)
        D.x[D.n * D.nf + j] = kind == R_TELEMETRY ? x[j] : NAN;
    D.n++;
}

/* --features auto: numeric top-level members of the first lines, in order of appearance,
 * except the key, time, label, grouping fields and fields starting with '_' (ground truth). */
static char **discover(char **lines, size_t n, int *count)
{
    char **names = NULL;
    int nn = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_loads(lines[i], JSON_DECODE_ANY, NULL);
        if (!json_is_object(j)) { json_decref(j); continue; }
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) {
            if (!json_is_number(v) || k[0] == '_' || strcmp(k, iot_common.time_field) == 0 ||
                (P.label && strcmp(k, P.label) == 0))
                continue;
            bool skip = false;
            for (int q = 0; q < nkeys && !skip; q++) skip = strcmp(k, keys[q]) == 0;
            for (int q = 0; q < nn && !skip; q++) skip = strcmp(k, names[q]) == 0;
            if (P.std_by) {
                int nb;
                char **by = iot_split(P.std_by, ',', &nb);
                for (int q = 0; q < nb && !skip; q++) skip = strcmp(k, by[q]) == 0;
                iot_strv_free(by);
            }
            if (skip) continue;
            names = iot_xrealloc(names, (size_t)(nn + 2) * sizeof *names);
            names[nn++] = iot_xstrdup(k);
            names[nn] = NULL;
        }
        json_decref(j);
    }
    *count = nn;
    return names;
}

struct learned { struct iot_gbdt *g; struct iot_linmodel *l; };

static struct learned learn(const float *X, size_t n, int p, const double *y, bool classify,
                            const char *what)
{
    struct learned L = { 0 };
    const char *err = NULL;
    prog_what = what;
    if (P.linear) {
        L.l = iot_linmodel_train(X, n, p, y, classify, P.l2_set ? P.l2 : 0.01, &err);
    } else {
        struct iot_gbdt_params gp = P.gp;
        gp.loss = classify ? IOT_LOSS_LOGLOSS : IOT_LOSS_SQUARED;
        if (P.l2_set) gp.lambda = P.l2;
        bool tty = P.progress && isatty(2);
        L.g = iot_gbdt_train(X, n, p, y, &gp, tty ? progress : NULL, NULL, &err);
    }
    if (!L.g && !L.l)
        iot_die(IOT_EX_DATAERR, "cannot train: %s", err);
    return L;
}

static double predict_l(const struct learned *L, const float *x)
{
    return L->g ? iot_gbdt_predict(L->g, x) : iot_linmodel_predict(L->l, x);
}

static json_t *metrics_obj(json_t *o, const double *y, const double *p, size_t n, bool classify,
                           double thr)
{
    if (classify) {
        struct iot_cls_metrics c = iot_metric_cls(y, p, n, thr);
        json_object_set_new(o, "auc", iot_json_real(iot_metric_auc(y, p, n)));
        json_object_set_new(o, "precision", iot_json_real(c.precision));
        json_object_set_new(o, "recall", iot_json_real(c.recall));
        json_object_set_new(o, "f1", iot_json_real(c.f1));
        json_object_set_new(o, "threshold", iot_json_real(thr));
        json_object_set_new(o, "positives", json_integer((json_int_t)(c.tp + c.fn)));
    } else {
        json_object_set_new(o, "rmse", iot_json_real(iot_metric_rmse(y, p, n)));
        json_object_set_new(o, "mae", iot_json_real(iot_metric_mae(y, p, n)));
    }
    return o;
}

static void print_json(struct iot_out *o, json_t *j)
{
    char *s = json_dumps(j, JSON_REAL_PRECISION(6) | JSON_COMPACT | JSON_PRESERVE_ORDER);
    iot_out_puts(o, s);
    iot_out_eol(o);
    free(s);
}

static int cmd_train(int argc, char **argv)
{
    if (!iot_common.output)
        iot_usage("train: the model file is needed (-o MODEL)");
    if (!P.label == !P.label_from)
        iot_usage("train: give --label FIELD or --label-from COND (one of them)");
    bool classify = P.task >= 0 ? P.task == 1 : P.label_from != NULL;
    if (P.label_from && !classify)
        iot_usage("--label-from makes a classification label; drop --task regress");
    if (!isnan(P.cap) && classify)
        iot_usage("--cap applies to --task regress");

    struct iot_featspec *s = NULL;
    bool is_auto = !P.features || strcmp(P.features, "auto") == 0;
    char err[256];
    if (!is_auto) {
        if (!strchr(P.features, '(') && access(P.features, R_OK) == 0) {
            json_error_t je;
            json_t *j = json_load_file(P.features, 0, &je);
            if (!j)
                iot_die(IOT_EX_DATAERR, "%s: line %d: %s", P.features, je.line, je.text);
            s = iot_featspec_from_json(j, err, sizeof err);
            json_decref(j);
            if (!s)
                iot_die(IOT_EX_DATAERR, "%s: %s", P.features, err);
        } else if (!(s = iot_featspec_parse(P.features, err, sizeof err))) {
            iot_usage("--features: %s", err);
        }
    }

    struct iot_in *in = iot_in_open(argv, argc, iot_common.max_line);
    char *line;
    size_t len;
    struct iot_src src;
    /* auto: look at the first lines for numeric fields, keeping them to train on */
    enum { PEEK = 1000 };
    char **held = NULL;
    struct iot_src *held_src = NULL;
    size_t nheld = 0;
    if (is_auto) {
        held = iot_xcalloc(PEEK, sizeof *held);
        held_src = iot_xcalloc(PEEK, sizeof *held_src);
        while (nheld < PEEK && !iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
            held[nheld] = iot_xmalloc(len + 1);
            memcpy(held[nheld], line, len + 1);
            held_src[nheld] = src;
            held_src[nheld].file = iot_xstrdup(src.file);
            nheld++;
        }
        int nf;
        char **fields = discover(held, nheld, &nf);
        s = iot_featspec_auto(fields, nf, P.reset_on != NULL, P.health);
        for (int i = 0; i < nf; i++) free(fields[i]);
        free(fields);
    }
    if (P.health) s->health = true;
    if (P.standardize || P.health) s->standardize = P.standardize || s->standardize;
    if (P.std_by) {
        s->groupby = iot_split(P.std_by, ',', &s->ngroupby);
        s->standardize = true;
    }
    if (s->nfields == 0 && s->nfeat == 0)
        iot_die(IOT_EX_DATAERR, "no numeric fields to build features from");
    setup_fields(s, P.label, P.reset_on, P.label_from);
    D.nf = s->nfields;
    keyid = iot_keytab_new(sizeof(int), (size_t)P.max_keys);
    groupid = iot_keytab_new(sizeof(int), 0);
    for (size_t i = 0; i < nheld; i++) {
        train_line(held[i], strlen(held[i]), &held_src[i], s, classify);
    }
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src))
        train_line(line, len, &src, s, classify);
    iot_in_close(in);

    /* labels from failure records: fails within the horizon; rows whose future is shorter than
     * the horizon and holds no failure are censored (unknown), not negatives */
    if (P.label_from) {
        int64_t *next_fail = iot_xmalloc((size_t)(nkeys_seen + 1) * sizeof *next_fail);
        int64_t *last_seen = iot_xmalloc((size_t)(nkeys_seen + 1) * sizeof *last_seen);
        for (int k = 0; k < nkeys_seen; k++) { next_fail[k] = INT64_MAX; last_seen[k] = INT64_MIN; }
        int64_t censored = 0;
        for (size_t i = D.n; i-- > 0;) {
            struct row *r = &D.r[i];
            if (last_seen[r->key] == INT64_MIN) last_seen[r->key] = r->t;
            if (r->kind == R_FAILURE) { next_fail[r->key] = r->t; continue; }
            if (r->kind != R_TELEMETRY) continue;
            if (next_fail[r->key] != INT64_MAX && next_fail[r->key] - r->t <= P.horizon) r->y = 1;
            else if (last_seen[r->key] - r->t >= P.horizon) r->y = 0;
            else { r->y = NAN; censored++; }
        }
        iot_stat_add("censored", censored);
        free(next_fail); free(last_seen);
    }

    /* constant or empty fields are dropped (auto), then standardisation and health are fitted */
    size_t ntel = 0;
    for (size_t i = 0; i < D.n; i++) ntel += D.r[i].kind == R_TELEMETRY;
    double *Xt = iot_xmalloc((ntel + 1) * (size_t)(D.nf ? D.nf : 1) * sizeof *Xt);
    const char **gk = iot_xcalloc(ntel + 1, sizeof *gk);
    for (size_t i = 0, q = 0; i < D.n; i++)
        if (D.r[i].kind == R_TELEMETRY) {
            memcpy(Xt + q * D.nf, D.x + i * D.nf, (size_t)D.nf * sizeof *Xt);
            gk[q++] = D.r[i].group >= 0 ? group_names[D.r[i].group] : NULL;
        }
    if (is_auto && D.nf > 0) {
        double *sd = iot_xmalloc((size_t)D.nf * sizeof *sd);
        bool *keep = iot_xmalloc((size_t)D.nf * sizeof *keep);
        iot_featspec_field_sd(s, Xt, ntel, sd);
        int kept = 0;
        for (int j = 0; j < D.nf; j++) kept += keep[j] = sd[j] > 0;
        if (kept < D.nf) {
            /* compact the stored values to the kept columns */
            int nf0 = D.nf;
            for (size_t i = 0; i < D.n; i++)
                for (int j = 0, c = 0; j < nf0; j++)
                    if (keep[j]) D.x[i * kept + c++] = D.x[i * nf0 + j];
            for (size_t i = 0; i < ntel; i++)
                for (int j = 0, c = 0; j < nf0; j++)
                    if (keep[j]) Xt[i * kept + c++] = Xt[i * nf0 + j];
            iot_featspec_prune(s, keep);
            D.nf = kept;
        }
        free(sd); free(keep);
    }
    iot_featspec_fit(s, Xt, ntel, gk, NULL);
    free(Xt); free(gk);
    const int p = s->nfeat;
    if (p == 0)
        iot_die(IOT_EX_DATAERR, "no features left (every field is constant or missing)");

    /* features, in input order, per key */
    struct iot_featstate **st = iot_xcalloc((size_t)nkeys_seen + 1, sizeof *st);
    size_t n = 0;
    for (size_t i = 0; i < D.n; i++)
        n += D.r[i].kind == R_TELEMETRY && !isnan(D.r[i].y);
    if (n == 0)
        iot_die(IOT_EX_DATAERR, "no labelled rows to train on");
    float *X = iot_xmalloc(n * (size_t)p * sizeof *X);
    double *y = iot_xmalloc(n * sizeof *y);
    int *rk = iot_xmalloc(n * sizeof *rk);
    float *tmp = iot_xmalloc((size_t)p * sizeof *tmp);
    for (size_t i = 0, q = 0; i < D.n; i++) {
        struct row *r = &D.r[i];
        if (!st[r->key]) st[r->key] = iot_featstate_new(s);
        if (r->kind == R_RESET) { iot_featstate_reset(s, st[r->key], r->t); continue; }
        if (r->kind != R_TELEMETRY) continue;
        int g = r->group >= 0 ? iot_featspec_group(s, group_names[r->group], strlen(group_names[r->group])) : 0;
        bool use = !isnan(r->y);
        iot_feat_update(s, st[r->key], r->t, D.x + i * D.nf, g, use ? X + q * p : tmp);
        if (use) { y[q] = r->y; rk[q] = r->key; q++; }
    }
    for (int k = 0; k < nkeys_seen; k++) iot_featstate_free(st[k]);
    free(st); free(tmp);
    if (classify) {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) pos += y[i] > 0.5;
        if (pos == 0 || pos == n)
            iot_die(IOT_EX_DATAERR, "the label has one class only (%zu of %zu rows positive)", pos, n);
    }

    /* grouped cross-validation */
    struct iot_out *rep = iot_out_open("-", 0);
    json_t *metrics = json_object();
    double threshold = isnan(P.threshold) ? 0.5 : P.threshold;
    int K = P.folds;
    int groups_with_rows = 0;
    size_t *grows = iot_xcalloc((size_t)nkeys_seen + 1, sizeof *grows);
    for (size_t i = 0; i < n; i++) groups_with_rows += grows[rk[i]]++ == 0;
    if (K > groups_with_rows) {
        if (!iot_diag.quiet)
            iot_warn("only %d keys with labelled rows: cross-validation %s", groups_with_rows,
                     groups_with_rows >= 2 ? "uses one fold per key" : "skipped");
        K = groups_with_rows >= 2 ? groups_with_rows : 0;
    }
    if (K >= 2) {
        int *fold = iot_xmalloc((size_t)(nkeys_seen + 1) * sizeof *fold);
        iot_cv_folds(grows, nkeys_seen, K, P.gp.seed, fold);
        double *oof = iot_xmalloc(n * sizeof *oof);
        float *Xtr = iot_xmalloc(n * (size_t)p * sizeof *Xtr);
        double *ytr = iot_xmalloc(n * sizeof *ytr);
        json_t *folds = json_array();
        for (int f = 0; f < K; f++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (fold[rk[i]] != f) {
                    memcpy(Xtr + m * p, X + i * p, (size_t)p * sizeof *X);
                    ytr[m++] = y[i];
                }
            char what[32];
            snprintf(what, sizeof what, "fold %d/%d", f + 1, K);
            if (classify) {
                size_t pos = 0;
                for (size_t i = 0; i < m; i++) pos += ytr[i] > 0.5;
                if (pos == 0 || pos == m) {     /* a one-class fold: predict its base rate */
                    for (size_t i = 0; i < n; i++) if (fold[rk[i]] == f) oof[i] = (double)pos / (double)m;
                    continue;
                }
            }
            struct learned L = learn(Xtr, m, p, ytr, classify, what);
            for (size_t i = 0; i < n; i++)
                if (fold[rk[i]] == f) oof[i] = predict_l(&L, X + i * p);
            iot_gbdt_free(L.g);
            iot_linmodel_free(L.l);
        }
        if (classify && isnan(P.threshold))
            threshold = iot_best_f1_threshold(y, oof, n);
        double *fy = iot_xmalloc(n * sizeof *fy), *fp = iot_xmalloc(n * sizeof *fp);
        for (int f = 0; f < K; f++) {
            size_t m = 0;
            int keys_in = 0;
            for (int k = 0; k < nkeys_seen; k++) keys_in += fold[k] == f && grows[k] > 0;
            for (size_t i = 0; i < n; i++)
                if (fold[rk[i]] == f) { fy[m] = y[i]; fp[m++] = oof[i]; }
            json_t *o = json_pack("{s:i,s:I,s:i}", "fold", f + 1, "rows", (json_int_t)m, "keys", keys_in);
            metrics_obj(o, fy, fp, m, classify, threshold);
            print_json(rep, o);
            json_array_append_new(folds, o);
        }
        json_t *all = json_pack("{s:s,s:I,s:i}", "fold", "all", "rows", (json_int_t)n, "keys", groups_with_rows);
        metrics_obj(all, y, oof, n, classify, threshold);
        print_json(rep, all);
        json_object_set_new(metrics, "folds", folds);
        json_object_set_new(metrics, "overall", all);
        free(fy); free(fp); free(fold); free(oof); free(Xtr); free(ytr);
    }
    free(grows);

    struct learned L = learn(X, n, p, y, classify, "model");
    struct iot_model M = {
        .classify = classify, .label = (char *)P.label, .label_from = (char *)P.label_from,
        .reset_on = (char *)P.reset_on, .key = (char *)iot_common.key,
        .time_field = (char *)iot_common.time_field,
        .output = classify ? "failureProbability" : "rul", .horizon = P.horizon, .cap = P.cap,
        .threshold = threshold, .spec = s, .gbdt = L.g, .lin = L.l, .metrics = metrics,
    };
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)digest);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) pos += y[i] > 0.5;
    M.data = json_pack("{s:s,s:I,s:I,s:I,s:I,s:i}", "fnv1a64", hex, "bytes", (json_int_t)digest_bytes,
                       "records", (json_int_t)D.n, "rows", (json_int_t)n,
                       "positives", (json_int_t)(classify ? pos : 0), "keys", nkeys_seen);
    iot_model_save(&M, iot_common.output);
    iot_stat_add("training_rows", (int64_t)n);
    iot_stat_add("features", p);
    json_decref(metrics);
    json_decref(M.data);
    iot_gbdt_free(L.g);
    iot_linmodel_free(L.l);
    free(X); free(y); free(rk); free(D.r); free(D.x);
    for (size_t i = 0; i < nheld; i++) { free(held[i]); free((char *)held_src[i].file); }
    free(held); free(held_src);
    for (int g = 0; g < ngroups_seen; g++) free(group_names[g]);
    free(group_names);
    iot_keytab_free(keyid, NULL);
    iot_keytab_free(groupid, NULL);
    iot_featspec_free(s);
    int rc = iot_diag_finish();
    return rc;
}

/* ---- score ---- */

#define STATE_KIND "iot-predict"
#define STATE_VERSION 1

struct kst { struct iot_featstate *st; int64_t last_alert; bool alerted; };

static struct iot_model *M;
static struct iot_keytab *tab;

static void free_kst(void *v) { iot_featstate_free(((struct kst *)v)->st); }

static json_t *spec_names(void)
{
    json_t *a = json_array();
    for (int i = 0; i < M->spec->nfeat; i++)
        json_array_append_new(a, json_string(M->spec->feat[i].name));
    return a;
}

static void state_load(void)
{
    json_t *body = iot_state_load(P.state, STATE_KIND, STATE_VERSION);
    if (!body)
        return;
    json_t *names = spec_names();
    bool same = json_equal(names, json_object_get(body, "features"));
    json_decref(names);
    if (!same)
        iot_die(IOT_EX_DATAERR, "%s: state was written for another feature spec (retrain or remove it)", P.state);
    json_t *ks = json_object_get(body, "keys");
    size_t i;
    json_t *e;
    json_array_foreach(ks, i, e) {
        json_t *k = json_array_get(e, 0), *f = json_array_get(e, 1), *a = json_array_get(e, 2);
        int created;
        struct kst *v;
        if (!json_is_string(k) || !(v = iot_keytab_get(tab, json_string_value(k), json_string_length(k), &created)))
            iot_die(IOT_EX_DATAERR, "%s: malformed state (key %zu)", P.state, i);
        v->st = iot_featstate_new(M->spec);
        if (iot_featstate_from_json(M->spec, v->st, f) < 0)
            iot_die(IOT_EX_DATAERR, "%s: malformed state (key %zu)", P.state, i);
        v->alerted = json_is_integer(a);
        v->last_alert = v->alerted ? json_integer_value(a) : 0;
    }
    json_decref(body);
}

static void state_save(void)
{
    json_t *body = json_object(), *ks = json_array();
    json_object_set_new(body, "features", spec_names());
    size_t pos = 0;
    struct kst *v;
    while ((v = iot_keytab_next(tab, &pos))) {
        size_t kl;
        const char *k = iot_keytab_key(v, &kl);
        json_array_append_new(ks, json_pack("[s#,o,o]", k, kl, iot_featstate_to_json(M->spec, v->st),
                                            v->alerted ? json_integer(v->last_alert) : json_null()));
    }
    json_object_set_new(body, "keys", ks);
    iot_state_save(P.state, STATE_KIND, STATE_VERSION, body);
}

static void write_alert(struct iot_out *o, double score, int64_t t)
{
    iot_out_putc(o, '{');
    for (int k = 0; k < nkeys; k++) {
        iot_out_json_str(o, keys[k], strlen(keys[k]));
        iot_out_putc(o, ':');
        const struct iot_val *v = &vals[kidx[k]];
        if (v->type == IOT_J_ABSENT) iot_out_puts(o, "null");
        else iot_out_write(o, v->p, v->n);
        iot_out_putc(o, ',');
    }
    iot_out_puts(o, "\"alertType\":\"PREDICTED_FAILURE\",");
    iot_out_puts(o, M->classify ? "\"probability\":" : "\"rul\":");
    iot_out_json_fixed(o, score, SCORE_DECIMALS);
    if (M->label_from) {
        char d[32];
        iot_dur_fmt(M->horizon, d);
        iot_out_puts(o, ",\"horizon\":");
        iot_out_json_str(o, d, strlen(d));
    }
    iot_out_puts(o, ",\"timestamp\":");
    iot_out_json_time(o, t);
    iot_out_putc(o, '}');
    iot_out_eol(o);
}

/* Telemetry records wait in a small batch so that the trees are walked tree by tree over
 * several records (their nodes stay in cache); the batch is written as soon as the input has
 * no complete line ready, so a live stream is not held back. Events flush it first. */
enum { BATCH = 64 };
struct pend { size_t off, len; int64_t t; struct kst *v; struct iot_val drop; };
static struct pend pend[BATCH];
static int npend, batch_max = BATCH;
static struct iot_buf arena;
static float *px;
static double *praw;
static int oidx;

static void flush_pending(struct iot_out *o)
{
    if (!npend)
        return;
    const int p = M->spec->nfeat;
    if (M->gbdt) {
        iot_gbdt_raw_batch(M->gbdt, px, (size_t)npend, praw);
        for (int i = 0; i < npend; i++) praw[i] = iot_gbdt_link(M->gbdt, praw[i]);
    } else {
        for (int i = 0; i < npend; i++) praw[i] = iot_linmodel_predict(M->lin, px + (size_t)i * p);
    }
    for (int i = 0; i < npend; i++) {
        struct pend *q = &pend[i];
        const char *line = arena.p + q->off;
        double score = praw[i];
        if (!P.alerts_only) {
            struct iot_val dv = q->drop;
            if (dv.type != IOT_J_ABSENT) dv.p = line + (size_t)(uintptr_t)dv.p;
            const struct iot_val *drop = &dv;
            int nm = iot_rec_open_edit(o, line, q->len, &drop, dv.type != IOT_J_ABSENT);
            iot_rec_member(o, &nm, M->output);
            iot_out_json_fixed(o, score, SCORE_DECIMALS);
            iot_rec_close(o);
        }
        struct kst *v = q->v;
        if (P.alert_set && (M->classify ? score >= P.alert : score <= P.alert) &&
            (!v->alerted || q->t - v->last_alert >= P.cooldown)) {
            v->alerted = true;
            v->last_alert = q->t;
            iot_stat_add("alerts", 1);
            const char *err;     /* rare: scan again for the key values of the work order */
            iot_rec_scan(F, line, q->len, vals, &err);
            write_alert(o, score, q->t);
        }
    }
    npend = 0;
    iot_buf_reset(&arena);
}

static int cmd_score(int argc, char **argv)
{
    if (!P.model)
        iot_usage("score: the model is needed (-m MODEL)");
    M = iot_model_load(P.model);
    /* the model decides the key, time field and conditions: the same as at training */
    iot_common.key = M->key;
    iot_common.time_field = M->time_field;
    setup_fields(M->spec, NULL, M->reset_on, M->label_from);
    oidx = iot_fields_add(F, M->output);
    vals = iot_xrealloc(vals, ((size_t)iot_fields_count(F) + 1) * sizeof *vals);
    tab = iot_keytab_new(sizeof(struct kst), (size_t)P.max_keys);
    if (P.state)
        state_load();
    const int p = M->spec->nfeat;
    px = iot_xmalloc((size_t)BATCH * (size_t)p * sizeof *px);
    praw = iot_xmalloc(BATCH * sizeof *praw);
    double *raw = iot_xmalloc(((size_t)M->spec->nfields + 1) * sizeof *raw);
    if (iot_common.unbuffered)
        batch_max = 1;
    struct iot_in *in = iot_in_open(argv, argc, iot_common.max_line);
    struct iot_out *o = iot_out_std();
    char *line;
    size_t len;
    struct iot_src src;
    for (;;) {
        if (npend && (npend == batch_max || iot_in_wait(in, 0) == 0))
            flush_pending(o);
        if (iot_stop_requested || !iot_in_next(in, &line, &len, &src))
            break;
        int64_t t;
        int kind;
        if (read_record(line, len, &src, M->spec, &t, &kind, raw) < 0)
            continue;
        int created;
        struct kst *v = iot_keytab_get(tab, kb.p ? kb.p : "", kb.len, &created);
        if (!v) {
            iot_reject(&src, line, len, "too many keys", "more than %lld keys (--max-keys)", (long long)P.max_keys);
            continue;
        }
        if (created)
            v->st = iot_featstate_new(M->spec);
        if (kind != R_TELEMETRY) {
            flush_pending(o);
            if (kind == R_RESET)
                iot_featstate_reset(M->spec, v->st, t);
            if (!P.alerts_only) {
                iot_out_write(o, line, len);
                iot_out_eol(o);
            }
            continue;
        }
        int g = M->spec->ngroupby ? iot_featspec_group(M->spec, gb.p ? gb.p : "", gb.len) : 0;
        iot_feat_update(M->spec, v->st, t, raw, g, px + (size_t)npend * p);
        struct pend *q = &pend[npend++];
        q->off = arena.len;
        q->len = len;
        q->t = t;
        q->v = v;
        q->drop = vals[oidx];
        if (q->drop.type != IOT_J_ABSENT)
            q->drop.p = (const char *)(uintptr_t)(q->drop.p - line);   /* rebased at flush */
        iot_buf_add(&arena, line, len);
    }
    flush_pending(o);
    iot_in_close(in);
    if (P.state)
        state_save();
    int rc = iot_diag_finish();
    iot_keytab_free(tab, free_kst);
    free(px); free(praw); free(raw);
    iot_buf_free(&arena);
    iot_model_free(M);
    return rc;
}

/* ---- explain ---- */

struct imp { const char *name; double gain; int64_t splits; };
static int cmp_imp(const void *a, const void *b)
{
    const struct imp *x = a, *y = b;
    if (x->gain != y->gain) return x->gain < y->gain ? 1 : -1;
    return strcmp(x->name, y->name);
}

static int cmd_explain(int argc, char **argv)
{
    (void)argv;
    if (!P.model)
        iot_usage("explain: the model is needed (-m MODEL)");
    if (argc > 0)
        iot_usage("explain takes no input files");
    struct iot_model *m = iot_model_load(P.model);
    const int p = m->spec->nfeat;
    struct imp *v = iot_xmalloc((size_t)p * sizeof *v);
    double total = 0;
    for (int i = 0; i < p; i++) {
        v[i].name = m->spec->feat[i].name;
        /* linear: |weight| on the standardised scale; trees: total split gain */
        v[i].gain = m->gbdt ? m->gbdt->gain[i] : fabs(m->lin->w[i]);
        v[i].splits = m->gbdt ? m->gbdt->splits[i] : 0;
        total += v[i].gain;
    }
    qsort(v, (size_t)p, sizeof *v, cmp_imp);
    struct iot_out *o = iot_out_std();
    for (int i = 0; i < p; i++) {
        iot_out_puts(o, "{\"feature\":");
        iot_out_json_str(o, v[i].name, strlen(v[i].name));
        iot_out_puts(o, m->gbdt ? ",\"gain\":" : ",\"weight\":");
        iot_out_json_num(o, v[i].gain);
        iot_out_puts(o, ",\"share\":");
        iot_out_json_num(o, total > 0 ? round(v[i].gain / total * 1e6) / 1e6 : 0);
        if (m->gbdt) {
            iot_out_puts(o, ",\"splits\":");
            iot_out_json_int(o, v[i].splits);
        }
        iot_out_putc(o, '}');
        iot_out_eol(o);
    }
    free(v);
    iot_model_free(m);
    return iot_diag_finish();
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-predict");
    iot_gbdt_defaults(&P.gp);
    const char *sub = argc > 1 ? argv[1] : NULL;
    int (*run)(int, char **) = NULL;
    if (sub && strcmp(sub, "train") == 0) run = cmd_train;
    else if (sub && strcmp(sub, "score") == 0) run = cmd_score;
    else if (sub && strcmp(sub, "explain") == 0) run = cmd_explain;
    if (!run) {
        iot_cli_parse(&tool, argc, argv, on_opt, NULL);   /* --help, --version, bad options */
        if (sub && sub[0] != '-')
            iot_usage("unknown subcommand '%s' (train, score or explain)", sub);
        iot_usage("a subcommand is needed: train, score or explain");
    }
    int optind_ = iot_cli_parse(&tool, argc - 1, argv + 1, on_opt, NULL);
    return run(argc - 1 - optind_, argv + 1 + optind_);
}
