#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/keytab.h"
#include "predrec.h"
#include "score.h"
#include "core/state.h"
#include "core/time.h"

/* Scores are model outputs, not measurements: 6 decimals carry all their meaning and print
 * without a shortest-round-trip search (which cost a third of scoring time). */
#define SCORE_DECIMALS 6
#define STATE_KIND "iot-predict"
#define STATE_VERSION 4    /* 2: keys by iot_key_build (42 and "42" differ); 3: work-order episodes; 4: sealed (crc32c) */
enum { BATCH = 64 };

/* a key's work-order episode: open from the first score past the alert level until a reset or
 * failure record, or until the score has stayed on the safe side for the cooldown */
struct kst { struct iot_featstate *st; int64_t safe_since; bool open, safe; };
struct pend { size_t off, len; int64_t t; struct kst *v; struct iot_val drop; };

struct iot_scorer {
    const struct iot_model *M;
    struct iot_score_opts o;
    struct iot_predrec *r;
    struct iot_keytab *tab;
    struct pend pend[BATCH];
    int npend;
    struct iot_buf arena;       /* the waiting lines */
    float *px;                  /* [nfeat][BATCH] their features, feature-major */
    float *row;                 /* [nfeat] one row of px (linear models) */
    double *praw;               /* [BATCH] their scores */
    int64_t far, missing;       /* records in no known regime, without their settings */
    bool *seen;                 /* [nfields + nsettings] present in a record of the first batch */
    bool checked;               /* the first batch was checked for the model's fields */
};

static void free_kst(void *v) { iot_featstate_free(((struct kst *)v)->st); }

struct iot_scorer *iot_scorer_new(const struct iot_model *m, const struct iot_score_opts *o)
{
    struct iot_scorer *sc = iot_xcalloc(1, sizeof *sc);
    sc->M = m;
    sc->o = *o;
    if (sc->o.batch < 1 || sc->o.batch > BATCH)
        sc->o.batch = BATCH;
    /* the model decides the key, time field and conditions: the same as at training */
    const struct iot_regimes *R = m->spec->regimes;
    const struct iot_predrec_opts ro = {
        .key = m->key, .time_field = m->time_field, .time_unit = o->time_unit, .extra = m->output,
        .reset_on = m->reset_on, .label_from = m->label_from,
        .settings = R ? R->fields : NULL, .nsettings = R ? R->nset : 0,
    };
    sc->r = iot_predrec_new(m->spec, &ro);
    sc->tab = iot_keytab_new(sizeof(struct kst), (size_t)o->max_keys);
    sc->px = iot_xcalloc((size_t)BATCH * ((size_t)m->spec->nfeat + 1), sizeof *sc->px);
    sc->row = iot_xcalloc((size_t)m->spec->nfeat + 1, sizeof *sc->row);
    sc->praw = iot_xmalloc(BATCH * sizeof *sc->praw);
    sc->seen = iot_xcalloc((size_t)m->spec->nfields + (size_t)ro.nsettings + 1, sizeof *sc->seen);
    return sc;
}

void iot_scorer_free(struct iot_scorer *sc)
{
    if (!sc)
        return;
    iot_keytab_free(sc->tab, free_kst);
    iot_predrec_free(sc->r);
    iot_buf_free(&sc->arena);
    free(sc->px); free(sc->row); free(sc->praw); free(sc->seen); free(sc);
}

int iot_scorer_pending(const struct iot_scorer *sc) { return sc->npend; }
bool iot_scorer_full(const struct iot_scorer *sc) { return sc->npend >= sc->o.batch; }

static void write_alert(const struct iot_scorer *sc, struct iot_out *o, double score, int64_t t)
{
    const struct iot_predrec *r = sc->r;
    iot_out_putc(o, '{');
    for (int k = 0; k < r->nkeys; k++) {
        iot_out_json_str(o, r->keys[k], strlen(r->keys[k]));
        iot_out_putc(o, ':');
        const struct iot_val *v = &r->vals[r->kidx[k]];
        if (v->type == IOT_J_ABSENT) iot_out_puts(o, "null");
        else iot_out_write(o, v->p, v->n);
        iot_out_putc(o, ',');
    }
    iot_out_puts(o, "\"alertType\":\"PREDICTED_FAILURE\",");
    iot_out_puts(o, sc->M->classify ? "\"probability\":" : "\"rul\":");
    iot_out_json_fixed(o, score, SCORE_DECIMALS);
    if (sc->M->label_from) {
        char d[32];
        iot_dur_fmt(sc->M->horizon, d);
        iot_out_puts(o, ",\"horizon\":");
        iot_out_json_str(o, d, strlen(d));
    }
    iot_out_puts(o, ",\"timestamp\":");
    iot_out_json_time(o, t);
    iot_out_putc(o, '}');
    iot_out_eol(o);
}

/* Before the first scores go out: a model field (or operating setting) that no record of the
 * first batch holds is taken as missing from the stream, and scoring is refused. */
static void check_fields(struct iot_scorer *sc)
{
    const struct iot_predrec *r = sc->r;
    const int nf = sc->M->spec->nfields;
    struct iot_buf b = { 0 };
    int nmiss = 0;
    for (int j = 0; j < nf + r->o.nsettings; j++)
        if (!sc->seen[j]) {
            iot_buf_adds(&b, nmiss++ ? ", " : "");
            iot_buf_adds(&b, j < nf ? sc->M->spec->fields[j] : r->o.settings[j - nf]);
        }
    sc->checked = true;
    if (nmiss)
        iot_die(IOT_EX_DATAERR, "the stream lacks the model's field%s %s (in none of the first %d "
                "telemetry records); the model was trained with %s", nmiss > 1 ? "s" : "", b.p,
                sc->npend, nmiss > 1 ? "them" : "it");
    iot_buf_free(&b);
}

void iot_scorer_flush(struct iot_scorer *sc, struct iot_out *o)
{
    const struct iot_model *M = sc->M;
    const int n = sc->npend, p = M->spec->nfeat;
    if (!n)
        return;
    if (!sc->checked)
        check_fields(sc);
    if (M->gbdt) {
        iot_gbdt_raw_cols(M->gbdt, sc->px, BATCH, (size_t)n, sc->praw);
        iot_stat_add(iot_gbdt_simd(M->gbdt) ? "rows_avx2" : "rows_portable", n);  /* which path ran */
        for (int i = 0; i < n; i++) sc->praw[i] = iot_gbdt_link(M->gbdt, sc->praw[i]);
    } else {
        float *row = sc->row;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) row[j] = sc->px[(size_t)j * BATCH + i];
            sc->praw[i] = iot_linmodel_predict(M->lin, row);
        }
    }
    for (int i = 0; i < n; i++) {
        struct pend *q = &sc->pend[i];
        const char *line = sc->arena.p + q->off;
        double score = sc->praw[i];
        if (!sc->o.alerts_only) {
            struct iot_val dv = q->drop;
            if (dv.type != IOT_J_ABSENT) dv.p = line + (size_t)(uintptr_t)dv.p;
            const struct iot_val *drop = &dv;
            int nm = iot_rec_open_edit(o, line, q->len, &drop, dv.type != IOT_J_ABSENT);
            iot_rec_member(o, &nm, M->output);
            iot_out_json_fixed(o, score, SCORE_DECIMALS);
            iot_rec_close(o);
        }
        struct kst *v = q->v;
        if (!sc->o.alert_set)
            continue;
        bool hit = M->classify ? score >= sc->o.alert : score <= sc->o.alert;
        if (v->open) {              /* one work order per episode */
            if (hit) {
                v->safe = false;
            } else if (!v->safe) {
                v->safe = true;
                v->safe_since = q->t;
            } else if (q->t - v->safe_since >= sc->o.cooldown) {
                v->open = v->safe = false;
                iot_stat_add("work_orders_closed", 1);
            }
        } else if (hit) {
            v->open = true;
            v->safe = false;
            iot_stat_add("alerts", 1);
            const char *err;     /* rare: scan again for the key values of the work order */
            iot_rec_scan(sc->r->F, line, q->len, sc->r->vals, &err);
            write_alert(sc, o, score, q->t);
        }
    }
    sc->npend = 0;
    iot_buf_reset(&sc->arena);
}

void iot_scorer_line(struct iot_scorer *sc, struct iot_out *o, const char *line, size_t len,
                     const struct iot_src *src)
{
    struct iot_predrec *r = sc->r;
    const struct iot_featspec *s = sc->M->spec;
    if (iot_predrec_read(r, line, len, src) < 0)
        return;
    int created;
    struct kst *v = iot_keytab_get(sc->tab, r->kb.p ? r->kb.p : "", r->kb.len, &created);
    if (!v) {
        iot_reject(src, line, len, "too many keys", "more than %lld keys (--max-keys)",
                   (long long)sc->o.max_keys);
        return;
    }
    if (created)
        v->st = iot_featstate_new(s);
    if (r->kind != IOT_PR_TELEMETRY) {
        iot_scorer_flush(sc, o);
        if (r->kind == IOT_PR_RESET)
            iot_featstate_reset(s, v->st, r->t);
        if (v->open)                /* maintenance or the failure ends the episode */
            iot_stat_add("work_orders_closed", 1);
        v->open = v->safe = false;
        if (!sc->o.alerts_only) {
            iot_out_write(o, line, len);
            iot_out_eol(o);
        }
        return;
    }
    if (sc->npend == BATCH)
        iot_scorer_flush(sc, o);
    if (!sc->checked) {
        for (int j = 0; j < s->nfields; j++)
            sc->seen[j] |= r->vals[r->fidx[j]].type != IOT_J_ABSENT;
        for (int j = 0; j < r->o.nsettings; j++)
            sc->seen[s->nfields + j] |= r->vals[r->sidx[j]].type != IOT_J_ABSENT;
    }
    int g = 0;
    if (s->regimes) {
        bool far;
        int reg = iot_regimes_assign(s->regimes, r->sx, &far);
        sc->far += far;
        sc->missing += reg < 0;
        g = iot_featspec_regime_group(s, reg);
    } else if (s->ngroupby) {
        g = iot_featspec_group(s, r->gb.p ? r->gb.p : "", r->gb.len);
    }
    iot_feat_update_strided(s, v->st, r->t, r->x, g, sc->px + sc->npend, BATCH);
    struct pend *q = &sc->pend[sc->npend++];
    q->off = sc->arena.len;
    q->len = len;
    q->t = r->t;
    q->v = v;
    q->drop = *iot_predrec_extra(r);
    if (q->drop.type != IOT_J_ABSENT)
        q->drop.p = (const char *)(uintptr_t)(q->drop.p - line);   /* rebased at flush */
    iot_buf_add(&sc->arena, line, len);
}

static json_t *spec_names(const struct iot_featspec *s)
{
    json_t *a = json_array();
    for (int i = 0; i < s->nfeat; i++)
        json_array_append_new(a, json_string(s->feat[i].name));
    return a;
}

void iot_scorer_state_load(struct iot_scorer *sc, const char *path, const struct iot_commit *cm)
{
    const struct iot_featspec *s = sc->M->spec;
    json_t *body = iot_state_begin(path, STATE_KIND, STATE_VERSION, cm);
    if (!body)
        return;
    json_t *names = spec_names(s);
    bool same = json_equal(names, json_object_get(body, "features"));
    json_decref(names);
    if (!same)
        iot_die(IOT_EX_DATAERR, "%s: state was written for another feature spec (retrain or remove it)", path);
    json_t *ks = json_object_get(body, "keys");
    size_t i;
    json_t *e;
    json_array_foreach(ks, i, e) {
        json_t *k = json_array_get(e, 0), *f = json_array_get(e, 1), *a = json_array_get(e, 2);
        int created;
        struct kst *v;
        if (!json_is_string(k) || !(v = iot_keytab_get(sc->tab, json_string_value(k), json_string_length(k), &created)))
            iot_die(IOT_EX_DATAERR, "%s: malformed state (key %zu)", path, i);
        if (!created)
            iot_featstate_free(v->st);
        v->st = iot_featstate_new(s);
        if (iot_featstate_from_json(s, v->st, f) < 0)
            iot_die(IOT_EX_DATAERR, "%s: malformed state (key %zu)", path, i);
        v->open = json_is_integer(a) || json_is_true(json_object_get(a, "open"));
        const json_t *ss = json_object_get(a, "safe");
        v->safe = v->open && json_is_integer(ss);
        v->safe_since = v->safe ? json_integer_value(ss) : 0;
    }
    json_decref(body);
}

void iot_scorer_report(const struct iot_scorer *sc)
{
    if (sc->far) {
        iot_stat_add("out_of_regime", sc->far);
        if (!iot_diag.quiet)
            iot_warn("%lld records were in no known operating regime; each was scored with the nearest "
                 "one", (long long)sc->far);
    }
    if (sc->missing) {
        iot_stat_add("regime_missing", sc->missing);
        if (!iot_diag.quiet)
            iot_warn("%lld records lacked an operating setting; they were scored with the global "
                 "statistics", (long long)sc->missing);
    }
}

void iot_scorer_state_save(const struct iot_scorer *sc, const char *path, const struct iot_commit *cm)
{
    const struct iot_featspec *s = sc->M->spec;
    json_t *body = json_object(), *ks = json_array();
    json_object_set_new(body, "features", spec_names(s));
    size_t pos = 0;
    struct kst *v;
    while ((v = iot_keytab_next(sc->tab, &pos))) {
        size_t kl;
        const char *k = iot_keytab_key(v, &kl);
        json_t *wo = v->open ? json_pack("{s:b,s:o}", "open", 1,
                                         v->safe ? json_integer(v->safe_since) : json_null()) : json_null();
        json_array_append_new(ks, json_pack("[s#,o,o]", k, kl, iot_featstate_to_json(s, v->st), wo));
    }
    json_object_set_new(body, "keys", ks);
    iot_state_commit(path, STATE_KIND, STATE_VERSION, body, cm);
}
