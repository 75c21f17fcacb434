/* CRC-32C: polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value and final xor all ones,
 * as specified for iSCSI in RFC 3720 section 12.1 and appendix B.4
 * (https://www.rfc-editor.org/rfc/rfc3720), chosen by G. Castagnoli, S. Braeuer and M. Herrmann,
 * "Optimization of Cyclic Redundancy-Check Codes with 24 and 32 Parity Bits", IEEE Trans.
 * Communications 41(6), 1993. It detects every error burst of 32 bits or less, so any one
 * changed byte. Byte-wise table, written from the definition (state files are small). */
#include "crc32c.h"

static uint32_t table[256];

static void init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        table[i] = c;
    }
}

uint32_t iot_crc32c(uint32_t crc, const void *p, size_t n)
{
    if (!table[1]) init();
    const unsigned char *s = p;
    crc = ~crc;
    while (n--) crc = table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
