#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/time.h"
#include "core/expr.h"
#include "core/key.h"
#include "predrec.h"

static struct iot_expr *compile(struct iot_fields *F, const char *opt, const char *text)
{
    if (!text)
        return NULL;
    char err[256];
    struct iot_expr *e = iot_expr_compile(text, F, err, sizeof err);
    if (!e)
        iot_usage("%s: %s", opt, err);
    return e;
}

struct iot_predrec *iot_predrec_new(const struct iot_featspec *s, const struct iot_predrec_opts *o)
{
    struct iot_predrec *r = iot_xcalloc(1, sizeof *r);
    const char *key = o->key, *time_field = o->time_field, *label = o->label, *extra = o->extra;
    r->s = s;
    r->o = *o;
    r->key = key;
    r->time_field = time_field;
    r->F = iot_fields_new();
    r->keys = iot_key_names(key, &r->nkeys);
    r->kidx = iot_xcalloc((size_t)r->nkeys + 1, sizeof *r->kidx);
    for (int k = 0; k < r->nkeys; k++)
        r->kidx[k] = iot_fields_add(r->F, r->keys[k]);
    r->tidx = iot_fields_add(r->F, time_field);
    r->lidx = label ? iot_fields_add(r->F, label) : -1;
    r->fidx = iot_xcalloc((size_t)s->nfields + 1, sizeof *r->fidx);
    for (int j = 0; j < s->nfields; j++)
        r->fidx[j] = iot_fields_add(r->F, s->fields[j]);
    r->gidx = iot_xcalloc((size_t)s->ngroupby + 1, sizeof *r->gidx);
    for (int j = 0; j < s->ngroupby; j++)
        r->gidx[j] = iot_fields_add(r->F, s->groupby[j]);
    r->sidx = iot_xcalloc((size_t)o->nsettings + 1, sizeof *r->sidx);
    for (int j = 0; j < o->nsettings; j++)
        r->sidx[j] = iot_fields_add(r->F, o->settings[j]);
    r->reset = compile(r->F, "--reset-on", o->reset_on);
    r->fail = compile(r->F, "--label-from", o->label_from);
    r->xidx = extra ? iot_fields_add(r->F, extra) : -1;
    r->vals = iot_xcalloc((size_t)iot_fields_count(r->F) + 1, sizeof *r->vals);
    r->x = iot_xcalloc((size_t)s->nfields + 1, sizeof *r->x);
    r->sx = iot_xcalloc((size_t)o->nsettings + 1, sizeof *r->sx);
    return r;
}

static const struct iot_val absent;

/* a since() field: a timestamp as the event time is read, or a date alone (RFC 3339 full-date,
 * midnight UTC) */
static int since_time(const struct iot_val *v, int unit, int64_t *ns, const char **why)
{
    if (v->type == IOT_J_STR && !v->esc && v->n == 12) {
        char d[32];
        memcpy(d, v->p + 1, 10);
        memcpy(d + 10, "T00:00:00Z", 10);
        return iot_time_parse(d, 20, ns, why);
    }
    return iot_val_time(v, unit, ns, why);
}

const struct iot_val *iot_predrec_label(const struct iot_predrec *r)
{
    return r->lidx >= 0 ? &r->vals[r->lidx] : &absent;
}

const struct iot_val *iot_predrec_extra(const struct iot_predrec *r)
{
    return r->xidx >= 0 ? &r->vals[r->xidx] : &absent;
}

int iot_predrec_read(struct iot_predrec *r, const char *line, size_t len, const struct iot_src *src)
{
    if (iot_rec_read(r->F, line, len, r->vals, src) < 0)
        return -1;
    if (!iot_key_build(&r->kb, r->vals, r->kidx, r->nkeys)) {
        iot_reject(src, line, len, "missing key", "%s: missing key field", r->key);
        return -1;
    }
    const struct iot_val *tv = &r->vals[r->tidx];
    const char *why;
    if (tv->type == IOT_J_ABSENT) {
        iot_reject(src, line, len, "missing time", "%s: missing time field", r->time_field);
        return -1;
    }
    if (iot_val_time(tv, r->o.time_unit, &r->t, &why) < 0) {
        iot_reject(src, line, len, "bad time", "%s: %s", r->time_field, why);
        return -1;
    }
    r->kind = r->reset && iot_expr_match(r->reset, r->vals) ? IOT_PR_RESET :
              r->fail && iot_expr_match(r->fail, r->vals) ? IOT_PR_FAILURE : IOT_PR_TELEMETRY;
    if (r->kind != IOT_PR_TELEMETRY)
        return 0;
    const struct iot_featspec *s = r->s;
    for (int j = 0; j < s->nfields; j++) {
        const struct iot_val *v = &r->vals[r->fidx[j]];
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) {
            r->x[j] = NAN;
        } else if (s->has_time && s->ftime[j]) {
            int64_t ft;
            if (since_time(v, r->o.time_unit, &ft, &why) < 0) {
                iot_reject(src, line, len, "bad value", "%s: expected a date or timestamp for since(): %s",
                           s->fields[j], why);
                return -1;
            }
            r->x[j] = ((double)r->t - (double)ft) / (86400.0 * IOT_NS_PER_S);
        } else if (iot_val_num(v, &r->x[j]) < 0) {
            iot_reject(src, line, len, "bad value", "%s: %s", s->fields[j], iot_val_num_error(v));
            return -1;
        }
    }
    for (int j = 0; j < r->o.nsettings; j++) {
        const struct iot_val *v = &r->vals[r->sidx[j]];
        if (v->type == IOT_J_ABSENT || v->type == IOT_J_NULL) {
            r->sx[j] = NAN;
        } else if (iot_val_num(v, &r->sx[j]) < 0) {
            iot_reject(src, line, len, "bad value", "%s: expected a number (operating setting)",
                       r->o.settings[j]);
            return -1;
        }
    }
    iot_key_build(&r->gb, r->vals, r->gidx, s->ngroupby);
    return 0;
}

void iot_predrec_free(struct iot_predrec *r)
{
    if (!r)
        return;
    iot_fields_free(r->F);
    iot_expr_free(r->reset);
    iot_expr_free(r->fail);
    iot_strv_free(r->keys);
    free(r->kidx); free(r->fidx); free(r->gidx); free(r->sidx); free(r->vals); free(r->x); free(r->sx);
    iot_buf_free(&r->kb);
    iot_buf_free(&r->gb);
    free(r);
}
