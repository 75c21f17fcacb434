#include <math.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "diag.h"
#include "out.h"
#include "rec.h"
#include "time.h"

/* ---- field paths as a trie: one node per object level ---- */

struct fnode;
struct fchild {
    uint32_t sig;           /* length, first and last byte: rejects most names without memcmp */
    char *name;
    size_t len;
    int index;              /* field index if a path ends here, else -1 */
    struct fnode *sub;      /* deeper path components, or NULL */
};
struct fnode { struct fchild *c; int n; uint64_t bloom; /* bit per child signature: most names miss at once */ };

static inline uint64_t sig_bit(uint32_t sig) { return 1ULL << ((sig * 0x9E3779B1u) >> 26); }

struct iot_fields {
    struct fnode root;
    char **paths;
    int count;
};

struct iot_fields *iot_fields_new(void) { return iot_xcalloc(1, sizeof(struct iot_fields)); }
int iot_fields_count(const struct iot_fields *f) { return f ? f->count : 0; }
const char *iot_fields_path(const struct iot_fields *f, int i) { return f->paths[i]; }

int iot_fields_add(struct iot_fields *f, const char *path)
{
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->paths[i], path) == 0) return i;
    struct fnode *node = &f->root;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const char *q;
        if (*p == '`' && (q = strchr(p + 1, '`')) && (q[1] == '.' || q[1] == 0)) {
            p++;                               /* `a.b`: one member whose name holds a dot */
            len = (size_t)(q - p);
            dot = q[1] == '.' ? q + 1 : NULL;
        }
        struct fchild *c = NULL;
        for (int i = 0; i < node->n; i++)
            if (node->c[i].len == len && memcmp(node->c[i].name, p, len) == 0) c = &node->c[i];
        if (!c) {
            node->c = iot_xrealloc(node->c, (size_t)(node->n + 1) * sizeof *node->c);
            c = &node->c[node->n++];
            c->name = iot_xmalloc(len + 1);
            memcpy(c->name, p, len);
            c->name[len] = 0;
            c->len = len;
            c->sig = len ? (uint32_t)len << 16 | (uint32_t)(unsigned char)p[0] << 8 | (unsigned char)p[len - 1] : 0;
            node->bloom |= sig_bit(c->sig);
            c->index = -1;
            c->sub = NULL;
        }
        if (!dot) {
            c->index = f->count;
            break;
        }
        if (!c->sub) c->sub = iot_xcalloc(1, sizeof *c->sub);
        node = c->sub;
        p = dot + 1;
    }
    f->paths = iot_xrealloc(f->paths, (size_t)(f->count + 1) * sizeof *f->paths);
    f->paths[f->count] = iot_xstrdup(path);
    return f->count++;
}

static void free_node(struct fnode *n)
{
    for (int i = 0; i < n->n; i++) {
        free(n->c[i].name);
        if (n->c[i].sub) { free_node(n->c[i].sub); free(n->c[i].sub); }
    }
    free(n->c);
}

void iot_fields_free(struct iot_fields *f)
{
    if (!f) return;
    free_node(&f->root);
    for (int i = 0; i < f->count; i++) free(f->paths[i]);
    free(f->paths);
    free(f);
}

/* ---- the scanner ---- */

struct scan {
    const char *line, *end;
    struct iot_val *vals;
    int depth;
    const char *err;
    const char *errp;
};

static char errbuf[160];

/* Records the first error; returns NULL so callers can `return fail(...)`. The scan position
 * travels in local pointers (p) that functions take and return, so it stays in registers. */
static const char *fail(struct scan *s, const char *p, const char *what)
{
    if (!s->err) { s->err = what; s->errp = p; }
    return NULL;
}

/* 1 = byte that ends the fast string loop: '"', '\\', control, or non-ASCII */
static const unsigned char str_stop[256] = {
    [0 ... 31] = 1, ['"'] = 1, ['\\'] = 1, [128 ... 255] = 1,
};

static inline const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Scans a string starting at '"'; returns the position past the closing quote. */
static inline __attribute__((always_inline)) const char *scan_string(struct scan *s, const char *start, int *esc)
{
    const unsigned char *p = (const unsigned char *)start + 1, *e = (const unsigned char *)s->end;
    *esc = 0;
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time: stop at '"', '\\', a control byte or a non-ASCII byte (signed < 0x20
         * covers both). Only while 16 bytes of the line remain, so nothing past it is read. */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), lo = _mm_set1_epi8(0x20);
        while (e - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                     _mm_cmplt_epi8(v, lo));
            int bits = _mm_movemask_epi8(m);
            if (bits) { p += __builtin_ctz((unsigned)bits); break; }
            p += 16;
        }
#endif
        while (p < e && !str_stop[*p]) p++;
        if (p >= e) return fail(s, (const char *)p, "unterminated string");
        unsigned c = *p;
        if (c == '"') return (const char *)p + 1;
        if (c == '\\') {
            *esc = 1;
            if (p + 1 >= e) return fail(s, (const char *)p, "unterminated string");
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                break;
            case 'u':
                if (e - p < 6 || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0 || hexval(p[5]) < 0)
                    return fail(s, (const char *)p, "bad \\u escape");
                p += 6;
                break;
            default:
                return fail(s, (const char *)p, "bad escape in string");
            }
            continue;
        }
        if (c < 0x20) return fail(s, (const char *)p, "control character in string (must be escaped)");
        /* UTF-8 (RFC 3629): no overlongs, no surrogates, ≤ U+10FFFF */
        size_t k;
        if (c >= 0xC2 && c <= 0xDF) k = 2;
        else if (c >= 0xE0 && c <= 0xEF) k = 3;
        else if (c >= 0xF0 && c <= 0xF4) k = 4;
        else return fail(s, (const char *)p, "invalid UTF-8");
        if ((size_t)(e - p) < k) return fail(s, (const char *)p, "invalid UTF-8");
        for (size_t i = 1; i < k; i++)
            if ((p[i] & 0xC0) != 0x80) return fail(s, (const char *)p, "invalid UTF-8");
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
            (c == 0xF4 && p[1] > 0x8F))
            return fail(s, (const char *)p, "invalid UTF-8");
        p += k;
    }
}

static inline int isdig(char c) { return (unsigned)(c - '0') < 10; }

static const char *scan_number(struct scan *s, const char *p)
{
    const char *e = s->end;
    if (*p == '-') p++;
    if (p >= e) return fail(s, p, "bad number");
    if (*p == '0') p++;
    else if (isdig(*p)) while (p < e && isdig(*p)) p++;
    else return fail(s, p, "bad number");
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !isdig(*p)) return fail(s, p, "bad number: digits expected after '.'");
        while (p < e && isdig(*p)) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || !isdig(*p)) return fail(s, p, "bad number: digits expected in exponent");
        while (p < e && isdig(*p)) p++;
    }
    return p;
}

static const char *scan_value(struct scan *s, const char *p, const struct fnode *node, struct iot_val *out);

static const struct fchild *match_key(const struct fnode *node, const char *k, size_t n, int esc)
{
    if (!node) return NULL;
    if (esc) {   /* rare: compare the unescaped key */
        struct iot_buf b = {0};
        const struct fchild *r = NULL;
        if (iot_json_unquote(k - 1, n + 2, &b) >= 0)
            for (int i = 0; i < node->n && !r; i++)
                if (node->c[i].len == b.len && memcmp(node->c[i].name, b.p, b.len) == 0) r = &node->c[i];
        iot_buf_free(&b);
        return r;
    }
    if (!n) {
        for (int i = 0; i < node->n; i++)
            if (node->c[i].len == 0) return &node->c[i];
        return NULL;
    }
    uint32_t sig = (uint32_t)n << 16 | (uint32_t)(unsigned char)k[0] << 8 | (unsigned char)k[n - 1];
    if (!(node->bloom & sig_bit(sig))) return NULL;
    for (int i = 0; i < node->n; i++)
        if (node->c[i].sig == sig && memcmp(node->c[i].name, k, n) == 0) return &node->c[i];
    return NULL;
}

static const char *scan_object(struct scan *s, const char *p, const struct fnode *node)
{
    const char *e = s->end;
    if (++s->depth > 512) return fail(s, p, "nested too deeply");
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') { s->depth--; return p + 1; }
    for (;;) {
        if (p >= e || *p != '"')
            return fail(s, p, p >= e ? "unexpected end of line in object" : "expected a quoted member name");
        const char *kstart = p;
        int esc;
        if (!(p = scan_string(s, p, &esc))) return NULL;
        const struct fchild *c = node ? match_key(node, kstart + 1, (size_t)(p - kstart - 2), esc) : NULL;
        if (p < e && *p == ':') p++;           /* the usual compact form first */
        else {
            p = skip_ws(p, e);
            if (p >= e || *p != ':') return fail(s, p, "expected ':'");
            p++;
        }
        p = skip_ws(p, e);
        if (c && c->index >= 0) {
            struct iot_val *v = &s->vals[c->index];
            v->member_off = (size_t)(kstart - s->line);
            if (!(p = scan_value(s, p, c->sub, v))) return NULL;
        } else {
            if (!(p = scan_value(s, p, c ? c->sub : NULL, NULL))) return NULL;
        }
        if (p < e && *p != ',' && *p != '}') p = skip_ws(p, e);
        if (p < e && *p == ',') { p = skip_ws(p + 1, e); continue; }
        if (p < e && *p == '}') { s->depth--; return p + 1; }
        return fail(s, p, p >= e ? "unexpected end of line in object" : "expected ',' or '}'");
    }
}

static const char *scan_array(struct scan *s, const char *p)
{
    const char *e = s->end;
    if (++s->depth > 512) return fail(s, p, "nested too deeply");
    p = skip_ws(p + 1, e);
    if (p < e && *p == ']') { s->depth--; return p + 1; }
    for (;;) {
        if (!(p = scan_value(s, p, NULL, NULL))) return NULL;
        p = skip_ws(p, e);
        if (p < e && *p == ',') { p = skip_ws(p + 1, e); continue; }
        if (p < e && *p == ']') { s->depth--; return p + 1; }
        return fail(s, p, p >= e ? "unexpected end of line in array" : "expected ',' or ']'");
    }
}

static const char *lit(struct scan *s, const char *p, const char *w, size_t n)
{
    if ((size_t)(s->end - p) < n || memcmp(p, w, n) != 0) return fail(s, p, "unexpected character");
    return p + n;
}

static const char *scan_value(struct scan *s, const char *p, const struct fnode *node, struct iot_val *out)
{
    const char *start = p;
    int type, esc = 0;
    if (p >= s->end) return fail(s, p, "value expected");
    switch (*p) {
    case '{': type = IOT_J_OBJ; p = scan_object(s, p, node); break;
    case '[': type = IOT_J_ARR; p = scan_array(s, p); break;
    case '"': type = IOT_J_STR; p = scan_string(s, p, &esc); break;
    case 't': type = IOT_J_TRUE; p = lit(s, p, "true", 4); break;
    case 'f': type = IOT_J_FALSE; p = lit(s, p, "false", 5); break;
    case 'n': type = IOT_J_NULL; p = lit(s, p, "null", 4); break;
    default:
        if (*p == '-' || isdig(*p)) {
            type = IOT_J_NUM;
            p = scan_number(s, p);
        } else {
            return fail(s, p, "value expected");
        }
    }
    if (p && out) {
        out->p = start;
        out->n = (size_t)(p - start);
        out->type = (uint8_t)type;
        out->esc = (uint8_t)esc;
    }
    return p;
}

int iot_rec_scan(const struct iot_fields *f, const char *line, size_t len,
                 struct iot_val *vals, const char **err)
{
    struct scan s = { line, line + len, vals, 0, NULL, NULL };
    if (f && f->count) memset(vals, 0, (size_t)f->count * sizeof *vals);
    const char *p = skip_ws(line, s.end);
    if (len >= 3 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
        fail(&s, line, "byte order mark (UTF-8 BOM) before the record");
    else if (p >= s.end || *p != '{')
        fail(&s, p, p < s.end && (*p == '[' || *p == '"' || *p == '-' || isdig(*p))
                      ? "a record must be a JSON object" : "not JSON: '{' expected");
    else if ((p = scan_object(&s, p, f && f->count ? &f->root : NULL))) {
        p = skip_ws(p, s.end);
        if (p < s.end) fail(&s, p, "text after the JSON object");
    }
    if (!s.err) return 0;
    if (err) {
        snprintf(errbuf, sizeof errbuf, "invalid JSON at column %zu: %s", (size_t)(s.errp - line) + 1, s.err);
        *err = errbuf;
    }
    return -1;
}

/* ---- accessors ---- */

static const double pow10tab[23] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

int iot_val_num(const struct iot_val *v, double *out)
{
    if (v->type != IOT_J_NUM) return -1;
    /* Clinger's fast path: a mantissa below 2^53 and a power of ten ≤ 22 give a correctly
     * rounded result with one IEEE multiply or divide (W. Clinger, "How to read floating point
     * numbers accurately", PLDI 1990). Everything else goes through strtod. */
    const char *p = v->p, *e = v->p + v->n;
    int neg = 0, exp10 = 0, nd = 0;
    uint64_t m = 0;
    if (*p == '-') { neg = 1; p++; }
    for (; p < e && *p >= '0' && *p <= '9'; p++) { m = m * 10 + (uint64_t)(*p - '0'); nd++; }
    if (p < e && *p == '.')
        for (p++; p < e && *p >= '0' && *p <= '9'; p++) { m = m * 10 + (uint64_t)(*p - '0'); nd++; exp10--; }
    if (p == e && nd <= 15) {
        double d = (double)m;
        d = exp10 < 0 ? d / pow10tab[-exp10] : d;
        *out = neg ? -d : d;
        return 0;
    }
    char tmp[64];
    if (v->n < sizeof tmp) {
        memcpy(tmp, v->p, v->n);
        tmp[v->n] = 0;
        *out = strtod(tmp, NULL);
    } else {
        char *big = iot_xmalloc(v->n + 1);
        memcpy(big, v->p, v->n);
        big[v->n] = 0;
        *out = strtod(big, NULL);
        free(big);
    }
    return isfinite(*out) ? 0 : -1;    /* 1e999: not a value any tool can compute with */
}

const char *iot_val_num_error(const struct iot_val *v)
{
    return v->type == IOT_J_NUM ? "number out of range (not finite as a double)"
         : "expected a number";
}

int iot_val_i64(const struct iot_val *v, int64_t *out)
{
    if (v->type != IOT_J_NUM) return -1;
    const char *p = v->p, *e = v->p + v->n;
    int neg = *p == '-';
    p += neg;
    uint64_t m = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9') return -1;
        if (m > (UINT64_MAX - 9) / 10) return -1;
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (m > (uint64_t)INT64_MAX + neg) return -1;
    *out = neg ? (int64_t)(0 - m) : (int64_t)m;
    return 0;
}

static void put_utf8(struct iot_buf *b, unsigned cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) { t[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { t[0] = (char)(0xC0 | cp >> 6); t[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) { t[0] = (char)(0xE0 | cp >> 12); t[1] = (char)(0x80 | (cp >> 6 & 63)); t[2] = (char)(0x80 | (cp & 63)); n = 3; }
    else { t[0] = (char)(0xF0 | cp >> 18); t[1] = (char)(0x80 | (cp >> 12 & 63)); t[2] = (char)(0x80 | (cp >> 6 & 63)); t[3] = (char)(0x80 | (cp & 63)); n = 4; }
    iot_buf_add(b, t, n);
}

long iot_json_unquote(const char *p, size_t n, struct iot_buf *b)
{
    if (n < 2 || *p != '"') return -1;
    size_t i = 1;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '"' && p[j] != '\\') j++;
        iot_buf_add(b, p + i, j - i);
        i = j;
        if (i >= n) return -1;
        if (p[i] == '"') return (long)(i + 1);
        if (i + 1 >= n) return -1;
        char c = p[i + 1];
        i += 2;
        switch (c) {
        case '"': iot_buf_addc(b, '"'); break;
        case '\\': iot_buf_addc(b, '\\'); break;
        case '/': iot_buf_addc(b, '/'); break;
        case 'b': iot_buf_addc(b, '\b'); break;
        case 'f': iot_buf_addc(b, '\f'); break;
        case 'n': iot_buf_addc(b, '\n'); break;
        case 'r': iot_buf_addc(b, '\r'); break;
        case 't': iot_buf_addc(b, '\t'); break;
        case 'u': {
            if (i + 4 > n) return -1;
            unsigned cp = 0;
            for (int k = 0; k < 4; k++) {
                int h = hexval(p[i + k]);
                if (h < 0) return -1;
                cp = cp << 4 | (unsigned)h;
            }
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u') {
                unsigned lo = 0;
                int ok = 1;
                for (int k = 0; k < 4; k++) {
                    int h = hexval(p[i + 2 + k]);
                    if (h < 0) { ok = 0; break; }
                    lo = lo << 4 | (unsigned)h;
                }
                if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;   /* lone surrogate */
            put_utf8(b, cp);
            break;
        }
        default:
            return -1;
        }
    }
    return -1;
}

int iot_val_str(const struct iot_val *v, struct iot_buf *b)
{
    if (v->type != IOT_J_STR) return -1;
    if (!v->esc) { iot_buf_add(b, v->p + 1, v->n - 2); return 0; }
    return iot_json_unquote(v->p, v->n, b) < 0 ? -1 : 0;
}

bool iot_val_streq(const struct iot_val *v, const char *s, size_t n)
{
    if (v->type != IOT_J_STR) return false;
    if (!v->esc) return v->n - 2 == n && memcmp(v->p + 1, s, n) == 0;
    struct iot_buf b = {0};
    bool eq = iot_val_str(v, &b) == 0 && b.len == n && memcmp(b.p, s, n) == 0;
    iot_buf_free(&b);
    return eq;
}

int iot_val_time(const struct iot_val *v, int unit, int64_t *ns, const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    if (v->type == IOT_J_NUM) return iot_time_epoch(v->p, v->n, unit, ns, why);
    if (v->type != IOT_J_STR) {
        *why = v->type == IOT_J_ABSENT ? "missing" : "not a timestamp (string or number expected)";
        return -1;
    }
    const char *s = v->p + 1;
    size_t n = v->n - 2;
    struct iot_buf b = {0};
    if (v->esc) {
        iot_val_str(v, &b);
        s = b.p;
        n = b.len;
    }
    int rc;
    if (n && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && (n < 5 || s[4] != '-'))
        rc = iot_time_epoch(s, n, unit, ns, why);          /* epoch number written as a string */
    else
        rc = iot_time_parse(s, n, ns, why);
    if (b.p) iot_buf_free(&b);
    return rc;
}

/* ---- byte-preserving edits ---- */

static int cmp_member(const void *a, const void *b)
{
    const struct iot_val *x = *(const struct iot_val *const *)a, *y = *(const struct iot_val *const *)b;
    return (x->member_off > y->member_off) - (x->member_off < y->member_off);
}

static bool only_sep(const char *p, const char *e)
{
    for (; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != ',') return false;
    return true;
}

int iot_rec_open_edit(struct iot_out *o, const char *line, size_t len,
                      const struct iot_val *const *drop, int ndrop)
{
    const char *end = line + len;
    while (end > line && end[-1] != '}') end--;
    const char *close = end > line ? end - 1 : line;       /* the final '}' */
    const struct iot_val *sorted[16];
    int nd = 0;
    for (int i = 0; i < ndrop && nd < 16; i++)
        if (drop[i] && drop[i]->type != IOT_J_ABSENT) sorted[nd++] = drop[i];
    qsort(sorted, (size_t)nd, sizeof *sorted, cmp_member);
    const char *open = memchr(line, '{', len);
    if (!open) open = line;
    const char *cur = line;            /* next byte to copy */
    const char *kept_from = open + 1;  /* where text since the last removal starts */
    bool kept_any = false;
    for (int i = 0; i < nd; i++) {
        const char *ms = line + sorted[i]->member_off, *me = sorted[i]->p + sorted[i]->n;
        if (ms < cur) continue;       /* overlapping (duplicate) */
        if (!only_sep(kept_from, ms)) kept_any = true;
        const char *rs = ms, *re = me;
        if (kept_any) {                /* remove the separator before it */
            while (rs > cur && rs[-1] != ',') rs--;
            if (rs > cur) rs--;
        } else {                       /* first member left: remove the separator after it */
            const char *q = me;
            while (q < close && (*q == ' ' || *q == '\t')) q++;
            if (q < close && *q == ',') {
                re = q + 1;
                while (re < close && (*re == ' ' || *re == '\t')) re++;
            }
        }
        iot_out_write(o, cur, (size_t)(rs - cur));
        cur = re;
        kept_from = re;
    }
    if (!only_sep(kept_from, close)) kept_any = true;
    iot_out_write(o, cur, (size_t)(close - cur));
    return kept_any ? 1 : 0;
}

void iot_rec_member(struct iot_out *o, int *nmembers, const char *name)
{
    if (*nmembers > 0) iot_out_putc(o, ',');
    iot_out_json_str(o, name, strlen(name));
    iot_out_putc(o, ':');
    ++*nmembers;
}

void iot_rec_close(struct iot_out *o)
{
    iot_out_putc(o, '}');
    iot_out_eol(o);
}

void iot_val_of_json(const char *p, size_t n, struct iot_val *v)
{
    memset(v, 0, sizeof *v);
    v->p = p;
    v->n = n;
    switch (p[0]) {
    case '"': v->type = IOT_J_STR; v->esc = memchr(p, '\\', n) != NULL; break;
    case '{': v->type = IOT_J_OBJ; break;
    case '[': v->type = IOT_J_ARR; break;
    case 't': v->type = IOT_J_TRUE; break;
    case 'f': v->type = IOT_J_FALSE; break;
    case 'n': v->type = IOT_J_NULL; break;
    default: v->type = IOT_J_NUM; break;
    }
}

int iot_rec_read(const struct iot_fields *f, const char *line, size_t len, struct iot_val *vals,
                 const struct iot_src *src)
{
    const char *err;
    if (iot_rec_scan(f, line, len, vals, &err) == 0) return 0;
    iot_reject(src, line, len, "bad json", "%s", err);
    return -1;
}
