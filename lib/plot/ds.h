/* ds: streaming downsampling of one series for drawing, in memory fixed at creation.
 * Samples go to time buckets of width w (ns, a power of two); each bucket keeps M4's four points
 * (first, last, minimum, maximum: Jugel et al., "M4: A Visualization-Oriented Time Series Data
 * Aggregation", PVLDB 7(10), 2014, https://doi.org/10.14778/2732951.2732953), a count, the
 * first flagged sample and whether a null broke the series there. When a sample falls outside
 * the cap buckets, w doubles and neighbours merge, so no extreme is ever lost and the memory
 * stays cap buckets whatever the input size or order. iot_ds_columns then reduces the buckets to
 * the pixel columns of a chart. */
#ifndef IOT_PLOT_DS_H
#define IOT_PLOT_DS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iot_ds_pt { int64_t t; double v; };
/* One bucket or pixel column. n == 0: empty. */
struct iot_ds_cell {
    struct iot_ds_pt first, last, min, max, flag;
    int64_t n;
    uint32_t nflag, nnull;
};

struct iot_ds {
    struct iot_ds_cell *b;
    size_t cap;
    int64_t w;         /* bucket width, ns */
    int64_t b0;        /* absolute index (t / w) of b[0] */
    int64_t lo, hi;    /* absolute indices of the first and last used bucket */
    int64_t n, nflag;  /* samples and flagged samples seen */
    int64_t nany;      /* samples and nulls */
    struct iot_ds_pt min, max, first, last;   /* exact over the whole series */
};

/* b - a as a double for b >= a, exact in uint64 first: times span up to 2^64 ns (1677 to 2262),
 * more than int64 can subtract. */
static inline double iot_ds_span(int64_t a, int64_t b) { return (double)((uint64_t)b - (uint64_t)a); }

/* cap >= 2 buckets (allocated here; exit 70 when memory runs out). */
void iot_ds_init(struct iot_ds *d, size_t cap);
void iot_ds_free(struct iot_ds *d);
/* Adds a finite sample; flagged marks it (anomaly). */
void iot_ds_add(struct iot_ds *d, int64_t t, double v, bool flagged);
/* Records a null (a break in the line) at t. Does not count as a sample. */
void iot_ds_null(struct iot_ds *d, int64_t t);

/* Reduces to ncol pixel columns over [t0, t1] (t1 > t0): column floor(ncol*(t-t0)/(t1-t0+1)).
 * Each bucket point lands in its own column, so every bucket extreme is a column's point.
 * col must hold ncol cells; it is overwritten. Points outside [t0, t1] are left out. */
void iot_ds_columns(const struct iot_ds *d, int64_t t0, int64_t t1, struct iot_ds_cell *col, int ncol);

/* Column points in time order without repeats (first, min/max by time, last): writes up to 4
 * points to out and returns the count. */
int iot_ds_cell_points(const struct iot_ds_cell *c, struct iot_ds_pt out[4]);
#endif
