/* Unit tests for lib/core/dtoa.c: the same text as iot_fmt_double, and it reads back. */
#include <stdint.h>
#include <stdlib.h>
#include "core/dtoa.h"
#include "core/out.h"
#include "unit.h"

static uint64_t rng = 88172645463325252u;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

int main(void)
{
    char a[40], b[40];
    CHECK(iot_dtoa_shortest(a, 76.8) > 0 && strcmp(a, "76.8") == 0, "76.8");
    CHECK(iot_dtoa_shortest(a, -0.3) > 0 && strcmp(a, "-0.3") == 0, "-0.3");
    CHECK(iot_dtoa_shortest(a, 71) > 0 && strcmp(a, "71") == 0, "71");
    CHECK(iot_dtoa_shortest(a, 0.1 + 0.2) > 0 && strcmp(a, "0.30000000000000004") == 0, "0.1 + 0.2");
    CHECK(iot_dtoa_shortest(a, 1e-5) == -1 && iot_dtoa_shortest(a, 1e15) == -1 && iot_dtoa_shortest(a, 0) == -1,
          "outside the fixed range: -1");
    CHECK(iot_dtoa_shortest(a, 4.0) == -1, "power of two: -1");
    int bad = 0, used = 0, n = 2000000;
    for (int i = 0; i < n; i++) {
        double v;
        uint64_t r = next();
        switch (i % 4) {
        case 0: v = (double)(r % 100000) / 10.0 / 3.0; break;                   /* averages */
        case 1: v = (double)(r >> 11) / 9007199254740992.0 * 200 - 100; break;  /* random mantissas */
        case 2: v = (double)(r % 1000000) / 1000.0; break;                     /* short decimals */
        default: { uint64_t bits = (r & 0x800FFFFFFFFFFFFFu) | ((uint64_t)(1010 + r % 52) << 52);
                   memcpy(&v, &bits, 8); }                                        /* 1e-4 .. 1e15 */
        }
        int nb = iot_dtoa_shortest(a, v);
        if (nb < 0) continue;
        used++;
        iot_fmt_double(b, v);
        if (strcmp(a, b) != 0 || strtod(a, NULL) != v) {
            if (bad++ < 5) printf("# %.17g: dtoa %s, fmt_double %s\n", v, a, b);
        }
    }
    CHECK(bad == 0 && used > n / 2, "2M doubles: same text as iot_fmt_double and reads back (%d used, %d differ)", used, bad);
    return unit_done();
}
