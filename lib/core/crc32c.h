/* crc32c: the CRC-32C (Castagnoli) checksum that seals state and model files. */
#ifndef IOT_CRC32C_H
#define IOT_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* Continues crc over p[0..n): start with 0; the result of one call feeds the next
 * (iot_crc32c(iot_crc32c(0, a, na), b, nb) == the CRC of a then b). "123456789" gives 0xe3069283. */
uint32_t iot_crc32c(uint32_t crc, const void *p, size_t n);
#endif
