/* statejob: see statejob.h. */
#include "statejob.h"
#include "devdb.h"
#include "core/cli.h"
#include "core/expr.h"
#include "core/in.h"
#include "core/out.h"
#include "core/rec.h"
#include "core/time.h"
#include <stdlib.h>
#include <string.h>

static void snapshot(struct iot_devstate *s, const char *path)
{
    struct iot_out *o = iot_out_open(path, IOT_OUT_ATOMIC);
    size_t n;
    struct iot_dev **v = iot_devstate_sorted(s, &n);
    struct iot_buf b = { 0 };
    for (size_t i = 0; i < n; i++) {
        iot_buf_reset(&b);
        iot_devstate_format(s, v[i], &b);
        iot_out_write(o, b.p, b.len);
        iot_out_eol(o);
    }
    free(v);
    iot_buf_free(&b);
    iot_out_close(o);
    iot_stat_add("snapshots", 1);
}

void iot_statejob_run(const struct iot_statejob *j, char **paths, int n, size_t max_line, struct iot_out *out)
{
    struct iot_devdb *db = j->db ? iot_devdb_open(j->db, j->st.key ? j->st.key : "deviceId", false) : NULL;
    struct iot_devstate *s = iot_devstate_new(&j->st, out);
    if (db) iot_devdb_load(db, s, NULL, 0);
    if (j->desired) {
        char *dl[1] = { (char *)j->desired };
        struct iot_in *din = iot_in_open(dl, 1, max_line);
        char *line;
        size_t len;
        struct iot_src src;
        while (iot_in_next(din, &line, &len, &src)) iot_devstate_add_desired(s, line, len, &src);
        iot_in_close(din);
    }
    struct iot_in *in = iot_in_open(paths, n, max_line);
    char *line;
    size_t len, since = 0;
    struct iot_src src;
    int64_t last_snap = iot_time_mono(), last_commit = last_snap;
    int64_t quiet_since = j->idle ? iot_time_mono() : 0;
    while (!iot_stop_requested) {
        int64_t quiet;
        if (j->idle && iot_in_idle(in, j->idle, &quiet_since, &quiet)) {
            iot_devstate_advance(s, quiet);
            if (db) iot_devdb_commit(db, s);
            continue;
        }
        if (db && since && !iot_in_wait(in, 0)) {           /* the input would block: publish */
            iot_devdb_commit(db, s);
            since = 0;
            last_commit = iot_time_mono();
        }
        if (j->snapshot && j->every && iot_time_mono() - last_snap >= j->every && !iot_in_wait(in, 0)) {
            snapshot(s, j->snapshot);
            last_snap = iot_time_mono();
        }
        if (!iot_in_next(in, &line, &len, &src)) break;
        if (j->idle) quiet_since = iot_time_mono();
        if (j->tee) {
            iot_out_write(out, line, len);
            iot_out_eol(out);
        }
        iot_devstate_add(s, line, len, &src);
        /* a batch ends at --batch records or after a second of wall clock, whichever first */
        if (++since >= j->batch || ((since & 4095) == 0 && iot_time_mono() - last_commit >= IOT_NS_PER_S)) {
            last_commit = iot_time_mono();
            if (db) iot_devdb_commit(db, s);
            else iot_devstate_clean(s);
            since = 0;
            if (j->snapshot && j->every && iot_time_mono() - last_snap >= j->every) {
                snapshot(s, j->snapshot);
                last_snap = iot_time_mono();
            }
        }
    }
    iot_in_close(in);
    iot_devstate_sweep(s);
    if (db) iot_devdb_commit(db, s);
    if (j->snapshot) snapshot(s, j->snapshot);
    iot_stat_add("devices", (int64_t)iot_devstate_count(s));
    iot_devdb_close(db);
    iot_devstate_free(s);
}

void iot_statejob_query(const struct iot_statejob *j, struct iot_out *out)
{
    struct iot_devdb *db = iot_devdb_open(j->db, j->st.key ? j->st.key : "deviceId", true);
    struct iot_devstate *s = iot_devstate_new(&j->st, NULL);
    iot_devdb_load(db, s, j->get, j->get ? strlen(j->get) : 0);
    struct iot_fields *f = iot_fields_new();
    struct iot_expr *e = NULL;
    if (j->where) {
        char err[200];
        e = iot_expr_compile(j->where, f, err, sizeof err);
        if (!e) iot_usage("--where: %s", err);
    }
    struct iot_val *vals = iot_xcalloc((size_t)iot_fields_count(f) + 1, sizeof *vals);
    size_t n;
    struct iot_dev **v = iot_devstate_sorted(s, &n);
    struct iot_buf b = { 0 };
    const char *err;
    for (size_t i = 0; i < n; i++) {
        iot_buf_reset(&b);
        iot_devstate_format(s, v[i], &b);
        if (e && (iot_rec_scan(f, b.p, b.len, vals, &err) || !iot_expr_match(e, vals))) continue;
        iot_out_write(out, b.p, b.len);
        iot_out_eol(out);
    }
    bool none = j->get && n == 0;
    free(v);
    free(vals);
    iot_buf_free(&b);
    iot_expr_free(e);
    iot_fields_free(f);
    iot_devstate_free(s);
    iot_devdb_close(db);
    if (none) iot_die(IOT_EX_NOINPUT, "%s: no device %s", j->db, j->get);
}
