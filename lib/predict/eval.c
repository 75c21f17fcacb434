#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/cli.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/keytab.h"
#include "core/out.h"
#include "core/state.h"
#include "core/time.h"
#include "eval.h"
#include "model.h"
#include "predrec.h"

struct ev { int64_t t; bool failure; };
struct kv {
    struct ev *e;               /* work-order openings and failures, in input order */
    size_t n, cap;
    int64_t first, last;        /* event time seen */
    int group;
    bool open, safe;
    int64_t safe_since;
};

struct acc { int64_t failures, caught, orders_true, orders_false, censored; double years, lead; };

static void push(struct kv *k, int64_t t, bool failure)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 8;
        k->e = iot_xrealloc(k->e, k->cap * sizeof *k->e);
    }
    k->e[k->n++] = (struct ev){ t, failure };
}

static json_t *summary(json_t *o, const struct acc *a)
{
    int64_t decided = a->orders_true + a->orders_false;
    json_object_set_new(o, "failures", json_integer(a->failures));
    json_object_set_new(o, "caught", json_integer(a->caught));
    json_object_set_new(o, "recall", a->failures ? iot_json_real((double)a->caught / (double)a->failures) : json_null());
    json_object_set_new(o, "work_orders", json_integer(decided + a->censored));
    json_object_set_new(o, "true_orders", json_integer(a->orders_true));
    json_object_set_new(o, "false_orders", json_integer(a->orders_false));
    json_object_set_new(o, "censored_orders", json_integer(a->censored));
    json_object_set_new(o, "precision", decided ? iot_json_real((double)a->orders_true / (double)decided) : json_null());
    json_object_set_new(o, "device_years", iot_json_real(round(a->years * 1e4) / 1e4));
    json_object_set_new(o, "false_alarms_per_device_year",
                        a->years > 0 ? iot_json_real(round(a->orders_false / a->years * 1e4) / 1e4) : json_null());
    json_object_set_new(o, "mean_lead_days", a->caught ? iot_json_real(round(a->lead / (double)a->caught * 1e4) / 1e4) : json_null());
    return o;
}

static void put(struct iot_out *o, json_t *j)
{
    char *t = json_dumps(j, JSON_REAL_PRECISION(10) | JSON_COMPACT | JSON_PRESERVE_ORDER);
    iot_out_puts(o, t);
    iot_out_eol(o);
    free(t);
    json_decref(j);
}

static void free_kv(void *v) { free(((struct kv *)v)->e); }

int iot_predict_eval(const struct iot_eval_job *j)
{
    struct iot_model *m = iot_model_load(j->model);
    if (!m->label_from)
        iot_die(IOT_EX_DATAERR, "%s: eval needs a model trained with --label-from (failure records)", j->model);
    const double A = j->alert_set ? j->alert : m->threshold;
    if (!j->alert_set && !m->classify)
        iot_usage("eval: a regression model needs --alert X (rul <= X)");
    struct iot_featspec *none = iot_featspec_parse("count", (char[64]){ 0 }, 64);
    const struct iot_predrec_opts ro = {
        .key = m->key, .time_field = m->time_field, .time_unit = j->time_unit, .label = j->by,
        .extra = m->output, .reset_on = m->reset_on, .label_from = m->label_from,
    };
    struct iot_predrec *r = iot_predrec_new(none, &ro);
    struct iot_keytab *tab = iot_keytab_new(sizeof(struct kv), (size_t)j->max_keys);
    struct iot_keytab *gtab = iot_keytab_new(sizeof(int), 0);
    char **gname = NULL;
    int ng = 0;
    int64_t unscored = 0;
    struct iot_buf gb = { 0 };
    struct iot_in *in = iot_in_open(j->io.inputs, j->io.ninputs, j->io.max_line);
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
        if (iot_predrec_read(r, line, len, &src) < 0)
            continue;
        int created;
        struct kv *k = iot_keytab_get(tab, r->kb.p ? r->kb.p : "", r->kb.len, &created);
        if (!k) {
            iot_reject(&src, line, len, "too many keys", "more than %lld keys (--max-keys)", (long long)j->max_keys);
            continue;
        }
        if (created) {
            k->first = r->t;
            iot_buf_reset(&gb);         /* the group: the --by value of the key's first record */
            const struct iot_val *g = iot_predrec_label(r);
            if (g->type == IOT_J_STR) iot_val_str(g, &gb);
            else if (g->type != IOT_J_ABSENT) iot_buf_add(&gb, g->p, g->n);
            int gc, *gi = iot_keytab_get(gtab, gb.p ? gb.p : "", gb.len, &gc);
            if (gc) {
                *gi = ng++;
                gname = iot_xrealloc(gname, (size_t)ng * sizeof *gname);
                gname[*gi] = iot_xstrdup(gb.p ? gb.p : "");
            }
            k->group = *gi;
        }
        if (r->t > k->last || created) k->last = r->t;
        if (r->kind != IOT_PR_TELEMETRY) {
            if (r->kind == IOT_PR_FAILURE) push(k, r->t, true);
            k->open = k->safe = false;
            continue;
        }
        double score;
        const struct iot_val *sv = iot_predrec_extra(r);
        if (sv->type != IOT_J_NUM || iot_val_num(sv, &score) < 0) { unscored++; continue; }
        bool hit = m->classify ? score >= A : score <= A;
        if (k->open) {              /* score's episode rule */
            if (hit) k->safe = false;
            else if (!k->safe) { k->safe = true; k->safe_since = r->t; }
            else if (r->t - k->safe_since >= j->cooldown) k->open = k->safe = false;
        } else if (hit) {
            k->open = true;
            k->safe = false;
            push(k, r->t, false);
        }
    }
    iot_in_close(in);
    if (unscored && !iot_diag.quiet)
        iot_warn("%lld telemetry records have no %s (not scored by this model?)", (long long)unscored, m->output);
    iot_stat_add("unscored", unscored);

    struct iot_out *o = iot_out_std();
    struct acc *ga = iot_xcalloc((size_t)ng + 1, sizeof *ga), all = { 0 };
    const int64_t h = m->horizon;
    size_t pos = 0;
    struct kv *k;
    while ((k = iot_keytab_next(tab, &pos))) {
        struct acc *a = &ga[k->group];
        a->years += (double)(k->last - k->first) / (365.25 * 86400 * 1e9);
        for (size_t i = 0; i < k->n; i++) {
            const struct ev *e = &k->e[i];
            if (e->failure) {
                a->failures++;
                int64_t lead = -1;      /* the first order within the horizon before it */
                for (size_t q = 0; q < i; q++)
                    if (!k->e[q].failure && e->t - k->e[q].t <= h && lead < e->t - k->e[q].t)
                        lead = e->t - k->e[q].t;
                if (lead >= 0) {
                    a->caught++;
                    a->lead += (double)lead / 86400e9;
                    size_t kl;
                    const char *key = iot_keytab_key(k, &kl);
                    json_t *c = json_object();
                    json_object_set_new(c, "key", json_stringn(key, kl));
                    char ft[48];
                    iot_time_fmt(e->t, ft);
                    json_object_set_new(c, "failure", json_string(ft));
                    json_object_set_new(c, "lead_days", iot_json_real(round((double)lead / 86400e9 * 1e4) / 1e4));
                    put(o, c);
                }
                continue;
            }
            int64_t next = INT64_MAX;
            for (size_t q = i + 1; q < k->n && next == INT64_MAX; q++)
                if (k->e[q].failure) next = k->e[q].t;
            if (next != INT64_MAX && next - e->t <= h) a->orders_true++;
            else if (next != INT64_MAX || k->last - e->t >= h) a->orders_false++;
            else a->censored++;
        }
    }
    for (int g = 0; g < ng; g++) {
        all.failures += ga[g].failures; all.caught += ga[g].caught; all.years += ga[g].years;
        all.orders_true += ga[g].orders_true; all.orders_false += ga[g].orders_false;
        all.censored += ga[g].censored; all.lead += ga[g].lead;
        if (j->by) {
            json_t *go = json_object();
            json_object_set_new(go, j->by, json_string(gname[g]));
            put(o, summary(go, &ga[g]));
        }
    }
    char d[32];
    iot_dur_fmt(h, d);
    json_t *ao = json_pack("{s:s,s:o,s:s}", "group", "all", "alert", iot_json_real(A), "horizon", d);
    put(o, summary(ao, &all));
    for (int g = 0; g < ng; g++) free(gname[g]);
    free(gname); free(ga);
    iot_buf_free(&gb);
    iot_keytab_free(tab, free_kv);
    iot_keytab_free(gtab, NULL);
    iot_predrec_free(r);
    iot_featspec_free(none);
    int rc = iot_diag_finish();
    iot_model_free(m);
    return rc;
}
