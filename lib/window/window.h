/* window: event-time window engine: assigners (tumbling, hopping, sliding, session, count),
 * watermark (max event time - lateness), late policy, idle advance, silent-key detection,
 * deterministic emission (window end, then key bytes), and exact checkpoints.
 * Semantics follow Azure Stream Analytics by default (learn.microsoft.com/azure/stream-analytics/stream-analytics-window-functions, stream-analytics-time-handling). */
#ifndef IOT_WINDOW_H
#define IOT_WINDOW_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>
#include "agg.h"

struct iot_commit;   /* core/state.h */

enum iot_win_kind { IOT_WIN_TUMBLING, IOT_WIN_HOPPING, IOT_WIN_SLIDING, IOT_WIN_SESSION,
                    IOT_WIN_COUNT };
enum iot_late { IOT_LATE_ADJUST, IOT_LATE_DROP, IOT_LATE_DEADLETTER };

struct iot_win_cfg {
    enum iot_win_kind kind;
    int64_t size;        /* tumbling/hopping/sliding: length; session: gap timeout; count: N */
    int64_t hop;         /* hopping: hop; session: max duration (0 = none) */
    int64_t offset;      /* alignment of tumbling/hopping ends: offset + k*hop */
    bool start_edges;    /* Kusto bin(): [start, end) instead of ASA's (start, end] */
    int64_t lateness;    /* watermark = max event time - lateness (>= 0) */
    enum iot_late late;
    int64_t absent;      /* > 0: report keys silent that long (event time) */
    size_t max_keys;     /* 0 = unlimited */
    bool evict;          /* a new key beyond max_keys evicts the key whose last event is oldest
                            (ties: smallest key bytes): its open windows are closed and emitted
                            at once (before their time, so out of (end, key) order), its buffered
                            events first released to it; the key is then forgotten (absence
                            tracking included) */
};

/* A row handed to the emit callback: a closed window (kind IOT_ROW_WINDOW) of key, or an
 * absence change (IOT_ROW_ABSENT: silent since `start`, reported at `end` = start + absent;
 * IOT_ROW_PRESENT: came back at `end` after silence since `start`). key/klen are the key bytes
 * (see iot_win_add); st belongs to the engine and is valid during the call only. */
enum iot_row_kind { IOT_ROW_WINDOW, IOT_ROW_ABSENT, IOT_ROW_PRESENT };
struct iot_row {
    enum iot_row_kind kind;
    const char *key; size_t klen;
    int64_t start, end;
    struct iot_agg_state *st;
};
typedef void (*iot_win_emit_fn)(void *ctx, const struct iot_row *row);

struct iot_win;
/* The engine keeps pointers to cfg's values (copied) and to set (must outlive it). */
struct iot_win *iot_win_new(const struct iot_win_cfg *cfg, const struct iot_aggset *set,
                            iot_win_emit_fn emit, void *ctx);
void iot_win_free(struct iot_win *w);

/* Outcome of iot_win_add. */
enum { IOT_WIN_OK = 0, IOT_WIN_ADJUSTED, IOT_WIN_DROPPED, IOT_WIN_LATE, IOT_WIN_FULL, IOT_WIN_BADTIME };
/* Offers one record of key (bytes, any content) at event time t with its aggregate inputs.
 * Late (t < watermark): adjust moves it to the watermark (IOT_WIN_ADJUSTED), drop discards it
 * (IOT_WIN_DROPPED), dead-letter discards it and returns IOT_WIN_LATE for the caller to reject
 * the line. IOT_WIN_BADTIME: t so close to the end of int64 time that a window of this
 * configuration around it would overflow (nothing added; the caller rejects it). IOT_WIN_FULL: a new key beyond max_keys without evict (nothing added). Closed rows are emitted
 * before it returns, in (end, key) order. */
int iot_win_add(struct iot_win *w, const char *key, size_t klen, int64_t t,
                const struct iot_agg_in *in);
/* The input has been quiet for quiet ns of wall time: the event clock advances by as much. */
void iot_win_idle(struct iot_win *w, int64_t quiet);
/* End of input: every open window is closed and emitted. */
void iot_win_finish(struct iot_win *w);
/* Watermark now (INT64_MIN before the first event). */
int64_t iot_win_watermark(const struct iot_win *w);
/* Open keys, keys evicted so far (for --stats). */
size_t iot_win_keys(const struct iot_win *w);
size_t iot_win_evicted(const struct iot_win *w);

/* Checkpoint: everything open (windows, sessions, buffered events, watermark, silent keys),
 * as a JSON body for lib/core/state.h. load replaces the engine's content; returns 0, or -1 with a
 * reason in err when the body does not fit this configuration. */
json_t *iot_win_save(const struct iot_win *w);
int iot_win_load(struct iot_win *w, const json_t *body, char *err, size_t errcap);
/* The state file at path (lib/core/state.h, kind "iot-window"): restore loads it if it exists (a
 * fresh start otherwise); a file that is damaged, foreign or of other options: exit 65 with a
 * message, never a silent reset. checkpoint writes it atomically (errors: exit 73/74). c (or NULL)
 * is what the state is committed with: the commit protocol of core/state.h. */
void iot_win_restore(struct iot_win *w, const char *path, const struct iot_commit *c);
void iot_win_checkpoint(const struct iot_win *w, const char *path, const struct iot_commit *c);

/* Tumbling/hopping assignment (exposed for tests): the end of the first window holding t,
 * i.e. the smallest offset + k*hop with end >= t (ASA) or end > t (start edges). */
int64_t iot_win_first_end(int64_t t, int64_t hop, int64_t offset, bool start_edges);
#endif
