/* csvin: CSV → NDJSON over libcsv, with a faster splitter of its own for common rows. */
#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "csvin.h"
#include "core/diag.h"

struct cell { size_t off, len; };   /* in the row's base text: the line, or cells for libcsv */

struct iot_csvin {
    struct csv_parser p;
    char delim;
    size_t max_bytes;
    char **fixed;             /* --csv-columns names, or NULL */
    int nfixed;
    struct iot_buf *names;    /* per column: "\"name\":" pre-escaped */
    char **raw_names;         /* per column: the name itself (NULL if it holds a NUL byte) */
    int *col_field;           /* per column: the bound field it fills, or -1 */
    int nnames;
    const struct iot_fields *bound;
    struct iot_val *vals;
    int have_header, first_line_of_file, row_done, in_row;
    long lines, row_first;
    struct iot_buf cells;     /* the current row's cell bytes */
    struct cell *cell;
    int ncell, capcell;
    struct iot_buf raw;       /* the current row's text (rows that libcsv reads) */
    const char *raw_line;     /* or the line itself (rows split here) */
    size_t raw_len;
    uint32_t *spec;           /* offsets of delimiters and quotes in the line */
    size_t spec_cap;
};

/* True if s needs no JSON escaping (validated UTF-8 is passed through as is). */
static int plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char u = (unsigned char)s[i];
        if (u < 0x20 || u == '"' || u == '\\')
            return 0;
    }
    return 1;
}

static void on_cell(void *s, size_t n, void *ctx)
{
    struct iot_csvin *c = ctx;
    if (c->ncell == c->capcell) {
        c->capcell = c->capcell ? c->capcell * 2 : 16;
        c->cell = iot_xrealloc(c->cell, sizeof *c->cell * (size_t)c->capcell);
    }
    c->cell[c->ncell].off = c->cells.len;
    c->cell[c->ncell].len = n;
    c->ncell++;
    if (n)
        iot_buf_add(&c->cells, s, n);
}

static void on_row(int ch, void *ctx)
{
    (void)ch;
    ((struct iot_csvin *)ctx)->row_done = 1;
}

/* Which bound field each column fills: a field that is a plain name (a dotted path reaches
 * into objects, which a CSV record has none of) gets every column of that name. */
static void map_columns(struct iot_csvin *c)
{
    free(c->col_field);
    c->col_field = iot_xmalloc(sizeof *c->col_field * (size_t)(c->nnames ? c->nnames : 1));
    for (int j = 0; j < c->nnames; j++) {
        c->col_field[j] = -1;
        for (int i = 0; c->bound && i < iot_fields_count(c->bound); i++) {
            const char *path = iot_fields_path(c->bound, i);
            if (c->raw_names[j] && !strchr(path, '.') && strcmp(path, c->raw_names[j]) == 0)
                c->col_field[j] = i;
        }
    }
}

static void free_names(struct iot_csvin *c)
{
    for (int i = 0; i < c->nnames; i++) {
        iot_buf_free(&c->names[i]);
        free(c->raw_names[i]);
    }
    free(c->names);
    free(c->raw_names);
    c->names = NULL;
    c->raw_names = NULL;
    c->nnames = 0;
}

static void set_names(struct iot_csvin *c, char **names, const size_t *lens, int n)
{
    free_names(c);
    c->names = iot_xcalloc((size_t)(n ? n : 1), sizeof *c->names);
    c->raw_names = iot_xcalloc((size_t)(n ? n : 1), sizeof *c->raw_names);
    c->nnames = n;
    for (int i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : strlen(names[i]);
        iot_buf_json_str(&c->names[i], names[i], len);
        iot_buf_addc(&c->names[i], ':');
        /* a name with a NUL byte matches no field path (a C string would stop at the NUL) */
        if (memchr(names[i], 0, len))
            continue;
        c->raw_names[i] = iot_xmalloc(len + 1);
        memcpy(c->raw_names[i], names[i], len);
        c->raw_names[i][len] = 0;
    }
    map_columns(c);
}

void iot_csvin_bind(struct iot_csvin *c, const struct iot_fields *f, struct iot_val *vals)
{
    c->bound = f;
    c->vals = vals;
    map_columns(c);
}

struct iot_csvin *iot_csvin_new(char delim, char **columns, int ncolumns, size_t max_bytes)
{
    struct iot_csvin *c = iot_xcalloc(1, sizeof *c);
    if (csv_init(&c->p, 0) != 0)
        iot_die(70, "csv: cannot initialise the parser");
    c->delim = delim;
    csv_set_delim(&c->p, (unsigned char)delim);
    c->max_bytes = max_bytes ? max_bytes : (size_t)16 << 20;
    if (columns) {
        c->fixed = columns;
        c->nfixed = ncolumns;
        set_names(c, columns, NULL, ncolumns);
    }
    iot_csvin_reset(c);
    return c;
}

/* A fresh libcsv state (after an error, or for a new file). */
static void restart(struct iot_csvin *c)
{
    csv_free(&c->p);
    if (csv_init(&c->p, 0) != 0)
        iot_die(70, "csv: cannot initialise the parser");
    csv_set_delim(&c->p, (unsigned char)c->delim);
}

void iot_csvin_reset(struct iot_csvin *c)
{
    restart(c);
    c->have_header = c->fixed != NULL;
    c->first_line_of_file = 1;
    c->row_done = c->in_row = 0;
    c->ncell = 0;
    c->lines = 0;
    iot_buf_reset(&c->cells);
    iot_buf_reset(&c->raw);
    c->raw_line = NULL;
}

int iot_csvin_is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    return i == n;
}

int iot_csvin_utf8_ok(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint64_t w8;
        if (i + 8 <= n && (memcpy(&w8, u + i, 8), !(w8 & UINT64_C(0x8080808080808080)))) {
            i += 8;                             /* eight ASCII bytes at once */
            continue;
        }
        unsigned c = u[i];
        if (c < 0x80) { i++; continue; }
        int k;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) k = 3, cp = c & 0x07;
        else return 0;
        if (i + (size_t)k >= n)
            return 0;
        for (int j = 1; j <= k; j++) {
            if ((u[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (u[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += (size_t)k + 1;
    }
    return 1;
}

/* Makes room for n bytes in out, which is emptied (buf.h has no reserve call). */
static char *reserve(struct iot_buf *out, size_t n)
{
    out->len = 0;
    if (n + 1 > out->cap) {
        char *zero = iot_xcalloc(1, n);
        iot_buf_add(out, zero, n);
        free(zero);
        out->len = 0;
    }
    return out->p;
}

/* True if every cell is valid UTF-8 on its own. Checking the cells' concatenation is not enough:
 * libcsv drops the quotes and delimiters between them, so two invalid halves of a sequence in
 * adjacent cells ("x\xcc",\xa8) would join into one valid character. */
static int cells_utf8_ok(const struct iot_csvin *c, const char *base)
{
    for (int i = 0; i < c->ncell; i++)
        if (!iot_csvin_utf8_ok(base + c->cell[i].off, c->cell[i].len))
            return 0;
    return 1;
}

/* Builds the record from the completed row, its cells in base. flags: what the row's text was
 * found to hold (ROW_* below; ROW_ALL when unknown). */
enum { ROW_ESC = 1, ROW_HIGH = 2, ROW_ALL = 3 };
static int emit_row(struct iot_csvin *c, const char *base, size_t base_len, int flags,
                    struct iot_buf *out, const char **err)
{
    static char msg[96];
    if (!c->have_header) {
        char **nm = iot_xmalloc(sizeof *nm * (size_t)(c->ncell ? c->ncell : 1));
        size_t *ln = iot_xmalloc(sizeof *ln * (size_t)(c->ncell ? c->ncell : 1));
        for (int i = 0; i < c->ncell; i++)
            nm[i] = (char *)base + c->cell[i].off, ln[i] = c->cell[i].len;
        int ok = cells_utf8_ok(c, base);
        for (int i = 0; ok && i < c->ncell; i++)
            if (!ln[i])
                ok = 0;
        if (ok)
            set_names(c, nm, ln, c->ncell);
        free(nm);
        free(ln);
        c->have_header = 1;
        if (!ok) {
            free_names(c);
            *err = "header row: empty or invalid UTF-8 column name";
            return -1;
        }
        return 0;
    }
    if (c->ncell != c->nnames) {
        snprintf(msg, sizeof msg, "ragged row: %d fields, header has %d", c->ncell, c->nnames);
        *err = msg;
        return -1;
    }
    /* split here, the cells are the line cut at ASCII bytes: a valid line means valid cells;
     * cells from libcsv (ROW_ALL) are checked one by one */
    if ((flags & ROW_HIGH) && !(flags == ROW_ALL ? cells_utf8_ok(c, base) : iot_csvin_utf8_ok(base, base_len))) {
        *err = "invalid UTF-8";
        return -1;
    }
    size_t need = 2;
    for (int i = 0; i < c->ncell; i++)
        need += c->names[i].len + 6 * c->cell[i].len + 3;
    char *w0 = reserve(out, need), *w = w0;
    struct iot_val *vals = c->vals;
    if (vals)
        memset(vals, 0, sizeof *vals * (size_t)iot_fields_count(c->bound));
    *w++ = '{';
    for (int i = 0; i < c->ncell; i++) {
        size_t n = c->cell[i].len;
        if (!n)
            continue;
        const char *s = base + c->cell[i].off;
        if (w[-1] != '{')
            *w++ = ',';
        size_t member = (size_t)(w - w0);
        memcpy(w, c->names[i].p, c->names[i].len);
        w += c->names[i].len;
        char *v = w;
        int type = IOT_J_STR, esc = 0;
        if ((*s == '-' || (*s >= '0' && *s <= '9')) && iot_csvin_is_number(s, n)) {
            memcpy(w, s, n);
            w += n;
            type = IOT_J_NUM;
        } else {
            *w++ = '"';
            if (!(flags & ROW_ESC) || plain(s, n)) {
                memcpy(w, s, n);
                w += n;
            } else {
                w += iot_json_escape(w, s, n);
                esc = 1;
            }
            *w++ = '"';
        }
        if (vals && c->col_field[i] >= 0)
            vals[c->col_field[i]] = (struct iot_val){ v, (size_t)(w - v), member, (uint8_t)type, (uint8_t)esc };
    }
    *w++ = '}';
    out->len = (size_t)(w - w0);
    *w = 0;
    return 1;
}

/* The common row — cells unquoted, or quoted without a doubled quote, a delimiter directly
 * after the closing quote, and no CR — is split here; libcsv does every other row. The result
 * is the same: libcsv also trims spaces and tabs around unquoted cells. Returns 0 (nothing
 * consumed) when the row needs libcsv, else 1 with *flags (ROW_*) set. */
static int fast_row(struct iot_csvin *c, const char *line, size_t len, int *flags)
{
    /* One pass finds the delimiters and quotes (their offsets go to c->spec) and notes CR,
     * backslashes, other control bytes and non-ASCII bytes. */
    if (len >= UINT32_MAX)
        return 0;
    if (c->spec_cap < len + 1) {
        c->spec_cap = len + 1;
        c->spec = iot_xrealloc(c->spec, sizeof *c->spec * c->spec_cap);
    }
    uint32_t *sp = c->spec, nsp = 0;
    unsigned char d = (unsigned char)c->delim;
    int esc = 0, high = 0, cr = 0;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i vd = _mm_set1_epi8((char)d), vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'),
                  lo = _mm_set1_epi8(0x20);
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(line + i));
        __m128i isd = _mm_cmpeq_epi8(v, vd);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(isd, _mm_cmpeq_epi8(v, vq)));
        /* signed compare: bytes >= 0x80 are negative, so they count as "below 0x20" too */
        unsigned odd = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(isd, _mm_or_si128(
                           _mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, vb))));
        if (odd) {
            for (unsigned k = odd; k; k &= k - 1) {
                unsigned char u = (unsigned char)line[i + (unsigned)__builtin_ctz(k)];
                if (u >= 0x80) high = 1;
                else if (u == '\r') cr = 1;
                else esc = 1;
            }
        }
        for (; m; m &= m - 1)
            sp[nsp++] = (uint32_t)(i + (unsigned)__builtin_ctz(m));
    }
#endif
    for (; i < len; i++) {
        unsigned char u = (unsigned char)line[i];
        if (u == d || u == '"')
            sp[nsp++] = (uint32_t)i;
        else if (u >= 0x80) high = 1;
        else if (u == '\r') cr = 1;
        else if (u < 0x20 || u == '\\') esc = 1;
    }
    if (cr)
        return 0;
    if (d >= 0x80)
        high = 1;                               /* the cut bytes are not ASCII: check it all */
    if (d < 0x20 || d == '\\')
        esc = 1;                                /* a quoted cell may hold one: check each cell */
    sp[nsp] = (uint32_t)len;                    /* sentinel */
    c->ncell = 0;
    uint32_t k = 0;
    i = 0;
    for (;;) {
        size_t a, b, next;
        while (sp[k] < i)
            k++;
        if (i < len && line[i] == '"') {
            uint32_t j = k + 1;                 /* sp[k] is this quote */
            while (sp[j] < len && line[sp[j]] != '"')
                j++;                            /* delimiters inside the quotes */
            if (sp[j] >= len)
                return 0;                       /* a newline inside quotes */
            a = i + 1, b = sp[j], next = b + 1;
            k = j + 1;
            if (next < len && line[next] != c->delim)
                return 0;                       /* "" or text after the quote */
        } else {
            next = sp[k];
            if (next < len && line[next] == '"')
                return 0;
            a = i, b = next;
            while (a < b && (line[a] == ' ' || line[a] == '\t'))
                a++;
            while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
                b--;
        }
        if (c->ncell == c->capcell) {
            c->capcell = c->capcell ? c->capcell * 2 : 16;
            c->cell = iot_xrealloc(c->cell, sizeof *c->cell * (size_t)c->capcell);
        }
        c->cell[c->ncell++] = (struct cell){ a, b - a };
        if (next >= len)
            break;
        i = next + 1;
        if (i == len) {                         /* a trailing delimiter: one more empty cell */
            if (c->ncell == c->capcell) {
                c->capcell *= 2;
                c->cell = iot_xrealloc(c->cell, sizeof *c->cell * (size_t)c->capcell);
            }
            c->cell[c->ncell++] = (struct cell){ i, 0 };
            break;
        }
    }
    *flags = (esc ? ROW_ESC : 0) | (high ? ROW_HIGH : 0);
    return 1;
}

int iot_csvin_line(struct iot_csvin *c, const char *line, size_t len, struct iot_buf *out,
                   const char **err)
{
    c->lines++;
    if (c->first_line_of_file) {
        c->first_line_of_file = 0;
        if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
            line += 3, len -= 3;
    }
    if (!c->in_row) {
        c->row_first = c->lines;
        c->ncell = 0;
        iot_buf_reset(&c->cells);
        iot_buf_reset(&c->raw);
        c->raw_line = NULL;
        if (len == 0)
            return 0;   /* blank line between rows */
        int flags;
        if (fast_row(c, line, len, &flags)) {
            c->raw_line = line;     /* the raw text is the line itself: no copy */
            c->raw_len = len;
            return emit_row(c, line, len, flags, out, err);
        }
        c->ncell = 0;               /* libcsv starts the row again */
    } else {
        iot_buf_addc(&c->raw, '\n');
    }
    iot_buf_add(&c->raw, line, len);
    c->in_row = 1;
    c->row_done = 0;
    if (csv_parse(&c->p, line, len, on_cell, on_row, c) != len ||
        csv_parse(&c->p, "\n", 1, on_cell, on_row, c) != 1) {
        *err = csv_strerror(csv_error(&c->p));
        c->in_row = 0;
        restart(c);
        return -1;
    }
    if (!c->row_done) {
        if (c->raw.len > c->max_bytes) {
            *err = "row too long (unterminated quote?)";
            c->in_row = 0;
            restart(c);
            return -1;
        }
        return 0;
    }
    c->in_row = 0;
    return emit_row(c, c->cells.p ? c->cells.p : "", c->cells.len, ROW_ALL, out, err);
}

int iot_csvin_finish(struct iot_csvin *c, const char **err)
{
    if (!c->in_row)
        return 0;
    c->in_row = 0;
    *err = "unterminated quoted field at end of file";
    restart(c);
    return -1;
}

const char *iot_csvin_raw(const struct iot_csvin *c, size_t *len)
{
    if (c->raw_line) {
        *len = c->raw_len;
        return c->raw_line;
    }
    *len = c->raw.len;
    return c->raw.p ? c->raw.p : "";
}

long iot_csvin_first_line(const struct iot_csvin *c) { return c->row_first; }
int iot_csvin_ncolumns(const struct iot_csvin *c) { return c->nnames; }
int iot_csvin_in_row(const struct iot_csvin *c) { return c->in_row; }

void iot_csvin_free(struct iot_csvin *c)
{
    if (!c)
        return;
    csv_free(&c->p);
    free_names(c);
    free(c->col_field);
    free(c->spec);
    free(c->cell);
    iot_buf_free(&c->cells);
    iot_buf_free(&c->raw);
    free(c);
}
