/* csvin: CSV rows (RFC 4180 as libcsv reads it) to NDJSON records. Fed one input line at a time
 * (as iot_in yields them, terminator removed), so a quoted field may span lines. The first row
 * is the header unless column names are given; a UTF-8 BOM on the first line is skipped.
 * Cells that read as JSON numbers are written as numbers, others as strings; empty cells are
 * left out of the record. */
#ifndef IOT_CSVIN_H
#define IOT_CSVIN_H
#include <stddef.h>
#include "core/buf.h"
#include "core/rec.h"

struct iot_csvin;

/* delim: field separator (',' ';' '\t' ...). columns: names when the input has no header row
 * (copied; NULL = read the header from each file). max_bytes bounds a record's text (0 = 16 MiB)
 * so an unterminated quote cannot eat memory. */
struct iot_csvin *iot_csvin_new(char delim, char **columns, int ncolumns, size_t max_bytes);

/* A new file begins: expects a header again (unless columns were given) and a possible BOM. */
void iot_csvin_reset(struct iot_csvin *c);

/* Feeds one line. Returns 1 when a record was completed: *out holds one JSON object (no
 * newline; out is reset first); 0 when more lines are needed (inside quotes), or the line was
 * the header or blank; -1 when the row is bad (ragged, bad UTF-8, too long, no header names):
 * *err says why (static or internal storage, valid until the next call). After 1 or -1,
 * iot_csvin_raw gives the row's original text (lines joined with '\n') for the dead-letter
 * stream, and iot_csvin_first_line the input line number where the row began (relative to
 * the lines fed since the last reset, 1-based). The raw text is valid until the next call. */
int iot_csvin_line(struct iot_csvin *c, const char *line, size_t len, struct iot_buf *out,
                   const char **err);
/* Binds a field set: from then on, each record iot_csvin_line completes also fills vals
 * (iot_fields_count(f) of them, the caller's) as iot_rec_scan(f, record) would — a plain name
 * gets the column of that name (the last non-empty one if named twice), a dotted path is
 * absent — pointing into *out, so the caller need not scan the record again. The record is
 * valid JSON by construction. f and vals must outlive c (or be bound anew). */
void iot_csvin_bind(struct iot_csvin *c, const struct iot_fields *f, struct iot_val *vals);
/* End of a file: -1 with *err if a quoted field is still open (raw text available), else 0. */
int iot_csvin_finish(struct iot_csvin *c, const char **err);
const char *iot_csvin_raw(const struct iot_csvin *c, size_t *len);
long iot_csvin_first_line(const struct iot_csvin *c);
int iot_csvin_ncolumns(const struct iot_csvin *c);
/* True while a row is open (the last line ended inside a quoted field). */
int iot_csvin_in_row(const struct iot_csvin *c);
void iot_csvin_free(struct iot_csvin *c);

/* True if s[0..n) is a JSON number (RFC 8259 grammar). */
int iot_csvin_is_number(const char *s, size_t n);
/* True if s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int iot_csvin_utf8_ok(const char *s, size_t n);
#endif
