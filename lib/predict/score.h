/* score: iot-predict's live scoring. Per key feature state (the model's own features), the
 * model's score appended to each telemetry line (every other byte kept), one work order per
 * predicted failure episode of a key, and the per-key state file for runs in parts (cron).
 * Telemetry lines wait in a small batch so the trees are walked tree by tree over several
 * records; the caller flushes the batch whenever its input would block, so nothing is held
 * back on a live stream. Reset and failure records pass through (after a flush). */
#ifndef IOT_SCORE_H
#define IOT_SCORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/diag.h"
#include "model.h"
#include "core/out.h"
#include "core/state.h"

struct iot_score_opts {
    bool alert_set;         /* emit work orders */
    double alert;           /* classify: probability >= alert; regress: rul <= alert */
    int64_t cooldown;       /* ns: a work order stays open until a reset or failure record of
                               its key, or until the score has been safe for this long */
    int time_unit;          /* enum iot_time_unit: numeric times */
    bool alerts_only;       /* write the alerts only */
    int64_t max_keys;       /* keys in memory; more are rejected ("too many keys") */
    int batch;              /* records per batch, 1..64 (1 = score each at once) */
};

struct iot_scorer;
/* A scorer over model m (borrowed; must outlive the scorer). */
struct iot_scorer *iot_scorer_new(const struct iot_model *m, const struct iot_score_opts *o);
/* Reads one line: rejects bad ones (iot_reject), updates the key's features, and queues the
 * record, or writes a reset/failure record through (flushing the batch first). */
void iot_scorer_line(struct iot_scorer *sc, struct iot_out *o, const char *line, size_t len,
                     const struct iot_src *src);
/* Records waiting in the batch; iot_scorer_full: the batch is full and must be flushed. */
int iot_scorer_pending(const struct iot_scorer *sc);
bool iot_scorer_full(const struct iot_scorer *sc);
/* Scores the waiting records and writes them (and their alerts) in input order. */
void iot_scorer_flush(struct iot_scorer *sc, struct iot_out *o);
/* Per-key state file (state.h format, kind "iot-predict"): load exits 65 on a state written
 * for another feature spec or a malformed one (a missing file is an empty state); save writes
 * it atomically. */
void iot_scorer_state_load(struct iot_scorer *sc, const char *path, const struct iot_commit *cm);
void iot_scorer_state_save(const struct iot_scorer *sc, const char *path, const struct iot_commit *cm);
/* After the input: counts and says on stderr how many records were in no known regime (scored
 * with the nearest) or lacked an operating setting (scored with the global statistics). */
void iot_scorer_report(const struct iot_scorer *sc);
void iot_scorer_free(struct iot_scorer *sc);

#endif
