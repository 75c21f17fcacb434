#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "die.h"
#include "dtoa.h"

static _Noreturn void oom(size_t n)
{
    iot_die(IOT_EX_SOFTWARE, "out of memory (%zu bytes)", n);
}

void *iot_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *iot_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) oom(n * m);
    return p;
}

void *iot_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) oom(n);
    return p;
}

char *iot_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(iot_xmalloc(n), s, n);
}

static void grow(struct iot_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->p = iot_xrealloc(b->p, cap);
    b->cap = cap;
}

void iot_buf_add(struct iot_buf *b, const void *p, size_t n)
{
    grow(b, n);
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

void iot_buf_addc(struct iot_buf *b, char c) { iot_buf_add(b, &c, 1); }
void iot_buf_adds(struct iot_buf *b, const char *s) { iot_buf_add(b, s, strlen(s)); }

void iot_buf_addf(struct iot_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void iot_buf_json_str(struct iot_buf *b, const char *s, size_t n)
{
    grow(b, 6 * n + 2);
    b->p[b->len++] = '"';
    b->len += iot_json_escape(b->p + b->len, s, n);
    b->p[b->len++] = '"';
    b->p[b->len] = 0;
}

void iot_buf_json_num(struct iot_buf *b, double v)
{
    char tmp[32];
    int n = iot_fmt_double(tmp, v);
    iot_buf_add(b, tmp, (size_t)n);
}

void iot_buf_reset(struct iot_buf *b)
{
    b->len = 0;
    if (b->p) b->p[0] = 0;
}

void iot_buf_free(struct iot_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] > 0x9F) return 0;
        return 3;
    }
    if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;
    if (c == 0xF4 && s[1] > 0x8F) return 0;
    return 4;
}

bool iot_utf8_valid(const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) { i++; continue; }
        size_t k = utf8_len(s + i, n - i);
        if (!k) return false;
        i += k;
    }
    return true;
}

size_t iot_json_escape(char *dst, const char *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)src;
    char *d = dst;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { *d++ = (char)c; i++; continue; }
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, n - i);
            if (k) { memcpy(d, s + i, k); d += k; i += k; continue; }
        }
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        default:   /* control character or a byte of invalid UTF-8 */
            *d++ = 'u'; *d++ = '0'; *d++ = '0'; *d++ = hex[c >> 4]; *d++ = hex[c & 15];
        }
        i++;
    }
    return (size_t)(d - dst);
}
