/* board: stream state for iot-top. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/cli.h"
#include "core/key.h"
#include "core/rec.h"
#include "core/time.h"
#include "board.h"

struct scan {
    struct iot_fields *f;
    struct iot_val *vals;
    int *key, nkey, t, atype, afield, sev, event, state, aflag, aname;
    int v[IOT_BOARD_MAXF], flag[IOT_BOARD_MAXF];
    struct iot_buf kb, tmp;
};

void iot_board_init(struct iot_board *b, const struct iot_board_cfg *cfg)
{
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->min_t = INT64_MAX;
    b->max_t = INT64_MIN;
    b->devs = iot_keytab_new(sizeof(struct iot_dev), cfg->max_keys);
    struct scan *s = iot_xcalloc(1, sizeof *s);
    s->f = iot_fields_new();
    s->key = iot_key_fields(s->f, cfg->key, &s->nkey);
    s->t = iot_fields_add(s->f, cfg->time_field);
    s->atype = iot_fields_add(s->f, "alertType");
    s->afield = iot_fields_add(s->f, "field");
    s->sev = iot_fields_add(s->f, "severity");
    s->event = iot_fields_add(s->f, "event");
    s->state = iot_fields_add(s->f, "state");
    s->aflag = iot_fields_add(s->f, "anomaly.isAnomaly");
    s->aname = iot_fields_add(s->f, "anomaly.field");
    for (int i = 0; i < cfg->nfields; i++) {
        s->v[i] = iot_fields_add(s->f, cfg->fields[i]);
        iot_buf_reset(&s->tmp);
        iot_buf_addf(&s->tmp, "anomaly.%s.isAnomaly", cfg->fields[i]);
        s->flag[i] = iot_fields_add(s->f, s->tmp.p);
    }
    s->vals = iot_xcalloc((size_t)iot_fields_count(s->f), sizeof *s->vals);
    b->scan = s;
}

static void copy_str(char *dst, size_t cap, const struct iot_val *v, struct iot_buf *tmp)
{
    dst[0] = 0;
    iot_buf_reset(tmp);
    if (iot_val_str(v, tmp)) return;
    size_t n = tmp->len < cap - 1 ? tmp->len : cap - 1;
    while (n && n < tmp->len && ((unsigned char)tmp->p[n] & 0xc0) == 0x80) n--;
    memcpy(dst, tmp->p, n);
    dst[n] = 0;
}

static int sev_rank(const char *s)
{
    if (!strcmp(s, "critical") || !strcmp(s, "crit") || !strcmp(s, "high")) return IOT_SEV_CRIT;
    if (!strcmp(s, "major") || !strcmp(s, "error")) return IOT_SEV_MAJOR;
    if (!strcmp(s, "warning") || !strcmp(s, "warn") || !strcmp(s, "medium") || !*s) return IOT_SEV_WARN;
    return IOT_SEV_INFO;
}

static void alarm(struct iot_board *b, struct iot_dev *d, const char *type, const char *field, int sev, int64_t t, bool clear)
{
    for (int i = 0; i < b->nalarms; i++) {
        struct iot_alarm *a = &b->alarms[i];
        if (a->dev != d || strcmp(a->type, type) || strcmp(a->field, field)) continue;
        if (clear) { *a = b->alarms[--b->nalarms]; return; }
        if (t > a->last_t) a->last_t = t;
        if (sev < a->sev) a->sev = sev;
        a->count++;
        return;
    }
    if (clear) return;
    if (b->nalarms == IOT_BOARD_MAX_ALARMS) {   /* full: the alarm heard of longest ago goes */
        int old = 0;
        for (int i = 1; i < b->nalarms; i++) if (b->alarms[i].last_t < b->alarms[old].last_t) old = i;
        b->alarms[old] = b->alarms[--b->nalarms];
        b->alarms_dropped++;
    }
    struct iot_alarm *a = &b->alarms[b->nalarms++];
    memset(a, 0, sizeof *a);
    a->dev = d;
    snprintf(a->type, sizeof a->type, "%s", type);
    snprintf(a->field, sizeof a->field, "%s", field);
    a->sev = sev;
    a->since = a->last_t = t;
    a->count = 1;
}

int iot_board_line(struct iot_board *b, const char *line, size_t len, const struct iot_src *src)
{
    struct scan *s = b->scan;
    const char *why;
    if (iot_rec_read(s->f, line, len, s->vals, src) < 0)
        return -1;
    const struct iot_val *tv = &s->vals[s->t];
    int64_t t;
    if (tv->type == IOT_J_ABSENT || tv->type == IOT_J_NULL) {
        iot_reject(src, line, len, "missing time", "%s: missing", b->cfg.time_field);
        return -1;
    }
    if (iot_val_time(tv, b->cfg.time_unit, &t, &why)) {
        iot_reject(src, line, len, "bad time", "%s: %s", b->cfg.time_field, why);
        return -1;
    }
    const char *kp;
    size_t kl;
    iot_key_view(&s->kb, s->vals, s->key, s->nkey, &kp, &kl);
    int created;
    struct iot_dev *d = iot_keytab_get(b->devs, kp, kl, &created);
    if (!d) { b->keys_dropped++; return 0; }
    if (created) d->first_t = d->last_t = t;
    b->records++;
    d->n++;
    if (t > d->last_t) d->last_t = t;
    if (t < d->first_t) d->first_t = t;
    if (t > b->max_t) b->max_t = t;
    if (t < b->min_t) b->min_t = t;
    char type[24], field[24], sev[24], ev[24];
    if (s->vals[s->atype].type == IOT_J_STR) {
        copy_str(type, sizeof type, &s->vals[s->atype], &s->tmp);
        copy_str(field, sizeof field, &s->vals[s->afield], &s->tmp);
        copy_str(sev, sizeof sev, &s->vals[s->sev], &s->tmp);
        copy_str(ev, sizeof ev, &s->vals[s->event], &s->tmp);
        bool clear = !strcmp(ev, "cleared") || !strcmp(ev, "clear");
        copy_str(ev, sizeof ev, &s->vals[s->state], &s->tmp);
        clear |= !strcmp(ev, "clear") || !strcmp(ev, "cleared");
        alarm(b, d, type, field, sev_rank(sev), t, clear);
        return 0;
    }
    bool flag_all = s->vals[s->aflag].type == IOT_J_TRUE;
    copy_str(field, sizeof field, &s->vals[s->aname], &s->tmp);
    for (int i = 0; i < b->cfg.nfields; i++) {
        const struct iot_val *v = &s->vals[s->v[i]];
        double x;
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) continue;
        if (v->type != IOT_J_NUM || iot_val_num(v, &x) || !isfinite(x)) { b->nonnumeric++; continue; }
        d->last[i] = x;
        d->hist[i][d->hpos[i]] = (float)x;
        d->hpos[i] = (uint8_t)((d->hpos[i] + 1) % IOT_BOARD_HIST);
        if (d->hlen[i] < IOT_BOARD_HIST) d->hlen[i]++;
        if (s->vals[s->flag[i]].type == IOT_J_TRUE || (flag_all && (!field[0] || !strcmp(field, b->cfg.fields[i]))))
            alarm(b, d, "anomaly", b->cfg.fields[i], IOT_SEV_WARN, t, false);
    }
    return 0;
}

void iot_board_expire(struct iot_board *b)
{
    size_t pos = 0;
    struct iot_dev *d;
    while ((d = iot_keytab_next(b->devs, &pos))) d->alarms = 0;
    for (int i = 0; i < b->nalarms;) {
        struct iot_alarm *a = &b->alarms[i];
        if (b->cfg.hold > 0 && (uint64_t)b->max_t - (uint64_t)a->last_t > (uint64_t)b->cfg.hold) { *a = b->alarms[--b->nalarms]; continue; }
        a->dev->alarms++;
        i++;
    }
}

bool iot_board_online(const struct iot_board *b, const struct iot_dev *d)
{
    return (uint64_t)b->max_t - (uint64_t)d->last_t <= (uint64_t)b->cfg.offline;
}

double iot_board_rate(const struct iot_dev *d)
{
    return d->n > 1 && d->last_t > d->first_t ? (double)(d->n - 1) * 1e9 / (double)((uint64_t)d->last_t - (uint64_t)d->first_t) : 0;
}

int iot_board_hist(const struct iot_dev *d, int f, float *out)
{
    int n = d->hlen[f], start = (d->hpos[f] - n + IOT_BOARD_HIST) % IOT_BOARD_HIST;
    for (int i = 0; i < n; i++) out[i] = d->hist[f][(start + i) % IOT_BOARD_HIST];
    return n;
}

void iot_board_free(struct iot_board *b)
{
    struct scan *s = b->scan;
    iot_fields_free(s->f);
    free(s->vals);
    free(s->key);
    iot_buf_free(&s->kb);
    iot_buf_free(&s->tmp);
    free(s);
    iot_keytab_free(b->devs, NULL);
}
