/* expr: the expression language shared by iot-route, iot-anomaly (--rule), iot-predict
 * (--reset-on, --label-from), iot-window (--having) and iot-ingest (--eval, --where).
 * Dotted field paths, numbers (int64 exact, double), strings, true/false/null, datetimes
 * (datetime(...), todatetime), timespans (2d 1.5h 30m 10s 100ms), [arrays] and {objects},
 * == != < <= > >=, && || !, + - * / %, unary -, parentheses, `x in [a, b]`, and functions
 * (iot(7) EXPRESSIONS): exists lower upper startswith endswith contains length strlen abs
 * floor ceil sqrt round log exp pow min max coalesce iff case tostring tonumber concat
 * substring now ago todatetime bin hourofday dayofweek is_number is_string is_null is_bool.
 * IoT Hub rule: a condition matches only when it evaluates to exactly true; a missing field
 * or a type mismatch makes the comparison undefined, which is not a match (never an error). */
#ifndef IOT_EXPR_H
#define IOT_EXPR_H
#include <stdbool.h>
#include "rec.h"

struct iot_expr;

/* Compiles text. Field paths are registered in f (iot_fields_add), so one scan of a line
 * serves every expression of a tool. On error returns NULL and writes
 * "column N: what is wrong" into err (errcap bytes); tools report it as a usage error. */
struct iot_expr *iot_expr_compile(const char *text, struct iot_fields *f, char *err, size_t errcap);

/* Evaluates against the values iot_rec_scan filled for the same iot_fields. True only if the
 * result is the boolean true. */
bool iot_expr_match(const struct iot_expr *e, const struct iot_val *vals);

/* Evaluates to a number (for computed values); returns 0 and *out, or -1 if undefined/not a number. */
int iot_expr_number(const struct iot_expr *e, const struct iot_val *vals, double *out);

/* Three-valued result: 1 true, 0 false, -1 anything else (undefined, null, a number...). */
int iot_expr_truth(const struct iot_expr *e, const struct iot_val *vals);

/* Evaluates to a string; *s and *n point into the line or into storage owned by e, valid until
 * the next evaluation of e. Returns 0, or -1 if the result is not a string. */
int iot_expr_string(const struct iot_expr *e, const struct iot_val *vals, const char **s, size_t *n);

/* Evaluates to a value and appends its JSON text to out (a field's value as read, byte for
 * byte; integers exact; datetimes as RFC 3339 UTC strings; timespans as "[d.]hh:mm:ss[.f]").
 * Returns 1 (written), 0 (undefined: nothing written) or -1 (an error such as int64 overflow,
 * *err set to static text). */
struct iot_buf;
int iot_expr_json(const struct iot_expr *e, const struct iot_val *vals, struct iot_buf *out, const char **err);

/* A type error known at compile time ("column 13: '+' needs numbers, ... not a string"), or NULL.
 * Conditions keep such an operand undefined (never a match); tools computing values
 * (iot-ingest --eval) refuse it as a usage error. */
const char *iot_expr_type_error(const struct iot_expr *e);

/* The error of the last evaluation of e (int64 overflow, ...), or NULL: a result that
 * iot_expr_number & co. report as -1 may be undefined or an error, which a tool rejects. */
const char *iot_expr_error(const struct iot_expr *e);

/* now() and ago() read this time (ns since the epoch); compile sets it to the clock once. */
void iot_expr_set_now(struct iot_expr *e, int64_t ns);

/* The fields e reads, each once (iot_fields indices, up to cap of them, compared fields first).
 * dir (may be NULL) gets +1 for a field that is only compared with larger values on the true side
 * (f > 80, 3 <= f), -1 for the reverse (f < 75), 0 otherwise. Returns how many fields there are
 * (may exceed cap). */
int iot_expr_fields(const struct iot_expr *e, int *idx, int *dir, int cap);

/* Evaluation reuses scratch storage inside e: no allocation per record once warm, and one
 * expression must not be evaluated from two threads at once. */
void iot_expr_free(struct iot_expr *e);
#endif
