/* shard: the stable, documented key → shard mapping of iot-route --shard (and of anything that
 * must agree with it). It is the Event Hubs partition-key resolver: Bob Jenkins' lookup3
 * hashlittle2 over the key's UTF-8 bytes with both seeds 0, h = (int16)((c ^ b) & 0xFFFF),
 * shard = |h % n| with C's truncating remainder (as Event Hubs' PartitionResolver, github.com/Azure/azure-sdk-for-net, Azure.Messaging.EventHubs/src/Core/PartitionResolver.cs). The same
 * key gives the same shard on every machine and in every release. */
#ifndef IOT_SHARD_H
#define IOT_SHARD_H
#include <stddef.h>
#include <stdint.h>

/* lookup3 hashlittle2: *pc and *pb are the seeds on entry and the two 32-bit hashes on return. */
void iot_lookup3(const void *key, size_t n, uint32_t *pc, uint32_t *pb);

/* Shard index in [0, nshards) of key[0..n); key NULL (absent) gives hash 0, i.e. shard 0. */
int iot_shard_of(const void *key, size_t n, int nshards);
#endif
