/* top: reading, refreshing, keys. */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/time.h"
#include "follow.h"
#include "term.h"
#include "top.h"

static void frame(struct iot_board *b, struct iot_screen_opts *so, struct iot_buf *fb)
{
    iot_buf_reset(fb);
    iot_term_size(STDOUT_FILENO, &so->cols, &so->rows);
    iot_screen_render(fb, b, so);
    /* one write per frame: no half-drawn screens */
    const char *p = fb->p;
    size_t n = fb->len;
    while (n) {
        ssize_t k = write(STDOUT_FILENO, p, n);
        if (k <= 0) break;
        p += k;
        n -= (size_t)k;
    }
}

void iot_top_run(const struct iot_top_opts *o, char **paths, int n, struct iot_out *out)
{
    struct iot_board b;
    iot_board_init(&b, &o->board);
    struct iot_follow *fo = o->follow ? iot_follow_open(paths[0]) : NULL;
    struct iot_in *in = fo ? NULL : iot_in_open(paths, n, o->max_line);
    struct iot_screen_opts so = { .cols = o->cols, .colour = o->colour, .utf8 = o->utf8, .sort = o->sort,
                                  .filter = o->filter, .rps = -1 };
    bool live = !o->once && iot_term_enter(STDOUT_FILENO) == 0;
    if (fo && !live) iot_die(64, "--follow needs a terminal (use --once without --follow to read a file to its end)");
    char *line;
    size_t len;
    struct iot_src src;
    struct iot_buf fb = { 0 };
    if (!live) {
        while (!iot_stop_requested && iot_in_next(in, &line, &len, &src)) {
            iot_stat_lines_in++;
            iot_board_line(&b, line, len, &src);
        }
        so.ended = true;
        iot_screen_render(&fb, &b, &so);
        iot_out_write(out, fb.p, fb.len);
        iot_out_flush(out);   /* the frame before any warning */
    } else {
        so.live = true;
        so.rps = 0;
        enum { RING = 8 };
        int64_t ring_t[RING], ring_n[RING];
        int rpos = 0, rlen = 0;
        int64_t next = iot_time_mono();
        bool ended = false;
        while (!iot_stop_requested) {
            int64_t now = iot_time_mono();
            if (fo) {   /* a growing file: take what is there, then nap until the next frame */
                int k = 0;
                while (k < 65536 && iot_follow_next(fo, &line, &len, &src)) {
                    iot_stat_lines_in++;
                    iot_board_line(&b, line, len, &src);
                    k++;
                }
                if (!k) {
                    struct timespec ts = { 0, 50 * 1000 * 1000 };
                    nanosleep(&ts, NULL);
                }
            } else if (!ended) {
                int64_t wait = (next - now) / IOT_NS_PER_MS;
                if (wait > 100) wait = 100;   /* keys stay responsive */
                if (wait < 0) wait = 0;
                if (iot_in_wait(in, (int)wait)) {
                    for (int k = 0; k < 65536; k++) {
                        if (!iot_in_next(in, &line, &len, &src)) { ended = true; break; }
                        iot_stat_lines_in++;
                        iot_board_line(&b, line, len, &src);
                        if (!iot_in_wait(in, 0)) break;
                    }
                }
            } else {
                struct timespec ts = { 0, 50 * 1000 * 1000 };
                nanosleep(&ts, NULL);
            }
            int key;
            bool redraw = false;
            while ((key = iot_term_key()) >= 0) {
                if (key == 'q' || key == 'Q') iot_stop_requested = 1;
                else if (key == 's') so.sort = (so.sort + 1) % IOT_SORT_N;
                else if (key == 'f') so.filter = (so.filter + 1) % IOT_FILTER_N;
                else continue;
                redraw = true;
            }
            if (iot_stop_requested) break;
            now = iot_time_mono();
            if (now < next && !redraw && !iot_term_resized) continue;
            iot_term_resized = 0;
            ring_t[rpos] = now;
            ring_n[rpos] = b.records;
            int oldest = rlen < RING ? 0 : (rpos + 1) % RING;
            if (rlen < RING) rlen++;
            rpos = (rpos + 1) % RING;
            so.rps = now > ring_t[oldest] ? (double)(b.records - ring_n[oldest]) * 1e9 / (double)(now - ring_t[oldest]) : 0;
            so.ended = ended;
            frame(&b, &so, &fb);
            next = now + o->refresh;
        }
        iot_term_leave();
    }
    iot_buf_free(&fb);
    if (in) iot_in_close(in);
    iot_follow_close(fo);
    if (b.nonnumeric) { iot_warn("%lld values were not numbers and were skipped", (long long)b.nonnumeric); iot_stat_add("nonnumeric_skipped", b.nonnumeric); }
    if (b.keys_dropped) { iot_warn("%lld records of keys beyond --max-keys were not shown", (long long)b.keys_dropped); iot_stat_add("keys_dropped_records", b.keys_dropped); }
    if (b.alarms_dropped) { iot_warn("%lld alarms beyond %d were forgotten, oldest first", (long long)b.alarms_dropped, IOT_BOARD_MAX_ALARMS); iot_stat_add("alarms_dropped", b.alarms_dropped); }
    iot_board_free(&b);
}
