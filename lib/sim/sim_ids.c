/* sim_ids: what the physics and the formatter both derive from: the stable per-device hash
 * and the anomaly names (so that sim.c and sim_fmt.c do not call each other). */
#include "core/rng.h"
#include "sim.h"

const char *iot_sim_anomaly_name(int k)
{
    static const char *n[] = { "none", "spike", "dip", "shift", "stuck", "dropout" };
    return k >= 0 && k <= IOT_SIM_AN_DROPOUT ? n[k] : "none";
}

uint64_t iot_sim_hash(uint64_t seed, uint64_t dev, uint64_t seq, uint64_t salt)
{
    uint64_t x = seed ^ (dev * 0x9e3779b97f4a7c15ULL) ^ (seq * 0xc2b2ae3d27d4eb4fULL)
               ^ (salt * 0x165667b19e3779f9ULL);
    iot_splitmix64(&x);
    return iot_splitmix64(&x);
}
