/* predrec: how iot-predict reads one record, the same at training and at scoring: the key, the
 * event time, the kind (telemetry, reset such as maintenance, failure), the raw values of the
 * feature spec's fields and the standardisation group. */
#ifndef IOT_PREDREC_H
#define IOT_PREDREC_H
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/diag.h"
#include "feature.h"
#include "core/rec.h"

enum iot_pr_kind { IOT_PR_TELEMETRY, IOT_PR_RESET, IOT_PR_FAILURE };

/* How records are read: the same settings at training and at scoring (from the model). Strings
 * are borrowed and must outlive the reader. */
struct iot_predrec_opts {
    const char *key;                /* FIELD[,FIELD] */
    const char *time_field;
    int time_unit;                  /* enum iot_time_unit (time.h): numeric times */
    const char *label;              /* label field, or NULL */
    const char *extra;              /* a member score replaces, or NULL */
    const char *reset_on;           /* reset condition (maintenance), or NULL */
    const char *label_from;         /* failure condition, or NULL */
    char *const *settings;          /* operating-setting fields (--regimes), nsettings of them */
    int nsettings;
};

struct iot_predrec {
    const struct iot_featspec *s;   /* borrowed */
    struct iot_predrec_opts o;
    const char *key, *time_field;   /* borrowed, for messages */
    struct iot_fields *F;
    struct iot_val *vals;           /* scanned values of the last record */
    int nkeys, *kidx, tidx, lidx, xidx, *fidx, *gidx, *sidx;
    char **keys;                    /* key field names */
    struct iot_expr *reset, *fail;
    /* the last record read */
    struct iot_buf kb, gb;          /* key and group values joined by '\x1f' (kb.p may be NULL) */
    int64_t t;
    int kind;                       /* enum iot_pr_kind */
    double *x;                      /* [nfields] raw values of a telemetry record, NaN = missing;
                                       a since() field holds days from its time to the event */
    double *sx;                     /* [nsettings] operating settings, NaN = missing */
};

/* Compiles the fields of spec s (borrowed, must outlive r) and those of o (copied; its strings
 * borrowed). A bad condition is a usage error (64). */
struct iot_predrec *iot_predrec_new(const struct iot_featspec *s, const struct iot_predrec_opts *o);
/* Scans a line into r. Returns 0, or -1 after rejecting the line through iot_reject (bad JSON,
 * missing key or time, bad time, a field that is not a number, a since() field that is not a
 * time). A reset or failure record has no field or setting values. */
int iot_predrec_read(struct iot_predrec *r, const char *line, size_t len, const struct iot_src *src);
/* The scanned label (IOT_J_ABSENT without one) and extra member of the last record. */
const struct iot_val *iot_predrec_label(const struct iot_predrec *r);
const struct iot_val *iot_predrec_extra(const struct iot_predrec *r);
void iot_predrec_free(struct iot_predrec *r);
#endif
