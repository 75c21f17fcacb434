/* agg: mergeable aggregate states (count, sum, avg, min, max, stdev, stdevp, var, varp, first,
 * last, range, median, pNN, dcount, rate) for windows, rolling features and series.
 *
 * Sums and sums of squares are exact (lib/window/xsum: a superaccumulator after Neal,
 * arXiv:1505.05571), so adding, removing and merging in any order or split give the same
 * state, and every value read from it is a function of the exact sums: byte-identical results
 * for any split into shards. sum is the exact sum correctly rounded; avg = S/n and the
 * variance from the exact numerator n*Q - S^2 (exactly 0 for equal values) divided in
 * double-double arithmetic. Percentiles are exact (values kept, sorted at read):
 * PERCENTILE_CONT interpolation with rank p*(n-1). dcount is exact over 64-bit hashes. */
#ifndef IOT_AGG_H
#define IOT_AGG_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>
#include "xsum.h"

enum iot_agg_fn {
    IOT_AGG_ROWS,      /* count()      rows in the window */
    IOT_AGG_COUNT,     /* count(x)     non-null values */
    IOT_AGG_SUM, IOT_AGG_AVG, IOT_AGG_MIN, IOT_AGG_MAX,
    IOT_AGG_STDEV, IOT_AGG_STDEVP, IOT_AGG_VAR, IOT_AGG_VARP,
    IOT_AGG_FIRST, IOT_AGG_LAST, IOT_AGG_RANGE,
    IOT_AGG_PCT,       /* median(x) = p50, pNN(x): PERCENTILE_CONT */
    IOT_AGG_PCTD,      /* pdNN(x): PERCENTILE_DISC */
    IOT_AGG_DCOUNT,    /* dcount(x) / distinct(x) */
    IOT_AGG_RATE,      /* (last - first) / seconds between their times */
    IOT_AGG_COUNTIF,   /* countif(expr)  rows where the condition (lib/core/expr.h) is true */
};

/* What a field's state must keep (union over the aggregates that read it). */
enum { IOT_NEED_MOM = 1, IOT_NEED_MINMAX = 2, IOT_NEED_FL = 4, IOT_NEED_VALS = 8,
       IOT_NEED_DIST = 16, IOT_NEED_NUM = 32,
       IOT_NEED_COND = 64, /* the "field" is a condition's text (countif) */
       IOT_NEED_SQ = 128,  /* sum of squares too (var, stdev); MOM alone = the sum */
       IOT_NEED_EXPR = 256 /* the "field" is a value expression's text (avg(pressure - 1)) */ };

struct iot_agg_item {
    enum iot_agg_fn fn;
    int field;          /* index into iot_aggset.fields; -1 for count() */
    double p;           /* percentile in [0,1] */
    char *name;         /* output field name: avg_temperature, or the `as NAME` */
};

struct iot_aggset {
    int nitems, nfields;
    struct iot_agg_item *items;
    char **fields;      /* distinct field paths (or countif conditions), in first-use order */
    unsigned *need;     /* per field */
    char *spec;         /* normalised text (used to check partials agree) */
};

/* One record's inputs for the aggregates: per field, kind 0 = absent or null, 1 = number v,
 * 2 = another non-null value (counted by count(x) and dcount(x) only). h = hash of the value's
 * key form, filled only when the field needs IOT_NEED_DIST. */
struct iot_agg_in { uint8_t kind; double v; uint64_t h; };

struct iot_fstate {
    int64_t n;                   /* numeric values */
    int64_t nn;                  /* non-null values (count(x)) */
    struct iot_xsum s, q;        /* exact sum and sum of squares */
    double min, max;
    int64_t tf, tl;              /* times of first and last (by event time) */
    double vf, vl;
    double *vals; uint32_t nv, cv; bool sorted;
    uint64_t *dset; uint32_t dn, dcap;   /* open addressing, 0 = empty (hash 0 mapped to 1) */
};
struct iot_agg_state { int64_t rows; struct iot_fstate f[]; };

/* Parses "count(),avg(temperature) as t,p95(vibration)". Functions: count sum avg mean min max
 * stdev stdevp var varp first last range median pNN[.N] pdNN dcount distinct rate, and
 * countif(EXPR) whose argument is a condition (balanced parentheses, quoted strings) kept as
 * the text of a field slot flagged IOT_NEED_COND: the reader evaluates it and passes kind 2
 * (true) or 0 (anything else) in that slot; countif's value is the slot's non-null count.
 * Arguments that are value expressions are slots flagged IOT_NEED_EXPR (iot_aggset_expr).
 * Default names: avg_temperature, count, countif (a second countif needs 'as NAME'). On error
 * returns -1 with a message in err. The set owns its strings (iot_aggset_free). */
int iot_aggset_parse(const char *spec, struct iot_aggset *set, char *err, size_t errcap);
void iot_aggset_free(struct iot_aggset *set);
/* True if the field at index i must be numeric for some aggregate. */
bool iot_aggset_numeric(const struct iot_aggset *set, int i);
/* True if slot i is a countif condition (fields[i] is its text), not a field path. */
bool iot_aggset_cond(const struct iot_aggset *set, int i);
/* True if slot i is a value expression (fields[i] is its text): an argument that is more than a
 * field path, such as avg(pressure - 1) or sum(iff(vibration > 5, 1, 0)) (iot(7) EXPRESSIONS).
 * A field name may hold '-', so pressure-1 without spaces is a field; its default output name
 * is the function and the text's letters and digits joined by '_' (avg_pressure_1). */
bool iot_aggset_expr(const struct iot_aggset *set, int i);

size_t iot_agg_size(const struct iot_aggset *set);       /* bytes of one state */
void iot_agg_init(const struct iot_aggset *set, struct iot_agg_state *st);
/* Adds one record (in[] has nfields entries) at event time t (ns). */
void iot_agg_add(const struct iot_aggset *set, struct iot_agg_state *st,
                 const struct iot_agg_in *in, int64_t t);
/* Undoes one iot_agg_add of in for what is countable and summable: rows, n, nn, sums and sums
 * of squares (exactly: the state equals a fresh pass over the remaining values). min/max, first/last, kept values and distinct sets are NOT updated:
 * the caller (lib/rolling) restores those itself. */
void iot_agg_remove(const struct iot_aggset *set, struct iot_agg_state *st,
                    const struct iot_agg_in *in);
/* dst += src (src unchanged). Ties in first/last times keep dst's first and src's last. */
void iot_agg_merge(const struct iot_aggset *set, struct iot_agg_state *dst,
                   const struct iot_agg_state *src);
void iot_agg_free(const struct iot_aggset *set, struct iot_agg_state *st);  /* inner memory */

/* Value of item i. Returns 0 and *out, or -1 when the result is null (no values; stdev/var of
 * one value; rate without two distinct times). May sort the kept values (st not const). */
int iot_agg_value(const struct iot_aggset *set, struct iot_agg_state *st, int i, double *out);
/* True if item i is a count (written as an integer, 0 in empty series bins). */
bool iot_agg_is_count(const struct iot_aggset *set, int i);

/* Exact JSON form of a state (for state files and --emit partial) and back. from_json returns
 * 0, or -1 if the object does not fit the set (st is then initialised and empty). */
json_t *iot_agg_to_json(const struct iot_aggset *set, const struct iot_agg_state *st);
int iot_agg_from_json(const struct iot_aggset *set, struct iot_agg_state *st, const json_t *j);

/* Exact percentile of sorted v[0..n-1]: PERCENTILE_CONT (rank p*(n-1), linear interpolation)
 * and PERCENTILE_DISC (smallest v[i] with (i+1)/n >= p). n > 0. */
double iot_pct_cont(const double *v, size_t n, double p);
double iot_pct_disc(const double *v, size_t n, double p);
#endif
