/* rec: validating single-pass JSON scanner for NDJSON records. Reads the fields a tool asks for
 * (by name or dotted path) without building a tree; keeps byte offsets so a tool can splice
 * fields into a line and keep the rest of it byte-identical. */
#ifndef IOT_REC_H
#define IOT_REC_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "buf.h"

enum iot_jtype { IOT_J_ABSENT = 0, IOT_J_NULL, IOT_J_FALSE, IOT_J_TRUE, IOT_J_NUM, IOT_J_STR,
                 IOT_J_OBJ, IOT_J_ARR };

/* A field found in a line. p/n is the raw value text (strings include their quotes; objects and
 * arrays their brackets). member_off is the offset in the line of the member's key quote.
 * esc: the string contains backslash escapes. Valid while the line is. */
struct iot_val {
    const char *p;
    size_t n;
    size_t member_off;
    uint8_t type;
    uint8_t esc;
};

/* A compiled set of field paths. Index order = order of iot_fields_add calls. */
struct iot_fields;
struct iot_fields *iot_fields_new(void);
/* Adds "name" or "a.b.c" (dots reach into objects; a segment in backquotes, "`a.b`", is one
 * member whose name holds dots); returns its index (the same index for a path added twice). */
int iot_fields_add(struct iot_fields *f, const char *path);
int iot_fields_count(const struct iot_fields *f);
const char *iot_fields_path(const struct iot_fields *f, int i);
void iot_fields_free(struct iot_fields *f);

/* Validates line as one JSON object (RFC 8259, UTF-8 checked, depth ≤ 512; surrounding spaces
 * allowed) and fills vals[0..count-1] (IOT_J_ABSENT when not present; the last of duplicate keys
 * wins). Returns 0, or -1 with a message like "invalid JSON at column 17: expected ':'" in
 * err (static storage, valid until the next call). f may be NULL (validate only). */
int iot_rec_scan(const struct iot_fields *f, const char *line, size_t len,
                 struct iot_val *vals, const char **err);

/* iot_rec_scan for a tool's input: a line that is not a JSON object is rejected through
 * core/diag (kind "bad json", the reason at src) and -1 returned; 0 otherwise. */
struct iot_src;
int iot_rec_read(const struct iot_fields *f, const char *line, size_t len, struct iot_val *vals,
                 const struct iot_src *src);

/* Accessors. Return 0 on success, -1 on type mismatch (nothing written). */
/* The one numeric-value rule (iot(7), VALUES): a value is a number only when it is a JSON number
 * whose double is finite. Numeric strings ("42"), NaN/Infinity text and 1e999 are not numbers;
 * -0 reads as -0.0; integers beyond 2^53 read as the nearest double (keys keep their text).
 * Returns 0, or -1 (nothing useful in *out) with the reason from iot_val_num_error. */
int iot_val_num(const struct iot_val *v, double *out);
const char *iot_val_num_error(const struct iot_val *v);   /* "expected a number", ... */
int iot_val_i64(const struct iot_val *v, int64_t *out);         /* integral numbers in range */
/* Unescaped string contents appended to b (NUL-terminated); -1 if not a string. */
int iot_val_str(const struct iot_val *v, struct iot_buf *b);
/* Compares the unescaped string value with s. */
bool iot_val_streq(const struct iot_val *v, const char *s, size_t n);
/* Event time from a string (RFC 3339) or a number/numeric string (epoch in unit, see time.h).
 * Returns 0, or -1 with a reason in *why ("not a timestamp", "no UTC offset", ...). */
int iot_val_time(const struct iot_val *v, int unit, int64_t *ns, const char **why);

/* Describes JSON text p[0..n) (a valid value a tool wrote itself, e.g. an expression's result)
 * as an iot_val, its type read from the first byte. */
void iot_val_of_json(const char *p, size_t n, struct iot_val *v);
/* Parses a JSON string literal at p (starting at '"') into b; returns bytes consumed or -1. */
long iot_json_unquote(const char *p, size_t n, struct iot_buf *b);

/* Writes a record that is line with some members removed and new ones appended, keeping every
 * other byte: emits line without the members in `drop` (may be NULL/0) and without its closing
 * brace. Returns the number of members left, so the caller knows whether to write ',' before
 * its own members. The caller then writes members and "}" (see iot_rec_close). */
struct iot_out;
int iot_rec_open_edit(struct iot_out *o, const char *line, size_t len,
                      const struct iot_val *const *drop, int ndrop);
/* Writes ',' if *nmembers > 0, then "\"name\":" and increments *nmembers. */
void iot_rec_member(struct iot_out *o, int *nmembers, const char *name);
void iot_rec_close(struct iot_out *o);   /* "}" and end of record */
#endif
