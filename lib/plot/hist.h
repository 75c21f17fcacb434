/* hist: streaming histograms in fixed memory. Bins are 2^e wide and aligned on multiples of
 * their width; when a value falls outside the cap bins, the width doubles and neighbours merge
 * (as ds.h does for time), so counts are exact for the final bins whatever the input size or
 * order. Drawn by histsvg.h. */
#ifndef IOT_PLOT_HIST_H
#define IOT_PLOT_HIST_H
#include <stdint.h>

struct iot_hist {
    int64_t *c;
    int cap;
    int e;                 /* bin width 2^e */
    int64_t b0, lo, hi;    /* absolute bin index of c[0], first and last used */
    int64_t n;
    double min, max;
};

void iot_hist_init(struct iot_hist *h, int cap);   /* cap >= 2 */
void iot_hist_add(struct iot_hist *h, double v);   /* v finite */
void iot_hist_free(struct iot_hist *h);

#endif
