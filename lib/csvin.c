/* csvin: CSV → NDJSON over libcsv. */
#include <csv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "csvin.h"
#include "diag.h"
#include <stdio.h>

struct cell { size_t off, len; };

struct iot_csvin {
    struct csv_parser p;
    char delim;
    size_t max_bytes;
    char **fixed;             /* --csv-columns names, or NULL */
    int nfixed;
    struct iot_buf *names;    /* per column: "\"name\":" pre-escaped */
    int nnames;
    int have_header, first_line_of_file, row_done, in_row;
    long lines, row_first;
    struct iot_buf cells;     /* the current row's cell bytes */
    struct cell *cell;
    int ncell, capcell;
    struct iot_buf raw;       /* the current row's text */
    char *obuf;               /* the record being written */
    size_t ocap;
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

static void set_names(struct iot_csvin *c, char **names, const size_t *lens, int n)
{
    for (int i = 0; i < c->nnames; i++)
        iot_buf_free(&c->names[i]);
    free(c->names);
    c->names = iot_xcalloc((size_t)(n ? n : 1), sizeof *c->names);
    c->nnames = n;
    for (int i = 0; i < n; i++) {
        iot_buf_json_str(&c->names[i], names[i], lens ? lens[i] : strlen(names[i]));
        iot_buf_addc(&c->names[i], ':');
    }
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

/* Builds the record from the completed row. */
static int emit_row(struct iot_csvin *c, struct iot_buf *out, const char **err)
{
    static char msg[96];
    if (!c->have_header) {
        char **nm = iot_xmalloc(sizeof *nm * (size_t)(c->ncell ? c->ncell : 1));
        size_t *ln = iot_xmalloc(sizeof *ln * (size_t)(c->ncell ? c->ncell : 1));
        for (int i = 0; i < c->ncell; i++)
            nm[i] = c->cells.p + c->cell[i].off, ln[i] = c->cell[i].len;
        int ok = iot_csvin_utf8_ok(c->cells.p, c->cells.len);
        for (int i = 0; ok && i < c->ncell; i++)
            if (!ln[i])
                ok = 0;
        if (ok)
            set_names(c, nm, ln, c->ncell);
        free(nm);
        free(ln);
        c->have_header = 1;
        if (!ok) {
            c->nnames = 0;
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
    if (!iot_csvin_utf8_ok(c->cells.p, c->cells.len)) {
        *err = "invalid UTF-8";
        return -1;
    }
    size_t need = 2;
    for (int i = 0; i < c->ncell; i++)
        need += c->names[i].len + 6 * c->cell[i].len + 3;
    if (need > c->ocap) {
        c->ocap = need * 2;
        c->obuf = iot_xrealloc(c->obuf, c->ocap);
    }
    char *w = c->obuf;
    *w++ = '{';
    for (int i = 0; i < c->ncell; i++) {
        size_t n = c->cell[i].len;
        if (!n)
            continue;
        const char *s = c->cells.p + c->cell[i].off;
        if (w[-1] != '{')
            *w++ = ',';
        memcpy(w, c->names[i].p, c->names[i].len);
        w += c->names[i].len;
        if (iot_csvin_is_number(s, n)) {
            memcpy(w, s, n);
            w += n;
        } else {
            *w++ = '"';
            w += plain(s, n) ? (memcpy(w, s, n), n) : iot_json_escape(w, s, n);
            *w++ = '"';
        }
    }
    *w++ = '}';
    iot_buf_reset(out);
    iot_buf_add(out, c->obuf, (size_t)(w - c->obuf));
    return 1;
}

/* The common row — cells unquoted, or quoted without a doubled quote, a delimiter directly
 * after the closing quote, and no CR — is split here; libcsv does every other row. The result
 * is the same: libcsv also trims spaces and tabs around unquoted cells. Returns 0 (nothing
 * consumed) when the row needs libcsv. */
static int fast_row(struct iot_csvin *c, const char *line, size_t len)
{
    if (memchr(line, '\r', len))
        return 0;
    size_t i = 0;
    c->ncell = 0;
    iot_buf_reset(&c->cells);
    for (;;) {
        size_t a, b, next;
        if (i < len && line[i] == '"') {
            const char *q = memchr(line + i + 1, '"', len - i - 1);
            if (!q)
                return 0;                       /* a newline inside quotes */
            a = i + 1, b = (size_t)(q - line), next = b + 1;
            if (next < len && line[next] != c->delim)
                return 0;                       /* "" or text after the quote */
        } else {
            const char *e = memchr(line + i, c->delim, len - i);
            next = e ? (size_t)(e - line) : len;
            if (memchr(line + i, '"', next - i))
                return 0;
            a = i, b = next;
            while (a < b && (line[a] == ' ' || line[a] == '\t'))
                a++;
            while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
                b--;
        }
        on_cell((void *)(line + a), b - a, c);
        if (next >= len)
            break;
        i = next + 1;
        if (i == len) {                         /* a trailing delimiter: one more empty cell */
            on_cell((void *)(line + i), 0, c);
            break;
        }
    }
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
        if (len == 0)
            return 0;   /* blank line between rows */
    } else {
        iot_buf_addc(&c->raw, '\n');
    }
    iot_buf_add(&c->raw, line, len);
    if (!c->in_row) {
        if (fast_row(c, line, len))
            return emit_row(c, out, err);
        c->ncell = 0;               /* libcsv starts the row again */
        iot_buf_reset(&c->cells);
    }
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
    return emit_row(c, out, err);
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
    for (int i = 0; i < c->nnames; i++)
        iot_buf_free(&c->names[i]);
    free(c->names);
    free(c->cell);
    free(c->obuf);
    iot_buf_free(&c->cells);
    iot_buf_free(&c->raw);
    free(c);
}
