/* state: checkpoints of resumable tools (iot-window, iot-anomaly, iot-predict score), committed
 * together with their output, and sealed JSON files (state and models).
 *
 * A state file is one JSON document {"iotkit_state": KIND, "version": N, "tool": ...,
 * "output": {...}, "inputs": [...], "body": ..., "crc32c": "xxxxxxxx"} written atomically
 * (temp file in the same folder, fsync, rename, fsync folder). "crc32c" is the CRC-32C of every
 * byte before its member (crc32c.h): one changed byte and the file is refused.
 *
 * The commit protocol: at the end of a run the output is flushed and fsynced first, the state
 * records the output file's committed length, and the state's rename is the single commit
 * point. On the next start, an output appended in place (-o FILE --append, or >> FILE) that is
 * longer than the committed length — a crash between the two — is cut back to it before
 * anything is written; a rerun over the very inputs the state already committed (same names,
 * sizes, modification times) does nothing. So a rerun after a crash at any moment gives byte for
 * byte the uninterrupted output (exactly once). To a pipe, the state is committed only after the
 * last flush succeeded (never after a write error or EPIPE): at least once. */
#ifndef IOT_STATE_H
#define IOT_STATE_H
#include <stdbool.h>
#include <jansson.h>
#include "out.h"

/* What a state is committed with: the tool's output (or NULL) and its input files (NULL/0 or
 * "-": standard input, which has no identity). */
struct iot_commit { struct iot_out *out; char **inputs; int ninputs; };

/* Loads path. Absent file: returns NULL (a fresh start). A file that is not JSON, fails its
 * checksum, is of another kind or version (older: said so), or lacks a body: "prog: path: ..."
 * and exit 65 — never a silent reset. With c: cuts c->out back to the committed length (said
 * on stderr, counted in output_cut_bytes), and when c's inputs are the ones the state already
 * committed, says so and exits 0. Must run before anything is written to c->out. Returns the
 * body (caller owns the reference). */
json_t *iot_state_begin(const char *path, const char *kind, int version, const struct iot_commit *c);
/* Commits: with c, flushes and fsyncs c->out (iot_out_commit; a write error exits 74 and the
 * old state stays), then writes {kind, version, output, inputs, body} atomically; steals the
 * body reference. Errors: exit 73/74. */
void iot_state_commit(const char *path, const char *kind, int version, json_t *body, const struct iot_commit *c);
/* The same without an output or inputs (c = NULL). */
json_t *iot_state_load(const char *path, const char *kind, int version);
void iot_state_save(const char *path, const char *kind, int version, json_t *body);

/* Sealed JSON files: doc written atomically, compact, with a last member "crc32c" over the bytes
 * before it. Errors: exit 70 (cannot serialise), 73/74. */
void iot_sealed_save(const char *path, const json_t *doc);
/* Reads a sealed file. Absent: NULL. Not JSON, or a checksum that does not match: "prog: path:
 * ... (what)" and exit 65. *sealed is false for a JSON document without the checksum (written by
 * an older iotkit: the caller refuses it with its version message). Caller owns the result. */
json_t *iot_sealed_load(const char *path, const char *what, bool *sealed);

/* Exact round-trip helpers: doubles as JSON reals written with the shortest round-trip text
 * (jansson's JSON_REAL_PRECISION(17) is used on save), int64 as JSON integers. */
json_t *iot_json_real(double v);     /* null for NaN/Inf */
double iot_json_get_real(const json_t *j, const char *key, double dflt);
int64_t iot_json_get_int(const json_t *j, const char *key, int64_t dflt);
#endif
