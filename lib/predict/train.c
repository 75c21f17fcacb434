#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/cli.h"
#include "core/keytab.h"
#include "core/in.h"
#include "core/key.h"
#include "predrec.h"
#include "train.h"

enum { PEEK = 1000 };   /* lines looked at for --features auto */

struct row { int32_t key, group; int64_t t; uint8_t kind; double y; };

struct iot_trainset {
    struct iot_train_opts o;
    struct iot_featspec *s;
    struct iot_predrec *r;              /* NULL until the spec is known */
    bool is_auto;
    /* auto: the first lines, held until the fields are known */
    char **held;
    struct iot_src *held_src;
    size_t nheld;
    /* records in input order; x: raw field values (nf per record) */
    struct row *rows;
    double *x;
    size_t nrec, cap;
    int nf;
    double *sx;                         /* operating settings (nset per record) */
    char **set_fields;                  /* --regimes fields */
    int nset;
    struct iot_keytab *keyid, *groupid;
    int nkeys, ngroups;
    char **group_names;
    uint64_t digest;
    int64_t digest_bytes;
    /* the result */
    float *X;
    double *y;
    int *rk;
    size_t n;
};

struct iot_featspec *iot_train_spec(const char *features)
{
    if (!features || strcmp(features, "auto") == 0)
        return NULL;
    char err[256];
    struct iot_featspec *s;
    if (!strchr(features, '(') && access(features, R_OK) == 0) {
        json_error_t je;
        json_t *j = json_load_file(features, 0, &je);
        if (!j)
            iot_die(IOT_EX_DATAERR, "%s: line %d: %s", features, je.line, je.text);
        s = iot_featspec_from_json(j, err, sizeof err);
        json_decref(j);
        if (!s)
            iot_die(IOT_EX_DATAERR, "%s: %s", features, err);
    } else if (!(s = iot_featspec_parse(features, err, sizeof err))) {
        iot_usage("--features: %s", err);
    }
    return s;
}

/* the options' standardisation on the spec, then the record reader over its fields */
static void prepare(struct iot_trainset *ts)
{
    struct iot_featspec *s = ts->s;
    const struct iot_train_opts *o = &ts->o;
    if (o->health) s->health = true;
    if (o->standardize || o->health) s->standardize = o->standardize || s->standardize;
    if (o->std_by) {
        s->groupby = iot_split(o->std_by, ',', &s->ngroupby);
        s->standardize = true;
    }
    if (o->regimes)
        s->standardize = true;
    if (s->nfields == 0 && s->nfeat == 0)
        iot_die(IOT_EX_DATAERR, "no numeric fields to build features from");
    const struct iot_predrec_opts ro = {
        .key = o->key, .time_field = o->time_field, .time_unit = o->time_unit, .label = o->label,
        .reset_on = o->reset_on, .label_from = o->label_from, .settings = ts->set_fields,
        .nsettings = ts->nset,
    };
    ts->r = iot_predrec_new(s, &ro);
    ts->nf = s->nfields;
}

struct iot_trainset *iot_trainset_new(const struct iot_train_opts *o, struct iot_featspec *spec)
{
    struct iot_trainset *ts = iot_xcalloc(1, sizeof *ts);
    ts->o = *o;
    ts->s = spec;
    ts->digest = 0xcbf29ce484222325ULL;
    ts->keyid = iot_keytab_new(sizeof(int), (size_t)o->max_keys);
    ts->groupid = iot_keytab_new(sizeof(int), 0);
    ts->is_auto = !spec;
    if (o->regimes) {
        ts->set_fields = iot_split(o->regimes, ',', &ts->nset);
        if (ts->nset > 64)
            iot_usage("--regimes: at most 64 fields");
    }
    if (spec)
        prepare(ts);
    else {
        ts->held = iot_xcalloc(PEEK, sizeof *ts->held);
        ts->held_src = iot_xcalloc(PEEK, sizeof *ts->held_src);
    }
    return ts;
}

static bool is_named(const char *k, char **v, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(k, v[i]) == 0)
            return true;
    return false;
}

/* --features auto: numeric top-level members of the held lines, in order of appearance, except
 * the key, time, label, grouping fields and fields starting with '_' (ground truth). */
static char **discover(const struct iot_trainset *ts, int *count)
{
    const struct iot_train_opts *o = &ts->o;
    int nk, nb = 0;
    char **keys = iot_key_names(o->key, &nk), **by = o->std_by ? iot_split(o->std_by, ',', &nb) : NULL;
    char **names = iot_xcalloc(1, sizeof *names);
    int nn = 0;
    for (size_t i = 0; i < ts->nheld; i++) {
        json_t *j = json_loads(ts->held[i], JSON_DECODE_ANY, NULL);
        const char *k;
        json_t *v;
        if (json_is_object(j))
            json_object_foreach(j, k, v) {
                if (!json_is_number(v) || k[0] == '_' || strcmp(k, o->time_field) == 0 ||
                    (o->label && strcmp(k, o->label) == 0) || is_named(k, keys, nk) ||
                    is_named(k, names, nn) || is_named(k, by, nb) ||
                    is_named(k, ts->set_fields, ts->nset))
                    continue;
                names = iot_xrealloc(names, (size_t)(nn + 2) * sizeof *names);
                names[nn++] = iot_xstrdup(k);
                names[nn] = NULL;
            }
        json_decref(j);
    }
    iot_strv_free(keys);
    if (by)
        iot_strv_free(by);
    *count = nn;
    return names;
}

static int intern(struct iot_trainset *ts, struct iot_keytab *t, const char *k, size_t n,
                  int *count, char ***names)
{
    int created;
    int *v = iot_keytab_get(t, k, n, &created);
    if (!v)
        iot_die(IOT_EX_DATAERR, "more than %lld keys or groups (--max-keys)", (long long)ts->o.max_keys);
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

static void add_line(struct iot_trainset *ts, const char *line, size_t len, const struct iot_src *src)
{
    struct iot_predrec *r = ts->r;
    const struct iot_train_opts *o = &ts->o;
    if (iot_predrec_read(r, line, len, src) < 0)
        return;
    double y = NAN;
    const struct iot_val *v = iot_predrec_label(r);
    if (r->kind == IOT_PR_TELEMETRY) {
        if (v->type == IOT_J_TRUE || v->type == IOT_J_FALSE) {
            y = v->type == IOT_J_TRUE;
        } else if (v->type == IOT_J_NUM) {
            if (iot_val_num(v, &y) < 0) {
                iot_reject(src, line, len, "bad label", "%s: %s", o->label, iot_val_num_error(v));
                return;
            }
            if (o->classify && y != 0 && y != 1) {
                iot_reject(src, line, len, "bad label", "%s: expected 0 or 1 for --task classify", o->label);
                return;
            }
            if (!isnan(o->cap) && y > o->cap)
                y = o->cap;
        } else if (v->type != IOT_J_ABSENT && v->type != IOT_J_NULL) {
            iot_reject(src, line, len, "bad label", "%s: expected a number", o->label);
            return;
        }
    }
    if (ts->nrec == ts->cap) {
        ts->cap = ts->cap ? 2 * ts->cap : 4096;
        ts->rows = iot_xrealloc(ts->rows, ts->cap * sizeof *ts->rows);
        ts->x = iot_xrealloc(ts->x, ts->cap * (size_t)(ts->nf ? ts->nf : 1) * sizeof *ts->x);
        if (ts->nset)
            ts->sx = iot_xrealloc(ts->sx, ts->cap * (size_t)ts->nset * sizeof *ts->sx);
    }
    struct row *w = &ts->rows[ts->nrec];
    w->key = intern(ts, ts->keyid, r->kb.p ? r->kb.p : "", r->kb.len, &ts->nkeys, NULL);
    w->group = ts->s->ngroupby ? intern(ts, ts->groupid, r->gb.p ? r->gb.p : "", r->gb.len,
                                        &ts->ngroups, &ts->group_names) : -1;
    w->t = r->t;
    w->kind = (uint8_t)r->kind;
    w->y = y;
    for (int j = 0; j < ts->nf; j++)
        ts->x[ts->nrec * ts->nf + j] = r->kind == IOT_PR_TELEMETRY ? r->x[j] : NAN;
    for (int j = 0; j < ts->nset; j++)
        ts->sx[ts->nrec * ts->nset + j] = r->kind == IOT_PR_TELEMETRY ? r->sx[j] : NAN;
    ts->nrec++;
}

/* auto: the fields are known from the held lines; they are read in order, then freed */
static void end_peek(struct iot_trainset *ts)
{
    int nf;
    char **fields = discover(ts, &nf);
    ts->s = ts->o.alphas ? iot_featspec_auto_spans(fields, nf, ts->o.reset_on != NULL, ts->o.health,
                                                   ts->o.alphas, ts->o.nalphas)
                         : iot_featspec_auto(fields, nf, ts->o.reset_on != NULL, ts->o.health);
    iot_strv_free(fields);
    prepare(ts);
    for (size_t i = 0; i < ts->nheld; i++) {
        add_line(ts, ts->held[i], strlen(ts->held[i]), &ts->held_src[i]);
        free(ts->held[i]);
        free((char *)ts->held_src[i].file);
    }
    free(ts->held); free(ts->held_src);
    ts->held = NULL;
    ts->held_src = NULL;
    ts->nheld = 0;
}

void iot_trainset_line(struct iot_trainset *ts, const char *line, size_t len, const struct iot_src *src)
{
    for (size_t i = 0; i < len; i++) {
        ts->digest ^= (unsigned char)line[i];
        ts->digest *= 0x100000001b3ULL;
    }
    ts->digest ^= '\n';
    ts->digest *= 0x100000001b3ULL;
    ts->digest_bytes += (int64_t)len + 1;
    if (ts->r) {
        add_line(ts, line, len, src);
        return;
    }
    char *c = iot_xmalloc(len + 1);
    memcpy(c, line, len);
    c[len] = 0;
    ts->held[ts->nheld] = c;
    ts->held_src[ts->nheld] = *src;
    ts->held_src[ts->nheld].file = iot_xstrdup(src->file);
    if (++ts->nheld == PEEK)
        end_peek(ts);
}

/* labels from failure records: fails within the horizon; rows whose future is shorter than
 * the horizon and holds no failure are censored (unknown), not negatives */
static void label_from_failures(struct iot_trainset *ts)
{
    int64_t *next_fail = iot_xmalloc((size_t)(ts->nkeys + 1) * sizeof *next_fail);
    int64_t *last_seen = iot_xmalloc((size_t)(ts->nkeys + 1) * sizeof *last_seen);
    for (int k = 0; k < ts->nkeys; k++) { next_fail[k] = INT64_MAX; last_seen[k] = INT64_MIN; }
    int64_t censored = 0, h = ts->o.horizon;
    for (size_t i = ts->nrec; i-- > 0;) {
        struct row *r = &ts->rows[i];
        if (last_seen[r->key] == INT64_MIN) last_seen[r->key] = r->t;
        if (r->kind == IOT_PR_FAILURE) { next_fail[r->key] = r->t; continue; }
        if (r->kind != IOT_PR_TELEMETRY) continue;
        if (next_fail[r->key] != INT64_MAX && next_fail[r->key] - r->t <= h) r->y = 1;
        else if (last_seen[r->key] - r->t >= h) r->y = 0;
        else { r->y = NAN; censored++; }
    }
    iot_stat_add("censored", censored);
    free(next_fail); free(last_seen);
}

/* the operating regimes of the telemetry rows: fitted on their settings, then every row's
 * group is its regime (-1 when a setting is missing: the global statistics) */
static struct iot_regimes *fit_regimes(struct iot_trainset *ts, size_t ntel)
{
    const int d = ts->nset;
    double *S = iot_xmalloc((ntel + 1) * (size_t)d * sizeof *S);
    for (size_t i = 0, q = 0; i < ts->nrec; i++)
        if (ts->rows[i].kind == IOT_PR_TELEMETRY)
            memcpy(S + q++ * d, ts->sx + i * d, (size_t)d * sizeof *S);
    struct iot_regimes *R = iot_regimes_fit(ts->set_fields, d, S, ntel, ts->o.seed);
    free(S);
    if (!R)
        iot_die(IOT_EX_DATAERR, "--regimes %s: no telemetry record has every operating setting",
                ts->o.regimes);
    int64_t missing = 0;
    for (size_t i = 0; i < ts->nrec; i++) {
        struct row *w = &ts->rows[i];
        w->group = -1;
        if (w->kind != IOT_PR_TELEMETRY) continue;
        bool far;
        w->group = iot_regimes_assign(R, ts->sx + i * d, &far);
        missing += w->group < 0;
    }
    if (missing) {
        iot_stat_add("regime_missing", missing);
        if (!iot_diag.quiet) iot_warn("--regimes: %lld training records lack an operating setting; they use the global "
                 "statistics", (long long)missing);
    }
    if (!iot_diag.quiet) {
        if (R->k > 1)
            iot_warn("regimes: %d (silhouette %.3f) over %s", R->k, R->silhouette, ts->o.regimes);
        else
            iot_warn("regimes: 1 (no cluster structure in %s)", ts->o.regimes);
    }
    return R;
}

/* the largest within-regime sd of each field (sd 0: constant inside every regime) */
static void within_regime_sd(const struct iot_trainset *ts, const double *Xt, size_t ntel, int k,
                             double *sd)
{
    const int nf = ts->nf;
    size_t G = (size_t)k;
    double *cnt = iot_xcalloc(G * nf, sizeof *cnt), *mean = iot_xcalloc(G * nf, sizeof *mean),
           *m2 = iot_xcalloc(G * nf, sizeof *m2);
    for (size_t i = 0, q = 0; i < ts->nrec; i++) {
        if (ts->rows[i].kind != IOT_PR_TELEMETRY) continue;
        int g = ts->rows[i].group;
        const double *x = Xt + q++ * nf;
        if (g < 0) continue;
        for (int j = 0; j < nf; j++) {
            if (isnan(x[j])) continue;
            size_t o = (size_t)g * nf + j;
            double dl = x[j] - mean[o];
            cnt[o]++;
            mean[o] += dl / cnt[o];
            m2[o] += dl * (x[j] - mean[o]);
        }
    }
    (void)ntel;
    for (int j = 0; j < nf; j++) {
        double best = 0;
        for (size_t g = 0; g < G; g++) {
            size_t o = g * nf + j;
            double v = cnt[o] > 1 ? sqrt(m2[o] / (cnt[o] - 1)) : 0;
            if (v > best) best = v;
        }
        if (sd[j] > 0) sd[j] = best;
    }
    free(cnt); free(mean); free(m2);
}

/* constant or empty fields are dropped (auto), then standardisation and health are fitted */
static void fit_spec(struct iot_trainset *ts, bool is_auto)
{
    struct iot_featspec *s = ts->s;
    size_t ntel = 0;
    for (size_t i = 0; i < ts->nrec; i++) ntel += ts->rows[i].kind == IOT_PR_TELEMETRY;
    const int nf0 = ts->nf;
    double *Xt = iot_xmalloc((ntel + 1) * (size_t)(nf0 ? nf0 : 1) * sizeof *Xt);
    const char **gk = iot_xcalloc(ntel + 1, sizeof *gk);
    struct iot_regimes *R = ts->nset ? fit_regimes(ts, ntel) : NULL;
    char (*rkey)[16] = R ? iot_xcalloc((size_t)R->k, sizeof *rkey) : NULL;
    for (int r = 0; R && r < R->k; r++) iot_featspec_regime_key(r, rkey[r]);
    for (size_t i = 0, q = 0; i < ts->nrec; i++)
        if (ts->rows[i].kind == IOT_PR_TELEMETRY) {
            memcpy(Xt + q * nf0, ts->x + i * nf0, (size_t)nf0 * sizeof *Xt);
            int g = ts->rows[i].group;
            gk[q++] = g < 0 ? NULL : R ? rkey[g] : ts->group_names[g];
        }
    if (is_auto && nf0 > 0) {
        double *sd = iot_xmalloc((size_t)nf0 * sizeof *sd);
        bool *keep = iot_xmalloc((size_t)nf0 * sizeof *keep);
        iot_featspec_field_sd(s, Xt, ntel, sd);
        if (R && R->k > 1)      /* constant within every regime: a regime indicator, no wear */
            within_regime_sd(ts, Xt, ntel, R->k, sd);
        int kept = 0;
        for (int j = 0; j < nf0; j++) kept += keep[j] = sd[j] > 0;
        if (kept < nf0 && R && !iot_diag.quiet)
            for (int j = 0; j < nf0; j++)
                if (!keep[j])
                    iot_warn("%s: constant within every regime, not used", s->fields[j]);
        if (kept < nf0) {       /* compact the stored values to the kept columns */
            for (size_t i = 0; i < ts->nrec; i++)
                for (int j = 0, c = 0; j < nf0; j++)
                    if (keep[j]) ts->x[i * kept + c++] = ts->x[i * nf0 + j];
            for (size_t i = 0; i < ntel; i++)
                for (int j = 0, c = 0; j < nf0; j++)
                    if (keep[j]) Xt[i * kept + c++] = Xt[i * nf0 + j];
            iot_featspec_prune(s, keep);
            ts->nf = kept;
        }
        free(sd); free(keep);
    }
    if (R) {
        s->regimes = R;         /* groups are added for regime keys */
        iot_featspec_fit(s, Xt, ntel, gk, NULL);
        iot_featspec_set_regimes(s, R);
    } else {
        iot_featspec_fit(s, Xt, ntel, gk, NULL);
    }
    free(Xt); free(gk); free(rkey);
}

void iot_trainset_finish(struct iot_trainset *ts)
{
    if (!ts->r)
        end_peek(ts);
    if (ts->o.label_from)
        label_from_failures(ts);
    fit_spec(ts, ts->is_auto);
    struct iot_featspec *s = ts->s;
    const int p = s->nfeat;
    if (p == 0)
        iot_die(IOT_EX_DATAERR, "no features left (every field is constant or missing)");

    /* features, in input order, per key */
    struct iot_featstate **st = iot_xcalloc((size_t)ts->nkeys + 1, sizeof *st);
    size_t n = 0;
    for (size_t i = 0; i < ts->nrec; i++)
        n += ts->rows[i].kind == IOT_PR_TELEMETRY && !isnan(ts->rows[i].y);
    if (n == 0)
        iot_die(IOT_EX_DATAERR, "no labelled rows to train on");
    ts->X = iot_xmalloc(n * (size_t)p * sizeof *ts->X);
    ts->y = iot_xmalloc(n * sizeof *ts->y);
    ts->rk = iot_xmalloc(n * sizeof *ts->rk);
    ts->n = n;
    float *tmp = iot_xmalloc((size_t)p * sizeof *tmp);
    for (size_t i = 0, q = 0; i < ts->nrec; i++) {
        struct row *r = &ts->rows[i];
        if (!st[r->key]) st[r->key] = iot_featstate_new(s);
        if (r->kind == IOT_PR_RESET) { iot_featstate_reset(s, st[r->key], r->t); continue; }
        if (r->kind != IOT_PR_TELEMETRY) continue;
        int g = s->regimes ? iot_featspec_regime_group(s, r->group) :
                r->group >= 0 ? iot_featspec_group(s, ts->group_names[r->group], strlen(ts->group_names[r->group])) : 0;
        bool use = !isnan(r->y);
        iot_feat_update(s, st[r->key], r->t, ts->x + i * ts->nf, g, use ? ts->X + q * p : tmp);
        if (use) { ts->y[q] = r->y; ts->rk[q] = r->key; q++; }
    }
    for (int k = 0; k < ts->nkeys; k++) iot_featstate_free(st[k]);
    free(st); free(tmp);
    if (ts->o.classify) {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) pos += ts->y[i] > 0.5;
        if (pos == 0 || pos == n)
            iot_die(IOT_EX_DATAERR, "the label has one class only (%zu of %zu rows positive)", pos, n);
    }
}

struct iot_trainset_rows iot_trainset_rows(const struct iot_trainset *ts)
{
    return (struct iot_trainset_rows){ ts->X, ts->y, ts->rk, ts->n, ts->s->nfeat, ts->nkeys };
}

const struct iot_featspec *iot_trainset_spec(const struct iot_trainset *ts) { return ts->s; }

json_t *iot_trainset_digest(const struct iot_trainset *ts)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)ts->digest);
    size_t pos = 0;
    for (size_t i = 0; i < ts->n; i++) pos += ts->y[i] > 0.5;
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:i}", "fnv1a64", hex, "bytes", (json_int_t)ts->digest_bytes,
                     "records", (json_int_t)ts->nrec, "rows", (json_int_t)ts->n,
                     "positives", (json_int_t)(ts->o.classify ? pos : 0), "keys", ts->nkeys);
}

void iot_trainset_free(struct iot_trainset *ts)
{
    if (!ts)
        return;
    for (size_t i = 0; i < ts->nheld; i++) { free(ts->held[i]); free((char *)ts->held_src[i].file); }
    free(ts->held); free(ts->held_src);
    for (int g = 0; g < ts->ngroups; g++) free(ts->group_names[g]);
    free(ts->group_names);
    iot_keytab_free(ts->keyid, NULL);
    iot_keytab_free(ts->groupid, NULL);
    iot_predrec_free(ts->r);
    iot_featspec_free(ts->s);
    if (ts->set_fields) iot_strv_free(ts->set_fields);
    free(ts->sx);
    free(ts->rows); free(ts->x); free(ts->X); free(ts->y); free(ts->rk);
    free(ts);
}

void iot_trainset_read(struct iot_trainset *ts, char **inputs, int n, size_t max_line)
{
    struct iot_in *in = iot_in_open(inputs, n, max_line);
    iot_in_merge_by(in, ts->o.time_field, ts->o.time_unit);   /* one stream in time order */
    char *line;
    size_t len;
    struct iot_src src;
    while (!iot_stop_requested && iot_in_next(in, &line, &len, &src))
        iot_trainset_line(ts, line, len, &src);
    iot_in_close(in);
}
