/* schema: a documented subset of JSON Schema, compiled once, checked per record on the values
 * iot_rec_scan found (no JSON tree per record).
 *
 * Supported keywords: type (a name or an array of names: object, array, string, number,
 * integer, boolean, null), required, properties (nested objects become dotted paths),
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, draft 6+ form), enum (any
 * JSON scalars), pattern (POSIX extended regex, unanchored as in JSON Schema), minLength,
 * maxLength (in bytes of the unescaped string). Annotations ($schema, $id, title, description,
 * $comment, default, examples) are ignored; any other keyword is refused at load time, so a
 * schema never promises a check that is not made. */
#ifndef IOT_SCHEMA_H
#define IOT_SCHEMA_H
#include "core/rec.h"
#include "core/buf.h"

struct iot_schema;

/* Loads and compiles the schema file at path, adding the paths it needs to f (the tool's field
 * set, scanned once per record). Errors (unreadable file, bad JSON, unsupported keyword, bad
 * regex): message "prog: path: why" and exit 64 (a usage error, found before any input). */
struct iot_schema *iot_schema_load(const char *path, struct iot_fields *f);
/* As iot_schema_load, from JSON text (name is used in messages). */
struct iot_schema *iot_schema_compile(const char *text, const char *name, struct iot_fields *f);

/* Checks one record: vals as filled by iot_rec_scan with f. Returns 0, or -1 with the first
 * failure in why (reset first), e.g. "temperature: 1e9 above maximum 200". */
int iot_schema_check(const struct iot_schema *s, const struct iot_val *vals, struct iot_buf *why);

void iot_schema_free(struct iot_schema *s);
#endif
