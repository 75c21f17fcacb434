/* anojob_impl: what anojob.c shares with anoseries.c (one run's scanner state). */
#ifndef IOT_ANOJOB_IMPL_H
#define IOT_ANOJOB_IMPL_H
#include "anojob.h"
#include "ackfile.h"
#include "alarm.h"
#include "anorule.h"
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

/* Writes ,"rule":NAME|null when rules are given. */
void iot_anojob_rule_member(const struct anoctx *c, const struct iot_anorule *r);
/* The record c->vals holds, from line, through the rules as a rule alert. */
void iot_anojob_rule_alert(const struct anoctx *c, const struct iot_anorule *r);
/* -m decompose: one record whose fields are arrays. */
void iot_anoseries_record(struct anoctx *c, const char *line, size_t len, const struct iot_src *src);
#endif
