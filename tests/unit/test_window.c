/* Unit tests for lib/window/window.c: assignment edges, reference vectors, watermark, checkpoints. */
#include <stdlib.h>
#include "window/oldest.h"
#include "window/window.h"
#include "unit.h"

#define S INT64_C(1000000000)
struct got { int n; int64_t start[64], end[64]; int64_t rows[64]; int kind[64]; };

static void collect(void *ctx, const struct iot_row *r)
{
    struct got *g = ctx;
    if (g->n >= 64) return;
    g->start[g->n] = r->start;
    g->end[g->n] = r->end;
    g->rows[g->n] = r->st ? r->st->rows : -1;
    g->kind[g->n] = r->kind;
    g->n++;
}

static struct iot_win *mk(struct iot_aggset *set, struct got *g, enum iot_win_kind kind, int64_t size,
                          int64_t hop, int64_t lateness)
{
    struct iot_win_cfg c = { .kind = kind, .size = size, .hop = hop, .lateness = lateness };
    memset(g, 0, sizeof *g);
    return iot_win_new(&c, set, collect, g);
}

int main(void)
{
    struct iot_aggset set;
    char err[100];
    iot_aggset_parse("count()", &set, err, sizeof err);
    struct iot_agg_in in[1] = { { 0, 0, 0 } };
    struct got g;
    int rc;

    /* (start, end]: an event on a boundary belongs to the window ending there */
    CHECK(iot_win_first_end(60 * S, 60 * S, 0, false) == 60 * S, "ASA: t on a boundary -> end == t");
    CHECK(iot_win_first_end(60 * S, 60 * S, 0, true) == 120 * S, "Kusto: t on a boundary starts the next bin");
    CHECK(iot_win_first_end(61 * S, 60 * S, 0, false) == 120 * S, "ASA: t just after -> next end");
    CHECK(iot_win_first_end(-1 * S, 60 * S, 0, false) == 0, "negative times floor correctly");
    CHECK(iot_win_first_end(3600 * S, 3600 * S, -1000000, false) == 7200 * S - 1000000,
          "Offset(ms,-1): 13:00 goes to the window ending 13:59:59.999");

    /* tumbling (second,10): events at :01 :03 :06 :12 :21 -> rows at :10 (3) :20 (1) :30 (1) */
    struct iot_win *w = mk(&set, &g, IOT_WIN_TUMBLING, 10 * S, 0, 0);
    int64_t ts[] = { 1, 3, 6, 12, 21 };
    for (int i = 0; i < 5; i++) iot_win_add(w, "a", 1, ts[i] * S, in);
    CHECK(g.n == 2 && g.end[0] == 10 * S && g.rows[0] == 3 && g.end[1] == 20 * S,
          "windows close as the watermark passes their end");
    iot_win_finish(w);
    CHECK(g.n == 3 && g.end[2] == 30 * S && g.rows[2] == 1, "end of input emits the open window");
    iot_win_free(w);

    /* sliding (second,10) reference vector: 10 12 15 15 27 -> (15: 4) and (20: 3) among the rows */
    w = mk(&set, &g, IOT_WIN_SLIDING, 10 * S, 0, 0);
    int64_t sl[] = { 10, 12, 15, 15, 27 };
    for (int i = 0; i < 5; i++) iot_win_add(w, "a", 1, sl[i] * S, in);
    iot_win_finish(w);
    int64_t want_end[] = { 10, 12, 15, 20, 22, 27 }, want_n[] = { 1, 2, 4, 3, 2, 1 };
    int ok = g.n == 6;
    for (int i = 0; ok && i < 6; i++) ok = g.end[i] == want_end[i] * S && g.rows[i] == want_n[i];
    CHECK(ok, "sliding emits on entry and exit: 10/1 12/2 15/4 20/3 22/2 27/1");
    iot_win_free(w);

    /* session: 10:15:01, 10:15:04, timeout 5 s -> one row at :09 with 2 events */
    w = mk(&set, &g, IOT_WIN_SESSION, 5 * S, 0, 0);
    iot_win_add(w, "a", 1, 1 * S, in);
    iot_win_add(w, "a", 1, 4 * S, in);
    iot_win_add(w, "a", 1, 30 * S, in);
    CHECK(g.n == 1 && g.end[0] == 9 * S && g.rows[0] == 2 && g.start[0] == 1 * S, "session closes at last + timeout");
    iot_win_free(w);

    /* session with max duration 10 s: events every 3 s from 1 to 28 -> cut at checkpoint 20 */
    w = mk(&set, &g, IOT_WIN_SESSION, 5 * S, 10 * S, 0);
    for (int64_t t = 1; t <= 28; t += 3) iot_win_add(w, "a", 1, t * S, in);
    iot_win_finish(w);
    CHECK(g.n == 2 && g.end[0] == 20 * S && g.rows[0] == 7 && g.start[1] == 20 * S && g.end[1] == 33 * S,
          "session cut at the 20 s checkpoint (age > max), continues from it");
    iot_win_free(w);

    /* count windows of 2 per key */
    w = mk(&set, &g, IOT_WIN_COUNT, 2, 0, 0);
    for (int i = 0; i < 5; i++) iot_win_add(w, i % 2 ? "b" : "a", 1, (i + 1) * S, in);
    iot_win_finish(w);
    CHECK(g.n == 3 && g.rows[0] == 2 && g.end[0] == 3 * S && g.rows[2] == 1, "count windows, last partial at end");
    iot_win_free(w);

    /* late policies, test vector A row 5: max 00:10, O = 3 min, event 00:06 -> 00:07 */
    struct iot_win_cfg c = { .kind = IOT_WIN_TUMBLING, .size = 60 * S, .lateness = 180 * S };
    memset(&g, 0, sizeof g);
    w = iot_win_new(&c, &set, collect, &g);
    rc = iot_win_add(w, "a", 1, 600 * S, in);
    CHECK(rc == IOT_WIN_OK, "on time");
    rc = iot_win_add(w, "a", 1, 540 * S, in);
    CHECK(rc == IOT_WIN_OK, "out of order but above the watermark");
    rc = iot_win_add(w, "a", 1, 360 * S, in);
    CHECK(rc == IOT_WIN_ADJUSTED, "below the watermark: adjusted");
    iot_win_finish(w);
    CHECK(g.n == 3 && g.end[0] == 420 * S, "adjusted event lands at the watermark 00:07");
    iot_win_free(w);
    c.late = IOT_LATE_DROP;
    w = iot_win_new(&c, &set, collect, &g);
    iot_win_add(w, "a", 1, 600 * S, in);
    rc = iot_win_add(w, "a", 1, 360 * S, in);
    CHECK(rc == IOT_WIN_DROPPED, "drop policy");
    iot_win_free(w);
    c.late = IOT_LATE_DEADLETTER;
    w = iot_win_new(&c, &set, collect, &g);
    iot_win_add(w, "a", 1, 600 * S, in);
    rc = iot_win_add(w, "a", 1, 360 * S, in);
    CHECK(rc == IOT_WIN_LATE, "dead-letter policy");
    iot_win_free(w);

    /* absence: a silent 2 min, b keeps talking; absent 1 min */
    c = (struct iot_win_cfg){ .kind = IOT_WIN_TUMBLING, .size = 600 * S, .absent = 60 * S };
    memset(&g, 0, sizeof g);
    w = iot_win_new(&c, &set, collect, &g);
    iot_win_add(w, "a", 1, 1 * S, in);
    for (int64_t t = 10; t <= 130; t += 10) iot_win_add(w, "b", 1, t * S, in);
    CHECK(g.n == 1 && g.kind[0] == IOT_ROW_ABSENT && g.end[0] == 61 * S && g.start[0] == 1 * S, "a reported absent at lastSeen + 1 min");
    iot_win_add(w, "a", 1, 131 * S, in);
    CHECK(g.n == 2 && g.kind[1] == IOT_ROW_PRESENT && g.end[1] == 131 * S, "a reported back");
    iot_win_free(w);

    /* checkpoint round trip: save mid-stream, load into a fresh engine, same rows */
    struct got g1, g2;
    struct iot_win_cfg hc = { .kind = IOT_WIN_HOPPING, .size = 20 * S, .hop = 5 * S, .lateness = 3 * S };
    memset(&g1, 0, sizeof g1);
    struct iot_win *w1 = iot_win_new(&hc, &set, collect, &g1);
    for (int i = 0; i < 40; i++) iot_win_add(w1, i % 3 ? "x" : "y", 1, (i * 7 % 50) * S / 2 + i * S, in);
    iot_win_finish(w1);
    memset(&g2, 0, sizeof g2);
    struct iot_win *wa = iot_win_new(&hc, &set, collect, &g2);
    for (int i = 0; i < 17; i++) iot_win_add(wa, i % 3 ? "x" : "y", 1, (i * 7 % 50) * S / 2 + i * S, in);
    json_t *body = iot_win_save(wa);
    iot_win_free(wa);
    struct iot_win *wb = iot_win_new(&hc, &set, collect, &g2);
    rc = iot_win_load(wb, body, err, sizeof err);
    CHECK(rc == 0, "checkpoint loads");
    for (int i = 17; i < 40; i++) iot_win_add(wb, i % 3 ? "x" : "y", 1, (i * 7 % 50) * S / 2 + i * S, in);
    iot_win_finish(wb);
    ok = g1.n == g2.n && g1.n > 0;
    for (int i = 0; ok && i < g1.n; i++) ok = g1.end[i] == g2.end[i] && g1.rows[i] == g2.rows[i];
    CHECK(ok, "save + load mid-stream gives the rows of one run (%d rows)", g1.n);
    struct iot_win_cfg other = hc;
    other.size = 30 * S;
    struct iot_win *wc = iot_win_new(&other, &set, collect, &g2);
    rc = iot_win_load(wc, body, err, sizeof err);
    CHECK(rc == -1, "checkpoint of other options refused");
    json_decref(body);
    iot_win_free(w1); iot_win_free(wb); iot_win_free(wc);
    iot_aggset_free(&set);

    /* oldest: the smallest time first, updates both ways, removal from the middle */
    struct iot_oldest o = { 0 };
    struct iot_oldest_ent e[50];
    for (int i = 0; i < 50; i++) iot_oldest_add(&o, &e[i], (i * 37) % 50);
    iot_oldest_set(&o, &e[10], -5);          /* was 20 */
    iot_oldest_set(&o, &e[0], 1000);         /* was 0 */
    iot_oldest_remove(&o, &e[3]);            /* was 11 */
    int64_t prev = INT64_MIN, n = 0;
    ok = 1;
    struct iot_oldest_ent *m;
    while ((m = iot_oldest_min(&o))) {
        ok &= m->t >= prev && m != &e[3];
        if (n == 0) ok &= m == &e[10];
        prev = m->t;
        iot_oldest_remove(&o, m);
        n++;
    }
    CHECK(ok && n == 49 && prev == 1000, "oldest pops in time order after set and remove");
    iot_oldest_free(&o);
    return unit_done();
}
