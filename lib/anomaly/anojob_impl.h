/* anojob_impl: what anojob.c shares with anoseries.c (one run's scanner state). */
#ifndef IOT_ANOJOB_IMPL_H
#define IOT_ANOJOB_IMPL_H
#include "anojob.h"
#include "ackfile.h"
#include "alarm.h"
#include "anoalert.h"
#include "anorule.h"
#include <string.h>
#include "core/buf.h"
#include "core/in.h"
#include "core/keytab.h"
#include "core/rec.h"

struct anoctx {
    const struct iot_anojob *j;
    struct iot_out *o;
    struct iot_fields *f;
    int nkeys, *kidx, *fidx, tidx, aidx;
    struct iot_anorule *rules;
    struct iot_alarms *alarms;   /* alerts with rules or --absent, else NULL */
    int *widx;
    struct iot_acks *acks;       /* --acks, or NULL */
    int64_t acks_done;           /* acks at or before this time were applied by an earlier run */
    uint64_t nrec;
    struct iot_keytab *tab;
    struct iot_val *vals;
    struct iot_buf kb, tmp;
};

/* The alert key value: NULL for -k none. */
static inline const struct iot_val *anoctx_key(const struct anoctx *c)
{
    return c->nkeys ? &c->vals[c->kidx[0]] : NULL;
}

/* Writes ,"rule":NAME|null when rules are given. (Inline: the record path anojob.c and the
 * series path anoseries.c both write them, and neither calls into the other.) */
static inline void iot_anojob_rule_member(const struct anoctx *c, const struct iot_anorule *r)
{
    if (!c->j->nrules) return;
    iot_out_puts(c->o, ",\"rule\":");
    if (r) iot_out_json_str(c->o, r->name, strlen(r->name));
    else iot_out_puts(c->o, "null");
}

/* The record c->vals holds, from line, through the rules as a rule alert. */
static inline void iot_anojob_rule_alert(const struct anoctx *c, const struct iot_anorule *r)
{
    iot_anoalert_head(c->o, anoctx_key(c), r->name);
    iot_out_puts(c->o, ",\"field\":null,\"value\":null,\"score\":null");
    iot_anoalert_tail(c->o, &c->vals[c->tidx], c->j->time_unit, r->severity);
}
/* -m decompose: one record whose fields are arrays. */
void iot_anoseries_record(struct anoctx *c, const char *line, size_t len, const struct iot_src *src);
#endif
