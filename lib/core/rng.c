#include <math.h>
#include "rng.h"

uint64_t iot_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void iot_rng_seed(struct iot_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    x = iot_splitmix64(&x) ^ stream;
    for (int i = 0; i < 4; i++)
        r->s[i] = iot_splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t iot_rng_u64(struct iot_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return res;
}

double iot_rng_uniform(struct iot_rng *r) { return (iot_rng_u64(r) >> 11) * 0x1.0p-53; }

uint64_t iot_rng_below(struct iot_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    uint64_t lim = -n % n;              /* rejection zone for an unbiased result */
    for (;;) {
        uint64_t x = iot_rng_u64(r);
        if (x >= lim) return x % n;
    }
}

double iot_rng_normal(struct iot_rng *r)
{
    double u = 1.0 - iot_rng_uniform(r), v = iot_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

double iot_rng_exp(struct iot_rng *r, double mean) { return -mean * log(1.0 - iot_rng_uniform(r)); }

double iot_rng_weibull(struct iot_rng *r, double shape, double scale)
{
    return scale * pow(-log(1.0 - iot_rng_uniform(r)), 1.0 / shape);
}
