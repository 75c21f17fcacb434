#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "feature.h"
#include "core/keytab.h"
#include "core/out.h"
#include "core/state.h"
#include "core/time.h"

#define DAY_NS 86400e9
static const char *const kind_name[] = { "raw", "count", "ewm", "mean", "std", "min", "max",
    "slope", "xmean", "xslope", "hour", "dow", "since_reset", "since" };

static int field_index(struct iot_featspec *s, const char *name, size_t n)
{
    if (n == 6 && memcmp(name, "health", 6) == 0) {
        s->health = true;
        return -2;      /* resolved to nfields after parsing */
    }
    for (int i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i]) == n && memcmp(s->fields[i], name, n) == 0)
            return i;
    s->fields = iot_xrealloc(s->fields, (size_t)(s->nfields + 1) * sizeof *s->fields);
    s->ftime = iot_xrealloc(s->ftime, (size_t)(s->nfields + 1) * sizeof *s->ftime);
    s->ftime[s->nfields] = false;
    char *f = iot_xmalloc(n + 1);
    memcpy(f, name, n);
    f[n] = 0;
    s->fields[s->nfields] = f;
    return s->nfields++;
}

static void feat_name(const struct iot_featspec *s, struct iot_feat *f)
{
    struct iot_buf b = { 0 };
    iot_buf_adds(&b, kind_name[f->kind]);
    if (f->chan != -1) {
        iot_buf_addc(&b, '(');
        iot_buf_adds(&b, f->chan == s->nfields || f->chan == -2 ? "health" : s->fields[f->chan]);
        if (f->kind == IOT_FK_EWM) {
            char d[32];
            iot_fmt_double(d, f->alpha);
            iot_buf_addf(&b, ",%s", d);
        } else if (f->nev) {
            iot_buf_addf(&b, ",%d", f->nev);
        } else if (f->dur) {
            char d[32];
            iot_dur_fmt(f->dur, d);
            iot_buf_addf(&b, ",%s", d);
        }
        iot_buf_addc(&b, ')');
    }
    free(f->name);
    f->name = b.p;
}

static struct iot_feat *add_feat(struct iot_featspec *s)
{
    s->feat = iot_xrealloc(s->feat, (size_t)(s->nfeat + 1) * sizeof *s->feat);
    struct iot_feat *f = &s->feat[s->nfeat++];
    memset(f, 0, sizeof *f);
    f->chan = -1;
    return f;
}

/* One item "kind(field[,arg])" or a bare name. Returns 0 or -1 with err. */
static int parse_item(struct iot_featspec *s, const char *p, size_t n, char *err, size_t cap)
{
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    const char *par = memchr(p, '(', n);
    size_t kl = par ? (size_t)(par - p) : n;
    while (kl && isspace((unsigned char)p[kl - 1])) kl--;
    int kind = -1;
    for (int k = 0; k < (int)(sizeof kind_name / sizeof *kind_name); k++)
        if (strlen(kind_name[k]) == kl && memcmp(kind_name[k], p, kl) == 0)
            kind = k;
    if (kind < 0) {
        snprintf(err, cap, "unknown feature '%.*s'", (int)n, p);
        return -1;
    }
    bool bare = kind == IOT_FK_COUNT || kind == IOT_FK_HOUR || kind == IOT_FK_DOW || kind == IOT_FK_SINCE;
    if (bare != !par) {
        snprintf(err, cap, bare ? "'%.*s' takes no arguments" : "'%.*s' needs (field)", (int)n, p);
        return -1;
    }
    struct iot_feat *f = add_feat(s);
    f->kind = kind;
    if (bare) {
        feat_name(s, f);
        return 0;
    }
    if (p[n - 1] != ')') {
        snprintf(err, cap, "'%.*s': missing ')'", (int)n, p);
        return -1;
    }
    const char *a = par + 1, *end = p + n - 1, *comma = memchr(a, ',', (size_t)(end - a));
    const char *fe = comma ? comma : end;
    while (a < fe && isspace((unsigned char)*a)) a++;
    while (fe > a && isspace((unsigned char)fe[-1])) fe--;
    if (fe == a) {
        snprintf(err, cap, "'%.*s': empty field name", (int)n, p);
        return -1;
    }
    f->chan = field_index(s, a, (size_t)(fe - a));
    if (kind == IOT_FK_SINCEF) {
        if (f->chan < 0) {
            snprintf(err, cap, "'%.*s': health is not a time", (int)n, p);
            return -1;
        }
        s->ftime[f->chan] = true;
    }
    bool rolling = kind >= IOT_FK_RMEAN && kind <= IOT_FK_RSLOPE;
    bool wants = kind == IOT_FK_EWM || rolling;
    if (wants != (comma != NULL)) {
        snprintf(err, cap, wants ? "'%.*s': needs a second argument" : "'%.*s': takes one field",
                 (int)n, p);
        return -1;
    }
    if (comma) {
        char arg[64];
        const char *b = comma + 1;
        while (b < end && isspace((unsigned char)*b)) b++;
        size_t al = (size_t)(end - b);
        while (al && isspace((unsigned char)b[al - 1])) al--;
        if (al == 0 || al >= sizeof arg) {
            snprintf(err, cap, "'%.*s': bad argument", (int)n, p);
            return -1;
        }
        memcpy(arg, b, al);
        arg[al] = 0;
        char *ep;
        if (kind == IOT_FK_EWM) {
            f->alpha = strtod(arg, &ep);
            if (*ep || !(f->alpha > 0 && f->alpha <= 1)) {
                snprintf(err, cap, "'%.*s': alpha must be in (0, 1]", (int)n, p);
                return -1;
            }
        } else {
            long v = strtol(arg, &ep, 10);
            if (!*ep && v >= 1 && v <= 1000000) {
                f->nev = (int)v;
            } else if (iot_dur_parse(arg, &f->dur) != 0 || f->dur <= 0) {
                snprintf(err, cap, "'%.*s': window must be a count of events or a duration", (int)n, p);
                return -1;
            }
        }
    }
    return 0;
}

/* channels whose expanding sums some feature reads (the others are not kept up to date), and
 * the features grouped by kind so that the common kinds run in tight loops */
static void mark_xs(struct iot_featspec *s)
{
    free(s->xs_used);
    free(s->plan);
    s->xs_used = iot_xcalloc((size_t)s->nfields + 1, sizeof *s->xs_used);
    s->has_time = false;
    for (int j = 0; j < s->nfields; j++)
        s->has_time |= s->ftime && s->ftime[j];
    s->plan = iot_xcalloc((size_t)s->nfeat + 1, sizeof *s->plan);
    for (int i = 0; i < s->nfeat; i++)
        if ((s->feat[i].kind == IOT_FK_XMEAN || s->feat[i].kind == IOT_FK_XSLOPE) && s->feat[i].chan >= 0)
            s->xs_used[s->feat[i].chan] = true;
    static const int runs[3] = { IOT_FK_RAW, IOT_FK_EWM, IOT_FK_XSLOPE };
    int q = 0;
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < s->nfeat; i++)
            if (s->feat[i].kind == runs[k] && s->feat[i].chan >= 0)
                s->plan[q++] = i;
        s->plan_end[k] = q;
    }
    for (int i = 0; i < s->nfeat; i++) {
        int k = s->feat[i].kind;
        if (!((k == IOT_FK_RAW || k == IOT_FK_EWM || k == IOT_FK_XSLOPE) && s->feat[i].chan >= 0))
            s->plan[q++] = i;
    }
}

static void resolve_health(struct iot_featspec *s)
{
    for (int i = 0; i < s->nfeat; i++) {
        if (s->feat[i].chan == -2)
            s->feat[i].chan = s->nfields;
        feat_name(s, &s->feat[i]);
    }
    mark_xs(s);
}

/* a field read as a time by since() cannot also be read as a number */
static int check_time_fields(const struct iot_featspec *s, char *err, size_t cap)
{
    for (int i = 0; i < s->nfeat; i++) {
        const struct iot_feat *f = &s->feat[i];
        if (f->chan >= 0 && f->chan < s->nfields && s->ftime[f->chan] && f->kind != IOT_FK_SINCEF) {
            snprintf(err, cap, "'%s': %s is a time (read by since()), not a number", f->name,
                     s->fields[f->chan]);
            return -1;
        }
    }
    return 0;
}

static int parse_into(struct iot_featspec *s, const char *text, char *err, size_t cap)
{
    const char *p = text;
    int depth = 0;
    const char *start = p;
    for (;; p++) {
        if (*p == '(') depth++;
        else if (*p == ')') depth--;
        if ((*p == ',' && depth == 0) || *p == 0) {
            size_t n = (size_t)(p - start);
            const char *q = start;
            while (n && isspace((unsigned char)*q)) q++, n--;
            if (n == 0) {
                snprintf(err, cap, "empty feature in '%s'", text);
                return -1;
            }
            if (parse_item(s, q, n, err, cap) != 0)
                return -1;
            if (*p == 0)
                break;
            start = p + 1;
        }
        if (depth < 0) {
            snprintf(err, cap, "unbalanced ')' in '%s'", text);
            return -1;
        }
    }
    if (depth != 0) {
        snprintf(err, cap, "unbalanced '(' in '%s'", text);
        return -1;
    }
    return 0;
}

struct iot_featspec *iot_featspec_parse(const char *text, char *err, size_t errcap)
{
    struct iot_featspec *s = iot_xcalloc(1, sizeof *s);
    if (parse_into(s, text, err, errcap) != 0) {
        iot_featspec_free(s);
        return NULL;
    }
    resolve_health(s);
    if (check_time_fields(s, err, errcap) != 0) {
        iot_featspec_free(s);
        return NULL;
    }
    return s;
}

static void add_simple(struct iot_featspec *s, int kind, int chan, double alpha)
{
    struct iot_feat *f = add_feat(s);
    f->kind = kind; f->chan = chan; f->alpha = alpha;
}

struct iot_featspec *iot_featspec_auto(char **fields, int nfields, bool reset, bool health)
{
    static const double a = 0.1;
    return iot_featspec_auto_spans(fields, nfields, reset, health, &a, 1);
}

struct iot_featspec *iot_featspec_auto_spans(char **fields, int nfields, bool reset, bool health,
                                             const double *alphas, int nalpha)
{
    struct iot_featspec *s = iot_xcalloc(1, sizeof *s);
    for (int i = 0; i < nfields; i++)
        field_index(s, fields[i], strlen(fields[i]));
    for (int c = 0; c < s->nfields + (health ? 1 : 0); c++) {
        add_simple(s, IOT_FK_RAW, c, 0);
        for (int k = 0; k < nalpha; k++)
            add_simple(s, IOT_FK_EWM, c, alphas[k]);
        add_simple(s, IOT_FK_XSLOPE, c, 0);
    }
    add_simple(s, IOT_FK_COUNT, -1, 0);
    if (reset)
        add_simple(s, IOT_FK_SINCE, -1, 0);
    s->health = health;
    s->standardize = health;
    resolve_health(s);
    return s;
}

void iot_featspec_keep(struct iot_featspec *s, const bool *keep)
{
    int nk = 0;
    for (int i = 0; i < s->nfeat; i++) {
        if (keep[i]) s->feat[nk++] = s->feat[i];
        else free(s->feat[i].name);
    }
    s->nfeat = nk;
    mark_xs(s);
}

void iot_featspec_prune(struct iot_featspec *s, const bool *keep)
{
    int *map = iot_xmalloc((size_t)(s->nfields + 1) * sizeof *map), nf = 0;
    for (int i = 0; i < s->nfields; i++) {
        if (keep[i]) {
            map[i] = nf;
            s->ftime[nf] = s->ftime[i];
            s->fields[nf++] = s->fields[i];
        } else {
            map[i] = -1;
            free(s->fields[i]);
        }
    }
    map[s->nfields] = nf;   /* health */
    int nk = 0;
    for (int i = 0; i < s->nfeat; i++) {
        struct iot_feat f = s->feat[i];
        if (f.chan >= 0 && map[f.chan] < 0) {
            free(f.name);
            continue;
        }
        if (f.chan >= 0)
            f.chan = map[f.chan];
        s->feat[nk++] = f;
    }
    s->nfeat = nk;
    s->nfields = nf;
    free(map);
    mark_xs(s);
}

void iot_featspec_free(struct iot_featspec *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nfields; i++) free(s->fields[i]);
    for (int i = 0; i < s->nfeat; i++) free(s->feat[i].name);
    for (int i = 0; i < s->ngroupby; i++) free(s->groupby[i]);
    for (int i = 0; i < s->ngroups; i++) free(s->gkeys[i]);
    free(s->fields); free(s->feat); free(s->groupby); free(s->gkeys);
    free(s->gmean); free(s->gsd); free(s->pcw); free(s->xs_used); free(s->plan);
    free(s->ftime); free(s->rgroup);
    iot_regimes_free(s->regimes);
    if (s->gindex)
        iot_keytab_free(s->gindex, NULL);
    free(s);
}

/* ---- fitting ---- */

void iot_featspec_field_sd(const struct iot_featspec *s, const double *X, size_t n, double *out)
{
    for (int j = 0; j < s->nfields; j++) {
        double m = 0, c = 0, k = 0;
        for (size_t i = 0; i < n; i++) {
            double v = X[i * (size_t)s->nfields + j];
            if (isnan(v)) continue;
            k++;
            double d = v - m;
            m += d / k;
            c += d * (v - m);
        }
        out[j] = k > 1 ? sqrt(c / (k - 1)) : 0;
    }
}

static int add_group(struct iot_featspec *s, const char *key, size_t klen)
{
    if (!s->gindex)
        s->gindex = iot_keytab_new(sizeof(int), 0);
    int created;
    int *ix = iot_keytab_get(s->gindex, key, klen, &created);
    if (!created)
        return *ix;
    *ix = s->ngroups++;
    s->gkeys = iot_xrealloc(s->gkeys, (size_t)s->ngroups * sizeof *s->gkeys);
    char *k = iot_xmalloc(klen + 1);
    memcpy(k, key, klen);
    k[klen] = 0;
    s->gkeys[*ix] = k;
    s->gmean = iot_xrealloc(s->gmean, (size_t)s->ngroups * s->nfields * sizeof *s->gmean);
    s->gsd = iot_xrealloc(s->gsd, (size_t)s->ngroups * s->nfields * sizeof *s->gsd);
    for (int j = 0; j < s->nfields; j++) {
        s->gmean[(size_t)*ix * s->nfields + j] = 0;
        s->gsd[(size_t)*ix * s->nfields + j] = 1;
    }
    return *ix;
}

int iot_featspec_group(const struct iot_featspec *s, const char *key, size_t klen)
{
    if (!s->gindex || s->ngroups <= 1)
        return 0;
    const int *ix = iot_keytab_find(s->gindex, key, klen);
    return ix ? *ix : 0;
}

const char *iot_featspec_regime_key(int r, char buf[16])
{
    snprintf(buf, 16, "#%d", r);
    return buf;
}

int iot_featspec_regime_group(const struct iot_featspec *s, int r)
{
    return r >= 0 && s->rgroup && s->regimes && r < s->regimes->k ? s->rgroup[r] : 0;
}

void iot_featspec_set_regimes(struct iot_featspec *s, struct iot_regimes *R)
{
    if (R != s->regimes)
        iot_regimes_free(s->regimes);
    s->regimes = R;
    free(s->rgroup);
    s->rgroup = NULL;
    if (!R)
        return;
    s->rgroup = iot_xcalloc((size_t)R->k, sizeof *s->rgroup);
    for (int r = 0; r < R->k; r++) {
        char b[16];
        iot_featspec_regime_key(r, b);
        s->rgroup[r] = iot_featspec_group(s, b, strlen(b));
    }
}

static inline double zval(const struct iot_featspec *s, int g, int j, double v)
{
    if (s->ftime && s->ftime[j])
        return 0;           /* times take no part in the health index */
    if (!s->standardize || !s->fitted)
        return v;
    return (v - s->gmean[(size_t)g * s->nfields + j]) / s->gsd[(size_t)g * s->nfields + j];
}

void iot_featspec_fit(struct iot_featspec *s, const double *X, size_t n,
                      const char *const *gkey, double *sd_out)
{
    const int nf = s->nfields;
    for (int i = 0; i < s->ngroups; i++) free(s->gkeys[i]);
    free(s->gkeys); free(s->gmean); free(s->gsd);
    s->gkeys = NULL; s->gmean = s->gsd = NULL; s->ngroups = 0;
    if (s->gindex) iot_keytab_free(s->gindex, NULL);
    s->gindex = NULL;
    add_group(s, "", 0);
    for (int r = 0; s->regimes && r < s->regimes->k; r++) {    /* regime r is group r + 1 */
        char b[16];
        iot_featspec_regime_key(r, b);
        add_group(s, b, strlen(b));
    }
    int *gi = iot_xmalloc((n + 1) * sizeof *gi);
    for (size_t i = 0; i < n; i++)
        gi[i] = gkey && gkey[i] && (s->ngroupby > 0 || s->regimes) ? add_group(s, gkey[i], strlen(gkey[i])) : 0;
    /* Welford per group and field; group 0 accumulates every row */
    size_t G = (size_t)s->ngroups;
    double *cnt = iot_xcalloc(G * nf, sizeof *cnt), *mean = iot_xcalloc(G * nf, sizeof *mean),
           *m2 = iot_xcalloc(G * nf, sizeof *m2);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < nf; j++) {
            double v = X[i * nf + j];
            if (isnan(v)) continue;
            int gs[2] = { 0, gi[i] };
            for (int q = 0; q < (gi[i] ? 2 : 1); q++) {
                size_t o = (size_t)gs[q] * nf + j;
                double d = v - mean[o];
                cnt[o]++;
                mean[o] += d / cnt[o];
                m2[o] += d * (v - mean[o]);
            }
        }
    for (size_t g = 0; g < G; g++)
        for (int j = 0; j < nf; j++) {
            size_t o = g * nf + j;
            double sd = cnt[o] > 1 ? sqrt(m2[o] / (cnt[o] - 1)) : 0;
            if (g > 0 && (cnt[o] < 2 || !(sd > 0))) {   /* too little data: use the global fit */
                s->gmean[o] = s->gmean[j]; s->gsd[o] = s->gsd[j];
                continue;
            }
            s->gmean[o] = mean[o];
            s->gsd[o] = sd > 0 ? sd : 1;
            if (g == 0 && sd_out)
                sd_out[j] = sd;
        }
    free(cnt); free(mean); free(m2);
    s->fitted = true;
    /* health: leading eigenvector of the covariance of the standardised complete rows, by power
     * iteration from a fixed start (deterministic); sign chosen so the weights sum to >= 0 */
    free(s->pcw);
    s->pcw = NULL;
    if (s->health && nf > 0) {
        bool was = s->standardize;
        s->standardize = true;
        double *C = iot_xcalloc((size_t)nf * nf, sizeof *C), *z = iot_xmalloc(nf * sizeof *z);
        size_t rows = 0;
        for (size_t i = 0; i < n; i++) {
            int j;
            for (j = 0; j < nf; j++) {
                z[j] = zval(s, gi[i], j, X[i * nf + j]);
                if (isnan(z[j])) break;
            }
            if (j < nf) continue;
            rows++;
            for (int a = 0; a < nf; a++)
                for (int b = 0; b < nf; b++)
                    C[a * nf + b] += z[a] * z[b];
        }
        s->standardize = was;
        double *w = iot_xmalloc(nf * sizeof *w), *v = iot_xmalloc(nf * sizeof *v);
        for (int j = 0; j < nf; j++)
            w[j] = 1 / sqrt(nf) + 1e-3 * j;     /* not orthogonal to a symmetric leading vector */
        for (int it = 0; it < 500 && rows > 0; it++) {
            double norm = 0;
            for (int a = 0; a < nf; a++) {
                v[a] = 0;
                for (int b = 0; b < nf; b++) v[a] += C[a * nf + b] * w[b];
                norm += v[a] * v[a];
            }
            norm = sqrt(norm);
            if (!(norm > 0)) break;
            double diff = 0;
            for (int a = 0; a < nf; a++) {
                diff += fabs(v[a] / norm - w[a]);
                w[a] = v[a] / norm;
            }
            if (diff < 1e-13) break;
        }
        double sum = 0;
        for (int j = 0; j < nf; j++) sum += w[j];
        if (sum < 0)
            for (int j = 0; j < nf; j++) w[j] = -w[j];
        s->pcw = w;
        free(v); free(C); free(z);
    }
    free(gi);
}

/* ---- per-key state ---- */

struct ring { double *t, *x; int cap, head, len; };
struct xsum { double n, mt, mx, ctt, ctx; };

struct iot_featstate {
    int nfeat;
    double count;
    int64_t reset_t;
    bool has_reset;
    struct xsum *xs;        /* [nchan] */
    double *ewm;            /* [nfeat], NaN until the first value */
    struct ring *rg;        /* [nfeat] */
};

static int nchan(const struct iot_featspec *s) { return s->nfields + 1; }

struct iot_featstate *iot_featstate_new(const struct iot_featspec *s)
{
    struct iot_featstate *st = iot_xcalloc(1, sizeof *st);
    st->xs = iot_xcalloc((size_t)nchan(s), sizeof *st->xs);
    st->ewm = iot_xmalloc((size_t)(s->nfeat + 1) * sizeof *st->ewm);
    st->rg = iot_xcalloc((size_t)(s->nfeat + 1), sizeof *st->rg);
    st->nfeat = s->nfeat;
    for (int i = 0; i < s->nfeat; i++)
        st->ewm[i] = NAN;
    return st;
}

void iot_featstate_free(struct iot_featstate *st)
{
    if (!st) return;
    free(st->xs); free(st->ewm);
    for (int i = 0; i < st->nfeat; i++) {
        free(st->rg[i].t);
        free(st->rg[i].x);
    }
    free(st->rg);
    free(st);
}

void iot_featstate_reset(const struct iot_featspec *s, struct iot_featstate *st, int64_t t)
{
    st->count = 0;
    memset(st->xs, 0, (size_t)nchan(s) * sizeof *st->xs);
    st->reset_t = t;
    st->has_reset = true;
}

static void ring_push(struct ring *r, const struct iot_feat *f, double td, double x)
{
    if (r->len == r->cap) {
        if (f->nev && r->cap == f->nev) {           /* full fixed window: drop the oldest */
            r->head = (r->head + 1) % r->cap;
            r->len--;
        } else {                                    /* grow, unrolling the ring */
            int nc = r->cap ? 2 * r->cap : (f->nev ? f->nev : 16);
            if (f->nev && nc > f->nev) nc = f->nev;
            double *nt = iot_xmalloc((size_t)nc * sizeof *nt), *nx = iot_xmalloc((size_t)nc * sizeof *nx);
            for (int i = 0; i < r->len; i++) {
                nt[i] = r->t[(r->head + i) % r->cap];
                nx[i] = r->x[(r->head + i) % r->cap];
            }
            free(r->t); free(r->x);
            r->t = nt; r->x = nx; r->cap = nc; r->head = 0;
        }
    }
    int at = (r->head + r->len) % r->cap;
    r->t[at] = td; r->x[at] = x;
    r->len++;
}

static void ring_evict(struct ring *r, const struct iot_feat *f, double td)
{
    if (!f->dur) return;
    double from = td - (double)f->dur / DAY_NS;     /* window (t - T, t] */
    while (r->len && r->t[r->head] <= from) {
        r->head = (r->head + 1) % r->cap;
        r->len--;
    }
}

static double ring_stat(const struct ring *r, int kind)
{
    int n = r->len;
    if (n == 0) return NAN;
    double mt = 0, mx = 0, mn = INFINITY, mxv = -INFINITY;
    for (int i = 0; i < n; i++) {
        int k = (r->head + i) % r->cap;
        mt += r->t[k]; mx += r->x[k];
        if (r->x[k] < mn) mn = r->x[k];
        if (r->x[k] > mxv) mxv = r->x[k];
    }
    mt /= n; mx /= n;
    switch (kind) {
    case IOT_FK_RMEAN: return mx;
    case IOT_FK_RMIN: return mn;
    case IOT_FK_RMAX: return mxv;
    default: break;
    }
    double sxx = 0, stt = 0, stx = 0;
    for (int i = 0; i < n; i++) {
        int k = (r->head + i) % r->cap;
        double dt = r->t[k] - mt, dx = r->x[k] - mx;
        sxx += dx * dx; stt += dt * dt; stx += dt * dx;
    }
    if (kind == IOT_FK_RSTD)
        return n > 1 ? sqrt(sxx / (n - 1)) : NAN;
    return n > 1 && stt > 0 ? stx / stt : NAN;
}

void iot_feat_update(const struct iot_featspec *s, struct iot_featstate *st, int64_t t,
                     const double *x, int g, float *out)
{
    iot_feat_update_strided(s, st, t, x, g, out, 1);
}

void iot_feat_update_strided(const struct iot_featspec *s, struct iot_featstate *st, int64_t t,
                             const double *x, int g, float *out, size_t stride)
{
    const int nf = s->nfields;
    double zbuf[64], *z = nf + 1 <= 64 ? zbuf : iot_xmalloc((size_t)(nf + 1) * sizeof *z);
    const double *gm = s->gmean ? s->gmean + (size_t)g * nf : NULL, *gs = s->gsd ? s->gsd + (size_t)g * nf : NULL;
    if (s->standardize && s->fitted)
        for (int j = 0; j < nf; j++)
            z[j] = (x[j] - gm[j]) / gs[j];
    else
        for (int j = 0; j < nf; j++)
            z[j] = x[j];
    if (s->has_time)        /* since(): days, as read */
        for (int j = 0; j < nf; j++)
            if (s->ftime[j]) z[j] = x[j];
    z[nf] = NAN;
    if (s->pcw) {       /* health on standardised values even when fields are not */
        double h = 0;
        for (int j = 0; j < nf; j++)
            if (!(s->has_time && s->ftime[j]))
                h += s->pcw[j] * (s->standardize ? z[j] : (x[j] - gm[j]) / gs[j]);
        z[nf] = h;
    }
    double td = (double)t / DAY_NS;
    st->count += 1;
    for (int c = 0; c <= nf; c++) {
        if (isnan(z[c]) || !s->xs_used[c]) continue;
        /* running least squares (Welford-style co-moments; equivalent to the sums n, Σt, Σx,
         * Σtx, Σt² but without cancellation) */
        struct xsum *a = &st->xs[c];
        a->n += 1;
        double inv = 1 / a->n;      /* one division, not two: divisions dominate this loop */
        double dt = td - a->mt;
        a->mt += dt * inv;
        double dx = z[c] - a->mx;
        a->mx += dx * inv;
        a->ctt += dt * (td - a->mt);
        a->ctx += dt * (z[c] - a->mx);
    }
    const int *plan = s->plan;
    int q = 0;
    for (; q < s->plan_end[0]; q++) {
        int i = plan[q];
        out[(size_t)i * stride] = (float)z[s->feat[i].chan];
    }
    for (; q < s->plan_end[1]; q++) {
        int i = plan[q];
        const struct iot_feat *f = &s->feat[i];
        double zc = z[f->chan];
        if (!isnan(zc))
            st->ewm[i] = isnan(st->ewm[i]) ? zc : f->alpha * zc + (1 - f->alpha) * st->ewm[i];
        out[(size_t)i * stride] = (float)st->ewm[i];
    }
    for (; q < s->plan_end[2]; q++) {
        int i = plan[q];
        const struct xsum *a = &st->xs[s->feat[i].chan];
        out[(size_t)i * stride] = (float)(a->n > 1 && a->ctt > 0 ? a->ctx / a->ctt : NAN);
    }
    for (; q < s->nfeat; q++) {
        int i = plan[q];
        const struct iot_feat *f = &s->feat[i];
        double v = NAN, zc = f->chan >= 0 ? z[f->chan] : NAN;
        switch (f->kind) {
        case IOT_FK_RAW: v = zc; break;
        case IOT_FK_COUNT: v = st->count; break;
        case IOT_FK_EWM:
            if (!isnan(zc))
                st->ewm[i] = isnan(st->ewm[i]) ? zc : f->alpha * zc + (1 - f->alpha) * st->ewm[i];
            v = st->ewm[i];
            break;
        case IOT_FK_RMEAN: case IOT_FK_RSTD: case IOT_FK_RMIN: case IOT_FK_RMAX: case IOT_FK_RSLOPE:
            if (!isnan(zc))
                ring_push(&st->rg[i], f, td, zc);
            ring_evict(&st->rg[i], f, td);
            v = ring_stat(&st->rg[i], f->kind);
            break;
        case IOT_FK_XMEAN:
            v = st->xs[f->chan].n > 0 ? st->xs[f->chan].mx : NAN;
            break;
        case IOT_FK_XSLOPE: {
            const struct xsum *a = &st->xs[f->chan];
            v = a->n > 1 && a->ctt > 0 ? a->ctx / a->ctt : NAN;
            break;
        }
        case IOT_FK_HOUR: v = (double)((iot_floordiv(t, 3600 * IOT_NS_PER_S) % 24 + 24) % 24); break;
        case IOT_FK_DOW: {      /* ISO: Monday 1 … Sunday 7; 1970-01-01 was a Thursday */
            int64_t d = iot_floordiv(t, 86400 * IOT_NS_PER_S);
            v = (double)(((d + 3) % 7 + 7) % 7 + 1);
            break;
        }
        case IOT_FK_SINCE: v = st->has_reset ? (double)(t - st->reset_t) / DAY_NS : NAN; break;
        case IOT_FK_SINCEF: v = zc; break;
        }
        out[(size_t)i * stride] = (float)v;
    }
    if (z != zbuf)
        free(z);
}

/* ---- JSON ---- */

static json_t *reals(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, iot_json_real(v[i]));
    return a;
}

static int get_reals(const json_t *a, double *v, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(a, i);
        if (json_is_null(e)) v[i] = NAN;
        else if (json_is_number(e)) v[i] = json_number_value(e);
        else return -1;
    }
    return 0;
}

json_t *iot_featspec_to_json(const struct iot_featspec *s)
{
    json_t *j = json_object(), *fields = json_array(), *feats = json_array(), *by = json_array();
    for (int i = 0; i < s->nfields; i++) json_array_append_new(fields, json_string(s->fields[i]));
    for (int i = 0; i < s->nfeat; i++) json_array_append_new(feats, json_string(s->feat[i].name));
    for (int i = 0; i < s->ngroupby; i++) json_array_append_new(by, json_string(s->groupby[i]));
    json_object_set_new(j, "fields", fields);
    json_object_set_new(j, "features", feats);
    json_object_set_new(j, "standardize", json_boolean(s->standardize));
    json_object_set_new(j, "standardize_by", by);
    json_object_set_new(j, "health", json_boolean(s->health));
    if (s->regimes)
        json_object_set_new(j, "regimes", iot_regimes_to_json(s->regimes));
    if (s->fitted) {
        json_t *gs = json_array();
        for (int g = 0; g < s->ngroups; g++) {
            json_t *o = json_object();
            json_object_set_new(o, "key", json_string(s->gkeys[g]));
            json_object_set_new(o, "mean", reals(s->gmean + (size_t)g * s->nfields, (size_t)s->nfields));
            json_object_set_new(o, "sd", reals(s->gsd + (size_t)g * s->nfields, (size_t)s->nfields));
            json_array_append_new(gs, o);
        }
        json_object_set_new(j, "groups", gs);
        if (s->pcw)
            json_object_set_new(j, "health_weights", reals(s->pcw, (size_t)s->nfields));
    }
    return j;
}

struct iot_featspec *iot_featspec_from_json(const json_t *j, char *err, size_t cap)
{
    if (json_is_array(j)) {     /* a bare list of items */
        json_t *o = json_object();
        json_object_set(o, "features", (json_t *)j);
        struct iot_featspec *s = iot_featspec_from_json(o, err, cap);
        json_decref(o);
        return s;
    }
    const json_t *feats = json_object_get(j, "features"), *fields = json_object_get(j, "fields");
    if (!json_is_object(j) || !json_is_array(feats)) {
        snprintf(err, cap, "feature spec: expected {\"features\": [...]}");
        return NULL;
    }
    struct iot_featspec *s = iot_xcalloc(1, sizeof *s);
    size_t i;
    const json_t *e;
    if (fields) {
        json_array_foreach(fields, i, e) {
            if (!json_is_string(e) || strcmp(json_string_value(e), "health") == 0) goto bad;
            field_index(s, json_string_value(e), json_string_length(e));
        }
    }
    json_array_foreach(feats, i, e) {
        if (!json_is_string(e)) goto bad;
        if (parse_into(s, json_string_value(e), err, cap) != 0) goto fail;
    }
    resolve_health(s);
    s->standardize = json_is_true(json_object_get(j, "standardize"));
    if (json_is_true(json_object_get(j, "health"))) s->health = true;
    const json_t *by = json_object_get(j, "standardize_by");
    if (by) {
        if (!json_is_array(by)) goto bad;
        json_array_foreach(by, i, e) {
            if (!json_is_string(e)) goto bad;
            s->groupby = iot_xrealloc(s->groupby, (size_t)(s->ngroupby + 1) * sizeof *s->groupby);
            s->groupby[s->ngroupby++] = iot_xstrdup(json_string_value(e));
        }
    }
    const json_t *gs = json_object_get(j, "groups");
    if (gs) {
        if (!json_is_array(gs) || json_array_size(gs) == 0) goto bad;
        json_array_foreach(gs, i, e) {
            const json_t *k = json_object_get(e, "key");
            if (!json_is_string(k)) goto bad;
            int g = add_group(s, json_string_value(k), json_string_length(k));
            if ((size_t)g != i) goto bad;
            if (get_reals(json_object_get(e, "mean"), s->gmean + (size_t)g * s->nfields, (size_t)s->nfields) ||
                get_reals(json_object_get(e, "sd"), s->gsd + (size_t)g * s->nfields, (size_t)s->nfields))
                goto bad;
        }
        s->fitted = true;
        const json_t *w = json_object_get(j, "health_weights");
        if (w) {
            s->pcw = iot_xmalloc((size_t)(s->nfields + 1) * sizeof *s->pcw);
            if (get_reals(w, s->pcw, (size_t)s->nfields)) goto bad;
        } else if (s->health) {
            goto bad;
        }
    }
    const json_t *rj = json_object_get(j, "regimes");
    if (rj) {
        if (!s->fitted || s->ngroupby) goto bad;
        struct iot_regimes *R = iot_regimes_from_json(rj, err, cap);
        if (!R) goto fail;
        iot_featspec_set_regimes(s, R);
    }
    if (check_time_fields(s, err, cap) != 0) goto fail;
    return s;
bad:
    snprintf(err, cap, "feature spec: malformed");
fail:
    iot_featspec_free(s);
    return NULL;
}

json_t *iot_featstate_to_json(const struct iot_featspec *s, const struct iot_featstate *st)
{
    json_t *j = json_object(), *xs = json_array(), *ew = json_array(), *rg = json_array();
    json_object_set_new(j, "count", iot_json_real(st->count));
    json_object_set_new(j, "reset", st->has_reset ? json_integer(st->reset_t) : json_null());
    for (int c = 0; c < nchan(s); c++) {
        const struct xsum *a = &st->xs[c];
        double v[5] = { a->n, a->mt, a->mx, a->ctt, a->ctx };
        json_array_append_new(xs, reals(v, 5));
    }
    for (int i = 0; i < s->nfeat; i++) {
        json_array_append_new(ew, iot_json_real(st->ewm[i]));
        const struct ring *r = &st->rg[i];
        json_t *p = json_array();
        for (int q = 0; q < r->len; q++) {
            int k = (r->head + q) % r->cap;
            json_array_append_new(p, iot_json_real(r->t[k]));
            json_array_append_new(p, iot_json_real(r->x[k]));
        }
        json_array_append_new(rg, p);
    }
    json_object_set_new(j, "xs", xs);
    json_object_set_new(j, "ewm", ew);
    json_object_set_new(j, "rings", rg);
    return j;
}

int iot_featstate_from_json(const struct iot_featspec *s, struct iot_featstate *st, const json_t *j)
{
    const json_t *xs = json_object_get(j, "xs"), *ew = json_object_get(j, "ewm"),
                 *rg = json_object_get(j, "rings"), *c = json_object_get(j, "count"),
                 *r = json_object_get(j, "reset");
    if (!json_is_number(c) || !json_is_array(xs) || json_array_size(xs) != (size_t)nchan(s) ||
        !json_is_array(rg) || json_array_size(rg) != (size_t)s->nfeat ||
        get_reals(ew, st->ewm, (size_t)s->nfeat) || !(json_is_null(r) || json_is_integer(r)))
        return -1;
    st->count = json_number_value(c);
    st->has_reset = json_is_integer(r);
    st->reset_t = st->has_reset ? json_integer_value(r) : 0;
    for (int q = 0; q < nchan(s); q++) {
        double v[5];
        if (get_reals(json_array_get(xs, (size_t)q), v, 5)) return -1;
        st->xs[q] = (struct xsum){ v[0], v[1], v[2], v[3], v[4] };
    }
    for (int i = 0; i < s->nfeat; i++) {
        const json_t *p = json_array_get(rg, (size_t)i);
        size_t n = json_array_size(p);
        if (!json_is_array(p) || n % 2) return -1;
        bool rolling = s->feat[i].kind >= IOT_FK_RMEAN && s->feat[i].kind <= IOT_FK_RSLOPE;
        if (n && !rolling) return -1;
        if (s->feat[i].nev && n / 2 > (size_t)s->feat[i].nev) return -1;
        st->rg[i].len = st->rg[i].head = 0;
        for (size_t q = 0; q < n; q += 2) {
            const json_t *a = json_array_get(p, q), *b = json_array_get(p, q + 1);
            if (!json_is_number(a) || !json_is_number(b)) return -1;
            ring_push(&st->rg[i], &s->feat[i], json_number_value(a), json_number_value(b));
        }
    }
    return 0;
}
