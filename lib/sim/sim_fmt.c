/* sim_fmt: records to text. Hot path: fixed-point numbers and cached dates, mostly memcpy. */
#include <stdio.h>
#include <string.h>
#include "sim.h"
#include "sim_impl.h"
#include "core/out.h"
#include "core/time.h"

/* The date part changes once a day: keep it. */
static _Thread_local int64_t cached_day = INT64_MIN;
static _Thread_local char cached_date[16];

size_t iot_sim_fmt_time(char *buf, int64_t ns)
{
    const int64_t day_ns = 86400 * IOT_NS_PER_S;
    int64_t day = iot_floordiv(ns, day_ns);
    if (day != cached_day) {
        int64_t y;
        unsigned m, d;
        iot_civil_from_days(day, &y, &m, &d);
        if (y < 0 || y > 9999) return iot_time_fmt(ns, buf);
        snprintf(cached_date, sizeof cached_date, "%04d-%02u-%02uT", (int)y, m, d);
        cached_day = day;
    }
    int64_t ms = (ns - day * day_ns) / IOT_NS_PER_MS;
    unsigned h = (unsigned)(ms / 3600000), mi = (unsigned)(ms / 60000 % 60),
             s = (unsigned)(ms / 1000 % 60), f = (unsigned)(ms % 1000);
    memcpy(buf, cached_date, 11);
    char *p = buf + 11;
    memcpy(p, iot_digits2 + 2 * h, 2); p[2] = ':';
    memcpy(p + 3, iot_digits2 + 2 * mi, 2); p[5] = ':';
    memcpy(p + 6, iot_digits2 + 2 * s, 2); p[8] = '.';
    p[9] = (char)('0' + f / 100);
    memcpy(p + 10, iot_digits2 + 2 * (f % 100), 2);
    p[12] = 'Z';
    return 24;
}

void iot_sim_frag_init(struct iot_sim *s)
{
    bool csv = s->c.format == IOT_SIM_CSV;
    s->ncols = 0;
    for (int k = 0; k < s->f->ntypes; k++) {
        const struct iot_sim_type *t = &s->f->t[k];
        struct iot_sim_frag *fr = &s->frag[k];
        if (csv) {
            fr->head_len = (unsigned)snprintf(fr->head, sizeof fr->head, "%s-", t->prefix);
            fr->mid_len = (unsigned)snprintf(fr->mid, sizeof fr->mid, ",%s,", t->name);
        } else {
            fr->head_len = (unsigned)snprintf(fr->head, sizeof fr->head, "{\"deviceId\":\"%s-", t->prefix);
            fr->mid_len = (unsigned)snprintf(fr->mid, sizeof fr->mid,
                                             "\",\"deviceType\":\"%s\",\"timestamp\":\"", t->name);
        }
        for (int j = 0; j < t->nsensors; j++) {
            fr->key_len[j] = (unsigned)snprintf(fr->key[j], sizeof fr->key[j], ",\"%s\":", t->s[j].name);
            int c = -1;
            for (int q = 0; q < s->ncols; q++)
                if (strcmp(s->cols[q], t->s[j].name) == 0) c = q;
            if (c < 0) { c = s->ncols; s->cols[s->ncols++] = t->s[j].name; }
            fr->col[j] = c;
        }
    }
}

size_t iot_sim_device_id(const struct iot_sim *s, int64_t dev, char *buf)
{
    const struct iot_sim_type *t = &s->f->t[s->dev[dev].type];
    size_t n = strlen(t->prefix);
    memcpy(buf, t->prefix, n);
    buf[n++] = '-';
    return n + (size_t)snprintf(buf + n, 32, "%06lld", (long long)dev);
}

static char *put_id_num(char *p, uint32_t dev)
{
    if (dev < 1000000) {
        unsigned a = dev / 10000, b = dev / 100 % 100, c = dev % 100;
        memcpy(p, iot_digits2 + 2 * a, 2);
        memcpy(p + 2, iot_digits2 + 2 * b, 2);
        memcpy(p + 4, iot_digits2 + 2 * c, 2);
        return p + 6;
    }
    return p + iot_fmt_u64(p, dev);
}

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* The part every record starts with, JSON or CSV: the type's fragments around the device
 * number, then the timestamp. */
static char *put_prefix(const struct iot_sim *s, const struct iot_sim_rec *r, char *p)
{
    const struct iot_sim_frag *fr = &s->frag[r->type - s->f->t];
    memcpy(p, fr->head, fr->head_len); p += fr->head_len;
    p = put_id_num(p, r->dev);
    memcpy(p, fr->mid, fr->mid_len); p += fr->mid_len;
    return p + iot_sim_fmt_time(p, r->t);
}

static size_t format_json(const struct iot_sim *s, const struct iot_sim_rec *r, char *buf)
{
    const struct iot_sim_type *t = r->type;
    const struct iot_sim_frag *fr = &s->frag[t - s->f->t];
    char *p = put_prefix(s, r, buf);
    *p++ = '"';
    if (r->msg == IOT_SIM_TELEMETRY) {
        for (int k = 0; k < t->nsensors; k++) {
            memcpy(p, fr->key[k], fr->key_len[k]); p += fr->key_len[k];
            if (r->missing[k]) PUT(p, "null");
            else p += iot_fmt_scaled(p, r->value[k], t->s[k].decimals);
        }
        if (r->high) PUT(p, ",\"priority\":\"high\",\"messageType\":\"telemetry\"");
        else PUT(p, ",\"priority\":\"normal\",\"messageType\":\"telemetry\"");
        if (s->c.truth) {
            PUT(p, ",\"_anomaly\":\"");
            p = put_str(p, iot_sim_anomaly_name(r->anomaly));
            *p++ = '"';
            if (r->an_sensor >= 0) {
                PUT(p, ",\"_anomalySensor\":\"");
                p = put_str(p, t->s[r->an_sensor].name);
                *p++ = '"';
            }
            PUT(p, ",\"_rul\":");
            p += iot_fmt_scaled(p, r->rul, 0);
        }
    } else if (r->msg == IOT_SIM_FAILURE) {
        PUT(p, ",\"priority\":\"high\",\"messageType\":\"failure\",\"component\":\"");
        p = put_str(p, t->m[r->mode].name);
        *p++ = '"';
        if (s->c.truth) PUT(p, ",\"_rul\":0");
    } else {
        PUT(p, ",\"priority\":\"normal\",\"messageType\":\"maintenance\",\"component\":\"");
        p = put_str(p, t->m[r->mode].name);
        PUT(p, "\",\"action\":\"replace\",\"downtime\":");
        p += iot_fmt_scaled(p, r->downtime / IOT_NS_PER_S, 0);
    }
    *p++ = '}';
    return (size_t)(p - buf);
}

static size_t format_csv(const struct iot_sim *s, const struct iot_sim_rec *r, char *buf)
{
    const struct iot_sim_type *t = r->type;
    const struct iot_sim_frag *fr = &s->frag[t - s->f->t];
    char *p = put_prefix(s, r, buf);
    /* sensor columns in the union's order */
    int at[IOT_SIM_MAX_TYPES * IOT_SIM_MAX_SENSORS];
    for (int c = 0; c < s->ncols; c++) at[c] = -1;
    if (r->msg == IOT_SIM_TELEMETRY)
        for (int k = 0; k < t->nsensors; k++) at[fr->col[k]] = k;
    for (int c = 0; c < s->ncols; c++) {
        *p++ = ',';
        int k = at[c];
        if (k >= 0 && !r->missing[k]) p += iot_fmt_scaled(p, r->value[k], t->s[k].decimals);
    }
    static const char *msg[] = { "telemetry", "failure", "maintenance" };
    p = put_str(p, r->high ? ",high," : ",normal,");
    p = put_str(p, msg[r->msg]);
    if (s->c.events) {
        *p++ = ',';
        if (r->msg != IOT_SIM_TELEMETRY) p = put_str(p, t->m[r->mode].name);
    }
    if (s->c.truth) {
        *p++ = ',';
        if (r->msg == IOT_SIM_TELEMETRY) p = put_str(p, iot_sim_anomaly_name(r->anomaly));
        *p++ = ',';
        if (r->msg == IOT_SIM_TELEMETRY && r->an_sensor >= 0) p = put_str(p, t->s[r->an_sensor].name);
        *p++ = ',';
        if (r->msg != IOT_SIM_MAINTENANCE) p += iot_fmt_scaled(p, r->rul, 0);
    }
    return (size_t)(p - buf);
}

size_t iot_sim_format(const struct iot_sim *s, const struct iot_sim_rec *r, char *buf)
{
    return s->c.format == IOT_SIM_CSV ? format_csv(s, r, buf) : format_json(s, r, buf);
}

size_t iot_sim_csv_header(const struct iot_sim *s, char *buf)
{
    char *p = buf;
    PUT(p, "deviceId,deviceType,timestamp");
    for (int c = 0; c < s->ncols; c++) { *p++ = ','; p = put_str(p, s->cols[c]); }
    PUT(p, ",priority,messageType");
    if (s->c.events) PUT(p, ",component");
    if (s->c.truth) PUT(p, ",_anomaly,_anomalySensor,_rul");
    return (size_t)(p - buf);
}

/* Position just after the first `":` followed by a number, or 0. */
static size_t first_number(const char *b, size_t n)
{
    for (size_t i = 1; i + 1 < n; i++)
        if (b[i - 1] == '"' && b[i] == ':' && (b[i + 1] == '-' || (b[i + 1] >= '0' && b[i + 1] <= '9')))
            return i + 1;
    return 0;
}

static size_t insert(char *buf, size_t len, size_t at, const char *s, size_t n)
{
    if (len + n >= IOT_SIM_LINE_MAX) return len;
    memmove(buf + at + n, buf + at, len - at);
    memcpy(buf + at, s, n);
    return len + n;
}

size_t iot_sim_malform(int format, char *buf, size_t len, uint64_t h)
{
    if (len < 4) return len;
    unsigned kind = (unsigned)(h % (format == IOT_SIM_CSV ? 4 : 6));
    uint64_t h2 = h >> 8;
    if (format == IOT_SIM_CSV) {
        switch (kind) {
        case 0: {                      /* truncated after a separator: too few columns */
            size_t commas[64], nc = 0;
            for (size_t i = 0; i < len && nc < 64; i++)
                if (buf[i] == ',') commas[nc++] = i;
            if (nc < 2) return 1;
            return commas[h2 % (nc - 1)] + 1;
        }
        case 1: return insert(buf, len, len, ",?", 2);           /* one column too many */
        case 2: return insert(buf, len, 1, "\xff", 1);           /* invalid UTF-8 */
        default: {                     /* a value that is not a number */
            const char *c = memmem(buf, len, "Z,", 2);
            if (!c) return insert(buf, len, len, ",?", 2);
            size_t at = (size_t)(c - buf) + 2;
            return insert(buf, len, at, "#VALUE!", 7);
        }
        }
    }
    switch (kind) {
    case 0: return 1 + h2 % (len - 1);                          /* truncated */
    case 1: {                                                   /* NaN literal */
        size_t at = first_number(buf, len);
        if (!at) return len - 1;
        size_t end = at;
        while (end < len && buf[end] != ',' && buf[end] != '}') end++;
        memmove(buf + at + 3, buf + end, len - end);
        memcpy(buf + at, "NaN", 3);
        return at + 3 + (len - end);
    }
    case 2: return insert(buf, len, 13, "\xff", 1);              /* invalid UTF-8 in the id */
    case 3: return insert(buf, len, 13, "\t", 1);                /* raw control character */
    case 4: {                                                   /* a key's opening quote lost */
        char *k = memmem(buf, len, ",\"deviceType\"", 13);
        if (!k) return len - 1;
        size_t at = (size_t)(k - buf) + 1;
        memmove(buf + at, buf + at + 1, len - at - 1);
        return len - 1;
    }
    default: return insert(buf, len, len, "}", 1);              /* trailing garbage */
    }
}

size_t iot_sim_asset_header(char *buf)
{
    char *p = buf;
    PUT(p, "deviceId,deviceType,site,line,model,installDate,lastMaintenance");
    return (size_t)(p - buf);
}

static size_t fmt_date(char *buf, int64_t ns)
{
    char tmp[40];
    iot_sim_fmt_time(tmp, ns);
    memcpy(buf, tmp, 10);
    return 10;
}

size_t iot_sim_asset(const struct iot_sim *s, int64_t dev, char *buf)
{
    const struct iot_sim_dev *d = &s->dev[dev];
    const struct iot_sim_type *t = &s->f->t[d->type];
    uint64_t h = iot_sim_hash(s->c.seed, (uint64_t)dev, 0, 9);
    char id[64], site[16], line[16];
    iot_sim_device_id(s, dev, id);
    snprintf(site, sizeof site, "plant-%02u", (unsigned)(h % 4) + 1);
    snprintf(line, sizeof line, "line-%02u", (unsigned)((h >> 8) % 8) + 1);
    const char *model = t->models[(h >> 16) % (uint64_t)t->nmodels];
    char inst[16] = "", lm[16] = "";
    fmt_date(inst, d->installed);
    fmt_date(lm, d->last_maint);
    if (s->c.format == IOT_SIM_CSV)
        return (size_t)snprintf(buf, IOT_SIM_LINE_MAX, "%s,%s,%s,%s,%s,%s,%s", id, t->name, site,
                                line, model, inst, lm);
    return (size_t)snprintf(buf, IOT_SIM_LINE_MAX,
                            "{\"deviceId\":\"%s\",\"deviceType\":\"%s\",\"site\":\"%s\",\"line\":\"%s\","
                            "\"model\":\"%s\",\"installDate\":\"%s\",\"lastMaintenance\":\"%s\"}",
                            id, t->name, site, line, model, inst, lm);
}
