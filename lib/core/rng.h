/* rng: small deterministic random numbers (splitmix64 seeding, xoshiro256** generator;
 * Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018).
 * Same seed → same sequence on every machine. */
#ifndef IOT_RNG_H
#define IOT_RNG_H
#include <stdint.h>

struct iot_rng { uint64_t s[4]; };

/* Seeds from (seed, stream): independent streams, e.g. one per device index. */
void iot_rng_seed(struct iot_rng *r, uint64_t seed, uint64_t stream);
uint64_t iot_rng_u64(struct iot_rng *r);
double iot_rng_uniform(struct iot_rng *r);              /* [0, 1) */
uint64_t iot_rng_below(struct iot_rng *r, uint64_t n);  /* [0, n), unbiased */
double iot_rng_normal(struct iot_rng *r);               /* N(0,1), Box–Muller (no cached pair) */
double iot_rng_exp(struct iot_rng *r, double mean);     /* exponential with that mean */
double iot_rng_weibull(struct iot_rng *r, double shape, double scale);
uint64_t iot_splitmix64(uint64_t *x);
#endif
