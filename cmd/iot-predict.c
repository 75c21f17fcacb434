/* iot-predict: predictive maintenance. train builds model-owned streaming features and fits
 * gradient-boosted trees or a linear model with grouped cross-validation; score runs the same
 * features over a live stream and adds failureProbability or rul; explain prints importances;
 * info prints the model card. Options and wiring only: the jobs live in lib/predict/run. */
#include <math.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/time.h"
#include "predict/run.h"
#include "predict/eval.h"
#include "predict/tune.h"

enum { O_LABEL = 1, O_LABEL_FROM, O_HORIZON, O_TASK, O_CAP, O_FEATURES, O_STANDARDIZE,
       O_STD_BY, O_HEALTH, O_RESET_ON, O_LEARNER, O_TREES, O_LR, O_DEPTH, O_MIN_LEAF,
       O_SUBSAMPLE, O_COLSAMPLE, O_L2, O_SEED, O_FOLDS, O_THRESHOLD, O_PROGRESS, O_MODEL,
       O_ALERT, O_COOLDOWN, O_ALERTS_ONLY, O_STATE, O_MAX_KEYS, O_REGIMES, O_TAG, O_BUDGET, O_TRIALS, O_BY };

static const struct iot_opt opts[] = {
    IOT_OPT_KEY, IOT_OPT_TIME, IOT_OPT_APPEND,
    { NULL, 0, 0, NULL, "Training (iot-predict train -o MODEL [FILE]...):", 0 },
    { "label", 0, IOT_ARG, "FIELD", "target field: remaining life (regress) or 0/1, true/false (classify)", O_LABEL },
    { "label-from", 0, IOT_ARG, "COND", "failure records, e.g. 'messageType == \"failure\"': label = fails within --horizon", O_LABEL_FROM },
    { "horizon", 0, IOT_ARG, "DURATION", "with --label-from: how far ahead a failure counts (default 14d)", O_HORIZON },
    { "task", 0, IOT_ARG, "TASK", "classify or regress (default classify with --label-from, else regress)", O_TASK },
    { "cap", 0, IOT_ARG, "X", "regress: clip the label at X (e.g. remaining life)", O_CAP },
    { "features", 0, IOT_ARG, "SPEC|FILE", "feature spec (see iot-predict(1)) or a JSON spec file; default auto", O_FEATURES },
    { "standardize", 0, IOT_NOARG, NULL, "standardise the input fields by their training mean and sd", O_STANDARDIZE },
    { "standardize-by", 0, IOT_ARG, "FIELD[,FIELD]", "standardise per operating-condition group (implies --standardize)", O_STD_BY },
    { "regimes", 0, IOT_ARG, "FIELD[,FIELD]", "operating-setting fields: k-means regimes, fields standardised per regime", O_REGIMES },
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
    { "tag", 0, IOT_ARG, "TEXT", "free text for the model card (iot-predict info)", O_TAG },
    { NULL, 0, 0, NULL, "Tuning (iot-predict tune -o MODEL [FILE]..., the training options too):", 0 },
    { "budget", 0, IOT_ARG, "DURATION", "tune: start no trial after DURATION of wall clock (default 60s)", O_BUDGET },
    { "trials", 0, IOT_ARG, "N", "tune: at most N trials (default: until the budget)", O_TRIALS },
    { NULL, 0, 0, NULL, "Scoring (iot-predict score -m MODEL [FILE]...), eval (-m MODEL SCORED...), explain and info (-m MODEL):", 0 },
    { "model", 'm', IOT_ARG, "FILE", "the model file", O_MODEL },
    { "by", 0, IOT_ARG, "FIELD", "eval: figures per value of FIELD too (e.g. a device type)", O_BY },
    { "alert", 0, IOT_ARG, "X", "one work order per episode of probability >= X (regress: rul <= X)", O_ALERT },
    { "cooldown", 0, IOT_ARG, "DURATION", "an episode ends at maintenance, failure or DURATION safe (default 1d)", O_COOLDOWN },
    { "alerts-only", 0, IOT_NOARG, NULL, "write only the alert records", O_ALERTS_ONLY },
    { "state", 0, IOT_ARG, "FILE", "keep per-key feature state in FILE across runs", O_STATE },
    { "max-keys", 0, IOT_ARG, "N", "at most N keys in memory (default 1000000)", O_MAX_KEYS },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-predict", "train|tune|score|eval|explain|info [OPTION]... [FILE]...",
    "Predictive maintenance: streaming features, gradient-boosted trees, grouped validation, live scoring.",
    "Examples:\n"
    "  iot-predict train --label _rul --task regress --cap 1209600 -o m.json fleet.ndjson\n"
    "  iot-predict train --label-from 'messageType == \"failure\"' --horizon 14d \\\n"
    "      --reset-on 'messageType == \"maintenance\"' -o m.json fleet.ndjson\n"
    "  tail -F live.ndjson | iot-predict score -m m.json --alert 0.8\n"
    "  iot-predict tune --label _rul --budget 5m --seed 7 -o best.json fleet.ndjson\n"
    "  iot-predict score -m m.json live.ndjson | iot-predict eval -m m.json --by deviceType\n"
    "  iot-predict explain -m m.json\n"
    "  iot-predict info -m m.json",
    opts
};

static struct {
    const char *label, *label_from, *features, *std_by, *reset_on, *model, *state, *regimes, *tag, *by;
    int64_t horizon, cooldown, budget;
    int trials;
    int task;               /* -1 auto, 0 regress, 1 classify */
    double cap, threshold, alert, l2;
    bool standardize, health, progress, alerts_only, linear, l2_set, alert_set;
    int folds;
    int64_t max_keys;
    struct iot_gbdt_params gp;
} P = { .horizon = 14 * 86400 * IOT_NS_PER_S, .cooldown = 86400 * IOT_NS_PER_S, .task = -1,
        .budget = 60 * IOT_NS_PER_S,
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
    case O_REGIMES: P.regimes = arg; break;
    case O_TAG: P.tag = arg; break; case O_BY: P.by = arg; break;
    case O_BUDGET: P.budget = iot_cli_duration("--budget", arg);
        if (P.budget <= 0) iot_usage("--budget: expected a positive duration");
        break;
    case O_TRIALS: P.trials = (int)iot_cli_int("--trials", arg, 1, 100000); break;
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

static struct iot_predict_train_job train_job(const char *what, int argc, char **argv)
{
    if (!iot_common.output)
        iot_usage("%s: the model file is needed (-o MODEL)", what);
    if (!P.label == !P.label_from)
        iot_usage("%s: give --label FIELD or --label-from COND (one of them)", what);
    bool classify = P.task >= 0 ? P.task == 1 : P.label_from != NULL;
    if (P.label_from && !classify)
        iot_usage("--label-from makes a classification label; drop --task regress");
    if (!isnan(P.cap) && classify)
        iot_usage("--cap applies to --task regress");
    if (P.regimes && P.std_by)
        iot_usage("--regimes and --standardize-by both choose the standardisation groups; give one");
    return (struct iot_predict_train_job){
        .t = { .label = P.label, .label_from = P.label_from, .reset_on = P.reset_on,
               .key = iot_common.key, .time_field = iot_common.time_field, .std_by = P.std_by,
               .regimes = P.regimes, .time_unit = iot_common.time_unit, .seed = P.gp.seed,
               .classify = classify, .standardize = P.standardize, .health = P.health,
               .horizon = P.horizon, .cap = P.cap, .max_keys = P.max_keys },
        .f = { .classify = classify, .linear = P.linear, .progress = P.progress, .l2_set = P.l2_set,
               .l2 = P.l2, .gp = P.gp, .folds = P.folds, .threshold = P.threshold },
        .features = P.features, .model = iot_common.output, .tag = P.tag,
        .io = { argv, argc, iot_common.max_line },
    };
}

static int cmd_train(int argc, char **argv)
{
    const struct iot_predict_train_job j = train_job("train", argc, argv);
    return iot_predict_train(&j);
}

static int cmd_tune(int argc, char **argv)
{
    if (P.linear)
        iot_usage("tune searches the trees' parameters; drop --learner linear");
    if (P.folds < 2)
        iot_usage("tune: cross-validation is needed (--folds 2 or more)");
    const struct iot_tune_job j = { train_job("tune", argc, argv), P.budget, P.trials };
    return iot_predict_tune(&j);
}

static int cmd_score(int argc, char **argv)
{
    if (!P.model)
        iot_usage("score: the model is needed (-m MODEL)");
    const struct iot_predict_score_job j = {
        .model = P.model, .state = P.state, .unbuffered = iot_common.unbuffered,
        .s = { .alert_set = P.alert_set, .alert = P.alert, .cooldown = P.cooldown,
               .alerts_only = P.alerts_only, .max_keys = P.max_keys, .time_unit = iot_common.time_unit },
        .io = { argv, argc, iot_common.max_line },
    };
    return iot_predict_score(&j);
}

static int cmd_eval(int argc, char **argv)
{
    if (!P.model)
        iot_usage("eval: the model is needed (-m MODEL)");
    const struct iot_eval_job j = {
        .model = P.model, .by = P.by, .alert_set = P.alert_set, .alert = P.alert,
        .cooldown = P.cooldown, .time_unit = iot_common.time_unit, .max_keys = P.max_keys,
        .io = { argv, argc, iot_common.max_line },
    };
    return iot_predict_eval(&j);
}

static int cmd_model(int argc, char **argv, const char *what, int (*fn)(const char *))
{
    /* explain and info: -m MODEL, or the model as the one operand */
    if (!P.model && argc == 1)
        P.model = argv[0], argc = 0;
    if (!P.model)
        iot_usage("%s: the model is needed (-m MODEL)", what);
    if (argc > 0)
        iot_usage("%s takes no input files", what);
    return fn(P.model);
}

static int cmd_explain(int argc, char **argv) { return cmd_model(argc, argv, "explain", iot_predict_explain); }
static int cmd_info(int argc, char **argv) { return cmd_model(argc, argv, "info", iot_predict_info); }

int main(int argc, char **argv)
{
    iot_diag_init("iot-predict");
    iot_gbdt_defaults(&P.gp);
    const char *sub = argc > 1 ? argv[1] : NULL;
    int (*run)(int, char **) = NULL;
    if (sub && strcmp(sub, "train") == 0) run = cmd_train;
    else if (sub && strcmp(sub, "tune") == 0) run = cmd_tune;
    else if (sub && strcmp(sub, "eval") == 0) run = cmd_eval;
    else if (sub && strcmp(sub, "score") == 0) run = cmd_score;
    else if (sub && strcmp(sub, "explain") == 0) run = cmd_explain;
    else if (sub && strcmp(sub, "info") == 0) run = cmd_info;
    if (!run) {
        iot_cli_parse(&tool, argc, argv, on_opt, NULL);   /* --help, --version, bad options */
        if (sub && sub[0] != '-')
            iot_usage("unknown subcommand '%s' (train, tune, score, eval, explain or info)", sub);
        iot_usage("a subcommand is needed: train, tune, score, eval, explain or info");
    }
    int optind_ = iot_cli_parse(&tool, argc - 1, argv + 1, on_opt, NULL);
    return run(argc - 1 - optind_, argv + 1 + optind_);
}
