/* follow: a file read as it grows, like tail -f (a shorter file than before is read again from
 * its start, as after rotation by truncation). Plain NDJSON only (no zstd: a growing
 * compressed frame cannot be read line by line). Never blocks. */
#ifndef IOT_TOP_FOLLOW_H
#define IOT_TOP_FOLLOW_H
#include <stddef.h>
#include <stdint.h>
#include "core/diag.h"

struct iot_follow;
/* Opens path from its start; cannot open: message, exit 66. */
struct iot_follow *iot_follow_open(const char *path);
/* The next complete line (without "\n"), valid until the next call: returns 1, or 0 when no
 * complete line is there yet. Read errors: message, exit 74. */
int iot_follow_next(struct iot_follow *f, char **line, size_t *len, struct iot_src *src);
void iot_follow_close(struct iot_follow *f);
#endif
