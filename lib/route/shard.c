/* lookup3 after Bob Jenkins' public-domain description (burtleburtle.net/bob/c/lookup3.c,
 * 2006): 96-bit state, 12-byte blocks read little-endian, mix() per block, final() on the
 * tail; written from the algorithm, byte-wise so it is the same on any endianness. */
#include <stdlib.h>
#include "shard.h"

#define ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

void iot_lookup3(const void *key, size_t n, uint32_t *pc, uint32_t *pb)
{
    const unsigned char *k = key;
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)n + *pc;
    c += *pb;
    while (n > 12) {
        a += k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
        b += k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 | (uint32_t)k[7] << 24;
        c += k[8] | (uint32_t)k[9] << 8 | (uint32_t)k[10] << 16 | (uint32_t)k[11] << 24;
        a -= c; a ^= ROT(c, 4);  c += b;
        b -= a; b ^= ROT(a, 6);  a += c;
        c -= b; c ^= ROT(b, 8);  b += a;
        a -= c; a ^= ROT(c, 16); c += b;
        b -= a; b ^= ROT(a, 19); a += c;
        c -= b; c ^= ROT(b, 4);  b += a;
        n -= 12;
        k += 12;
    }
    if (n == 0) { *pc = c; *pb = b; return; }
    /* the last 1..12 bytes, zero-padded */
    uint32_t w[3] = { 0, 0, 0 };
    for (size_t i = 0; i < n; i++) w[i / 4] |= (uint32_t)k[i] << (8 * (i % 4));
    a += w[0]; b += w[1]; c += w[2];
    c ^= b; c -= ROT(b, 14);
    a ^= c; a -= ROT(c, 11);
    b ^= a; b -= ROT(a, 25);
    c ^= b; c -= ROT(b, 16);
    a ^= c; a -= ROT(c, 4);
    b ^= a; b -= ROT(a, 14);
    c ^= b; c -= ROT(b, 24);
    *pc = c;
    *pb = b;
}

int iot_shard_of(const void *key, size_t n, int nshards)
{
    if (nshards <= 1) return 0;
    int16_t h = 0;
    if (key) {
        uint32_t c = 0, b = 0;
        iot_lookup3(key, n, &c, &b);
        h = (int16_t)(uint16_t)((c ^ b) & 0xFFFF);
    }
    return abs((int)h % nshards);
}
