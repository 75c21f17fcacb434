/* libFuzzer target: the state-file loaders. The input is a state file: lib/core/state reads its
 * envelope (kind, version, body) and refuses a damaged or foreign one with iot_die (caught: see
 * fuzz.h); an accepted body is then given to the engines' own loaders, the window engine's
 * (iot_win_load, kind iot-window) and the anomaly detectors' (iot_det_load on each element of
 * body.series[].det, kind iot-anomaly, when the file names that kind), for a method and options
 * chosen by the file's length.
 * Whatever a loader accepts must be a state the engine can go on from: a few events are added
 * after the load, then everything open is closed and saved again. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "core/state.h"
#include "anomaly/detect.h"
#include "window/window.h"

FUZZ_NO_LEAK_CHECK

static void emit(void *ctx, const struct iot_row *row) { (void)ctx; (void)row; }

/* An integer member of o within [lo, hi], else dflt: the options a tool would have been run with
 * (a user asks for these; a fuzzed 1 ns window over years of event time would only be slow). */
static int64_t opt(const json_t *o, const char *k, int64_t lo, int64_t hi, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi
           ? (int64_t)json_integer_value(v) : dflt;
}

/* The window engine configured as the body says it was saved (kind, size, hop, aggregates), so
 * that the loader's checks of the windows themselves are reached. */
static void window(json_t *body, unsigned pick)
{
    static const char *const kinds[] = { "tumbling", "hopping", "sliding", "session", "count" };
    struct iot_aggset set;
    char err[256];
    const char *spec = json_string_value(json_object_get(body, "aggregates"));
    if (!spec || iot_aggset_parse(spec, &set, err, sizeof err) != 0)
        if (iot_aggset_parse("count(),avg(temperature)", &set, err, sizeof err) != 0) abort();
    struct iot_win_cfg cfg = { .kind = (enum iot_win_kind)(pick % 5), .lateness = 5000000000,
                               .late = IOT_LATE_ADJUST, .absent = (pick & 64) ? 120000000000 : 0,
                               .max_keys = (pick & 128) ? 64 : 0, .evict = (pick & 128) != 0 };
    const char *kind = json_string_value(json_object_get(body, "kind"));
    for (int i = 0; kind && i < 5; i++)
        if (strcmp(kind, kinds[i]) == 0) cfg.kind = (enum iot_win_kind)i;
    const int64_t sec = 1000000000;
    cfg.size = opt(body, "size", cfg.kind == IOT_WIN_COUNT ? 1 : sec, 86400 * sec, cfg.kind == IOT_WIN_COUNT ? 3 : 60 * sec);
    cfg.hop = opt(body, "hop", cfg.kind == IOT_WIN_HOPPING ? cfg.size / 100 + 1 : 0, cfg.size,
                  cfg.kind == IOT_WIN_HOPPING ? cfg.size / 2 : 0);
    if (cfg.kind == IOT_WIN_TUMBLING) cfg.hop = cfg.size;
    cfg.offset = opt(body, "offset", 0, cfg.size - 1, 0);
    const char *edges = json_string_value(json_object_get(body, "edges"));
    cfg.start_edges = edges && strcmp(edges, "start") == 0;
    struct iot_win *w = iot_win_new(&cfg, &set, emit, NULL);
    if (iot_win_load(w, body, err, sizeof err) == 0) {
        struct iot_agg_in in[64];
        memset(in, 0, sizeof in);
        for (int i = 0; i < set.nfields && i < 64; i++) in[i] = (struct iot_agg_in){ 1, 1.5, 7 };
        if (set.nfields <= 64) {
            int64_t t = iot_win_watermark(w);
            if (t == INT64_MIN || t > INT64_MAX / 2 || t < INT64_MIN / 2) t = 0;
            iot_win_add(w, "d1", 2, t, in);
            iot_win_add(w, "d2", 2, t + 90 * sec, in);
            iot_win_add(w, "d1", 2, t - 10 * sec, in);
        }
        json_decref(iot_win_save(w));
        iot_win_finish(w);
        iot_win_keys(w);
    }
    iot_win_free(w);
    iot_aggset_free(&set);
}

static void detectors(json_t *body, unsigned pick)
{
    /* the parameters the file says it was saved with (as the tool checks), else by pick */
    const json_t *par = json_object_get(json_object_get(body, "config"), "params");
    const char *mname = json_string_value(json_object_get(par, "method"));
    int m = mname ? iot_det_method_parse(mname) : -1;
    if (m < 0 || m > IOT_DET_CHANGEPOINT) m = (int)(pick % 6);
    struct iot_det_params p;
    iot_det_defaults(&p, (enum iot_det_method)m);
    p.window = (int)opt(par, "window", 2, 10000, p.window);
    p.warmup = (int)opt(par, "warmup", 0, 10000, p.warmup);
    p.history = (int)opt(par, "history", 2, 10000, p.history);
    json_t *series = json_object_get(body, "series"), *s;
    size_t i, j;
    json_array_foreach(series, i, s) {
        json_t *d = json_object_get(s, "det"), *x;
        json_array_foreach(d, j, x) {
            struct iot_det det;
            memset(&det, 0, sizeof det);
            iot_det_init(&det, &p);
            if (iot_det_load(&det, &p, x) == 0) {
                struct iot_det_result r;
                static const double vals[] = { 0, 1e6, -1, 1e-300, 20.5, 20.5 };
                for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
                    iot_det_update(&det, &p, vals[k], &r);
                json_decref(iot_det_save(&det, &p));
            }
            iot_det_free(&det, &p);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    unsigned pick = (unsigned)size * 2654435761u >> 24;
    int anomaly = memmem(data, size, "\"iot-anomaly\"", 13) != NULL;
    static json_t *volatile body;
    body = NULL;
    if (setjmp(fuzz_jump) == 0) {
        fuzz_armed = 1;
        body = anomaly ? iot_state_load(path, "iot-anomaly", 2) : iot_state_load(path, "iot-window", 1);
        fuzz_armed = 0;
    }
    if (!body) return 0;
    if (anomaly) detectors(body, pick);
    else window(body, pick);
    json_decref(body);
    return 0;
}
