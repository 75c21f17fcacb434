/* buf: growable byte buffer. Allocation failure is fatal (exit 70). */
#ifndef IOT_BUF_H
#define IOT_BUF_H
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct iot_buf { char *p; size_t len, cap; };

void iot_buf_add(struct iot_buf *b, const void *p, size_t n);   /* keeps p[len] == 0 */
void iot_buf_addc(struct iot_buf *b, char c);
void iot_buf_adds(struct iot_buf *b, const char *s);
void iot_buf_addf(struct iot_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void iot_buf_json_str(struct iot_buf *b, const char *s, size_t n);  /* quoted, escaped */
void iot_buf_json_num(struct iot_buf *b, double v);                 /* shortest; null if !finite */
void iot_buf_reset(struct iot_buf *b);                               /* len = 0, keeps memory */
void iot_buf_free(struct iot_buf *b);

/* Escapes s[0..n) as a JSON string body into dst (capacity >= 6*n). Invalid UTF-8 bytes become
 * \u00XX so that the output is always valid JSON. Returns bytes written. */
size_t iot_json_escape(char *dst, const char *s, size_t n);
/* True if s[0..n) is valid UTF-8 (RFC 3629), NUL bytes included: iot_json_escape gives it back
 * exactly. Other bytes come out of the escape as \u00XX, which is not reversible. */
bool iot_utf8_valid(const char *s, size_t n);

/* malloc/realloc/strdup that exit 70 with a message on failure. */
void *iot_xmalloc(size_t n);
void *iot_xcalloc(size_t n, size_t m);
void *iot_xrealloc(void *p, size_t n);
char *iot_xstrdup(const char *s);
#endif
