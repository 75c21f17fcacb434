/* hist: doubling-width bins (their picture is histsvg.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/time.h"
#include "hist.h"

void iot_hist_init(struct iot_hist *h, int cap)
{
    memset(h, 0, sizeof *h);
    h->cap = cap < 2 ? 2 : cap;
    h->c = iot_xcalloc((size_t)h->cap, sizeof *h->c);
}

void iot_hist_free(struct iot_hist *h) { free(h->c); h->c = NULL; }

static void coarsen(struct iot_hist *h)
{
    int64_t nb0 = iot_floordiv(h->b0, 2);
    for (int i = 0; i < h->cap; i++) {
        if (!h->c[i]) continue;
        int j = (int)(iot_floordiv(h->b0 + i, 2) - nb0);
        if (j == i) continue;
        h->c[j] += h->c[i];
        h->c[i] = 0;
    }
    h->e++;
    h->b0 = nb0;
    h->lo = iot_floordiv(h->lo, 2);
    h->hi = iot_floordiv(h->hi, 2);
}

static void rebase(struct iot_hist *h, int64_t nb0)
{
    int from = (int)(h->lo - h->b0), to = (int)(h->lo - nb0), len = (int)(h->hi - h->lo + 1);
    memmove(h->c + to, h->c + from, (size_t)len * sizeof *h->c);
    if (to > from) memset(h->c + from, 0, (size_t)(to - from) * sizeof *h->c);
    else memset(h->c + to + len, 0, (size_t)(from - to) * sizeof *h->c);
    h->b0 = nb0;
}

void iot_hist_add(struct iot_hist *h, double v)
{
    if (!h->n) {
        /* a width well below the first value's magnitude: doublings bring it to the data's */
        h->e = v == 0 ? -30 : (int)floor(log2(fabs(v))) - 20;
        h->min = h->max = v;
    }
    while (fabs(ldexp(v, -h->e)) > 4e18) coarsen(h);   /* the index must fit in int64 */
    int64_t i = (int64_t)floor(ldexp(v, -h->e));
    if (!h->n) h->b0 = h->lo = h->hi = i;
    for (;;) {
        if (i >= h->b0 && i < h->b0 + h->cap) break;
        int64_t lo = i < h->lo ? i : h->lo, hi = i > h->hi ? i : h->hi;
        if (hi - lo < h->cap) { rebase(h, i < h->b0 ? hi - h->cap + 1 : lo); break; }
        coarsen(h);
        i = (int64_t)floor(ldexp(v, -h->e));
    }
    if (i < h->lo) h->lo = i;
    if (i > h->hi) h->hi = i;
    h->c[i - h->b0]++;
    h->n++;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}
