/* anoalert: alert records. See anoalert.h. */
#include "anoalert.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/diag.h"
#include "core/time.h"

void iot_anoalert_raw(struct iot_out *o, const struct iot_val *v)
{
    if (v->type == IOT_J_ABSENT) iot_out_puts(o, "null");
    else iot_out_write(o, v->p, v->n);
}

void iot_anoalert_head(struct iot_out *o, const struct iot_val *key, const char *type)
{
    if (key) {
        iot_out_puts(o, "{\"deviceId\":");
        iot_anoalert_raw(o, key);
        iot_out_puts(o, ",\"alertType\":");
    } else {
        iot_out_puts(o, "{\"alertType\":");
    }
    iot_out_json_str(o, type, strlen(type));
}

static void end(struct iot_out *o, const char *severity)
{
    iot_out_puts(o, ",\"severity\":");
    iot_out_json_str(o, severity, strlen(severity));
    iot_out_putc(o, '}');
    iot_out_eol(o);
    iot_stat_add("alerts", 1);
}

void iot_anoalert_tail(struct iot_out *o, const struct iot_val *t, int time_unit, const char *severity)
{
    int64_t ns;
    const char *why;
    iot_out_puts(o, ",\"timestamp\":");
    if (t->type != IOT_J_ARR && iot_val_time(t, time_unit, &ns, &why) == 0)
        iot_out_json_time(o, ns);
    else
        iot_anoalert_raw(o, t);
    end(o, severity);
}

void iot_anoalert_tail_json(struct iot_out *o, const json_t *e, int time_unit, const char *severity)
{
    int64_t ns;
    const char *why;
    char num[40];
    const char *t = NULL;
    size_t n = 0;
    iot_out_puts(o, ",\"timestamp\":");
    if (json_is_string(e)) {
        t = json_string_value(e);
        n = json_string_length(e);
        if (iot_time_parse(t, n, &ns, &why) == 0) goto done;
    } else if (json_is_integer(e)) {
        n = (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(e));
        t = num;
    } else if (json_is_real(e)) {
        n = (size_t)snprintf(num, sizeof num, "%.17g", json_real_value(e));
        t = num;
    }
    if (t && iot_time_epoch(t, n, time_unit, &ns, &why) == 0) goto done;
    if (json_is_string(e)) iot_out_json_str(o, t, n);
    else if (t) iot_out_write(o, t, n);
    else iot_out_puts(o, "null");
    end(o, severity);
    return;
done:
    iot_out_json_time(o, ns);
    end(o, severity);
}

void iot_anoalert_score(struct iot_out *o, enum iot_det_method m, double s)
{
    /* auto scores lie in [0,1]: fixed point costs less than shortest round-trip printing */
    if (m == IOT_DET_AUTO) iot_out_json_fixed(o, s, 6);
    else iot_out_json_num(o, s);
}

const char *iot_anoalert_type(const struct iot_det_params *p, const struct iot_det_result *r)
{
    if (p->method == IOT_DET_CHANGEPOINT) return "changepoint";
    return r->dir > 0 ? "spike" : r->dir < 0 ? "dip" : "anomaly";
}

const char *iot_anoalert_severity(const struct iot_det_params *p, const struct iot_det_result *r)
{
    switch (p->method) {
    case IOT_DET_AUTO: return r->score >= 0.9 ? "critical" : "warning";
    case IOT_DET_SPIKEDIP: return r->score <= (1 - p->confidence / 100) / 10 ? "critical" : "warning";
    case IOT_DET_CHANGEPOINT: return "warning";
    default: return fabs(r->score) >= 2 * p->threshold ? "critical" : "warning";
    }
}
