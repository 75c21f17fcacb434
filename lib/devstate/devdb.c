/* devdb: SQLite persistence of devstate. See devdb.h. WAL and upsert semantics:
 * https://www.sqlite.org/wal.html, https://www.sqlite.org/lang_upsert.html; values are always
 * bound (https://www.sqlite.org/c3ref/bind_blob.html), never spliced into SQL text. */
#include "devdb.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/time.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct iot_devdb {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *put_dev, *put_prop, *put_des;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS devices(device TEXT PRIMARY KEY, key_json TEXT NOT NULL,"
    " status TEXT NOT NULL, status_since TEXT, first_seen TEXT, last_seen TEXT, records INTEGER NOT NULL,"
    " desired_version INTEGER NOT NULL, status_since_ns INTEGER, first_seen_ns INTEGER, last_seen_ns INTEGER) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS properties(device TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
    " num REAL, time TEXT NOT NULL, time_ns INTEGER NOT NULL, PRIMARY KEY(device, name)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS desired(device TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
    " version INTEGER NOT NULL, time TEXT, time_ns INTEGER, PRIMARY KEY(device, name)) WITHOUT ROWID;";

_Noreturn static void fail(struct iot_devdb *d, int rc)
{
    int code = rc & 0xff;
    int ex = (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_READONLY ||
              code == SQLITE_CANTOPEN || code == SQLITE_PERM) ? IOT_EX_CANTCREAT : IOT_EX_IOERR;
    char msg[256];                  /* copied: the rollback replaces the connection's message */
    snprintf(msg, sizeof msg, "%s", code == SQLITE_BUSY || code == SQLITE_LOCKED ? "database is locked by another writer"
                                    : d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
    if (d->db) sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
    iot_die(ex, "%s: %s", d->path, msg);
}

static void exec(struct iot_devdb *d, const char *sql)
{
    int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) fail(d, rc);
}

static sqlite3_stmt *prep(struct iot_devdb *d, const char *sql)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) fail(d, rc);
    return st;
}

static const char *meta_get(struct iot_devdb *d, const char *name, struct iot_buf *out)
{
    sqlite3_stmt *st = prep(d, "SELECT value FROM meta WHERE name = ?1");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    const char *r = NULL;
    if (rc == SQLITE_ROW) {
        iot_buf_reset(out);
        iot_buf_adds(out, (const char *)sqlite3_column_text(st, 0));
        r = out->p;
    } else if (rc != SQLITE_DONE) fail(d, rc);
    sqlite3_finalize(st);
    return r;
}

static bool has_table(struct iot_devdb *d, const char *name)
{
    sqlite3_stmt *st = prep(d, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(d, rc);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW;
}

struct iot_devdb *iot_devdb_open(const char *path, const char *key, bool readonly)
{
    struct iot_devdb *d = iot_xcalloc(1, sizeof *d);
    d->path = iot_xstrdup(path);
    if (readonly && access(path, F_OK) != 0) iot_die(IOT_EX_NOINPUT, "%s: no such database", path);
    int rc = sqlite3_open_v2(path, &d->db, readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) fail(d, rc);
    sqlite3_extended_result_codes(d->db, 0);
    sqlite3_busy_timeout(d->db, 2000);
    struct iot_buf b = { 0 };
    bool fresh = !has_table(d, "meta");
    if (fresh && readonly) iot_die(IOT_EX_DATAERR, "%s: not an iot-state database (no meta table)", path);
    if (!readonly) {
        exec(d, "PRAGMA journal_mode = WAL");
        exec(d, "PRAGMA synchronous = NORMAL");
        exec(d, "PRAGMA cache_size = -65536");  /* 64 MiB: 10,000 devices stay in memory */
    }
    if (fresh) {
        exec(d, "BEGIN IMMEDIATE");
        exec(d, schema);
        sqlite3_stmt *st = prep(d, "INSERT INTO meta(name, value) VALUES ('schema_version', ?1), ('key', ?2), ('writer', ?3)");
        char v[16];
        snprintf(v, sizeof v, "%d", IOT_DEVDB_SCHEMA);
        sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, "iot-state " IOT_VERSION, -1, SQLITE_STATIC);
        if ((rc = sqlite3_step(st)) != SQLITE_DONE) fail(d, rc);
        sqlite3_finalize(st);
        exec(d, "PRAGMA user_version = 1");
        exec(d, "COMMIT");
    } else {
        const char *v = meta_get(d, "schema_version", &b);
        if (!v || atoi(v) != IOT_DEVDB_SCHEMA)
            iot_die(IOT_EX_DATAERR, "%s: schema version %s, this iot-state reads version %d", path, v ? v : "(none)", IOT_DEVDB_SCHEMA);
        const char *k = meta_get(d, "key", &b);
        if (!readonly && k && strcmp(k, key) != 0)
            iot_die(IOT_EX_DATAERR, "%s: written with --key %s, not %s", path, k, key);
    }
    iot_buf_free(&b);
    if (!readonly) {
        d->put_dev = prep(d, "INSERT INTO devices(device, key_json, status, status_since, first_seen, last_seen, records,"
                             " desired_version, status_since_ns, first_seen_ns, last_seen_ns) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
                             " ON CONFLICT(device) DO UPDATE SET status = excluded.status, status_since = excluded.status_since,"
                             " first_seen = excluded.first_seen, last_seen = excluded.last_seen, records = excluded.records,"
                             " desired_version = excluded.desired_version, status_since_ns = excluded.status_since_ns,"
                             " first_seen_ns = excluded.first_seen_ns, last_seen_ns = excluded.last_seen_ns");
        d->put_prop = prep(d, "INSERT INTO properties(device, name, value, num, time, time_ns) VALUES (?1,?2,?3,?4,?5,?6)"
                              " ON CONFLICT(device, name) DO UPDATE SET value = excluded.value, num = excluded.num,"
                              " time = excluded.time, time_ns = excluded.time_ns");
        d->put_des = prep(d, "INSERT INTO desired(device, name, value, version, time, time_ns) VALUES (?1,?2,?3,?4,?5,?6)"
                             " ON CONFLICT(device, name) DO UPDATE SET value = excluded.value, version = excluded.version,"
                             " time = excluded.time, time_ns = excluded.time_ns");
    }
    return d;
}

static void step(struct iot_devdb *d, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) fail(d, rc);
}

static void put_props(struct iot_devdb *d, sqlite3_stmt *st, const struct iot_dev *v, const struct iot_devprop *p, int n, int64_t version)
{
    for (int i = 0; i < n; i++) {
        if (!p[i].dirty) continue;
        sqlite3_bind_text(st, 1, v->key, (int)v->klen, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p[i].name, (int)p[i].nlen, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, p[i].val, (int)p[i].vlen, SQLITE_STATIC);
        if (version >= 0) sqlite3_bind_int64(st, 4, version);
        else if (p[i].type == 4 /* IOT_J_NUM */) sqlite3_bind_double(st, 4, strtod(p[i].val, NULL));
        else sqlite3_bind_null(st, 4);
        char tb[48];
        size_t tn = iot_time_fmt(p[i].t, tb);
        sqlite3_bind_text(st, 5, tb, (int)tn, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, p[i].t);
        step(d, st);
    }
}

void iot_devdb_commit(struct iot_devdb *d, struct iot_devstate *s)
{
    if (!iot_devstate_dirty_count(s)) return;
    exec(d, "BEGIN IMMEDIATE");
    size_t pos = 0;
    struct iot_dev *v;
    while ((v = iot_devstate_next_dirty(s, &pos))) {
        sqlite3_stmt *st = d->put_dev;
        sqlite3_bind_text(st, 1, v->key, (int)v->klen, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, v->key_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v->count ? (v->online ? "online" : "offline") : "never seen", -1, SQLITE_STATIC);
        bool seen = v->count > 0;
        char t1[48], t2[48], t3[48];
        if (seen) {
            sqlite3_bind_text(st, 4, t1, (int)iot_time_fmt(v->status_since, t1), SQLITE_STATIC);
            sqlite3_bind_text(st, 5, t2, (int)iot_time_fmt(v->first, t2), SQLITE_STATIC);
            sqlite3_bind_text(st, 6, t3, (int)iot_time_fmt(v->last, t3), SQLITE_STATIC);
            sqlite3_bind_int64(st, 9, v->status_since);
            sqlite3_bind_int64(st, 10, v->first);
            sqlite3_bind_int64(st, 11, v->last);
        } else {
            for (int i = 4; i <= 11; i++) if (i < 7 || i > 8) sqlite3_bind_null(st, i);
        }
        sqlite3_bind_int64(st, 7, v->count);
        sqlite3_bind_int64(st, 8, v->dversion);
        step(d, st);
        put_props(d, d->put_prop, v, v->p, v->np, -1);
        if (v->ddirty) put_props(d, d->put_des, v, v->d, v->nd, v->dversion);
    }
    int rc = sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) fail(d, rc);
    iot_stat_add("commits", 1);
    iot_devstate_clean(s);
}

static void bind_only(sqlite3_stmt *st, const char *only, size_t olen)
{
    if (only) sqlite3_bind_text(st, 1, only, (int)olen, SQLITE_STATIC);
}

void iot_devdb_load(struct iot_devdb *d, struct iot_devstate *s, const char *only, size_t olen)
{
    const char *w = only ? " WHERE device = ?1" : "";
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT device, key_json, status, records, desired_version, status_since_ns,"
                              " first_seen_ns, last_seen_ns FROM devices%s ORDER BY device", w);
    sqlite3_stmt *st = prep(d, sql);
    bind_only(st, only, olen);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct iot_dev *v = iot_devstate_restore(s, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                                 (const char *)sqlite3_column_text(st, 1));
        if (!v) iot_die(IOT_EX_DATAERR, "%s: more devices than --max-keys", d->path);
        v->online = strcmp((const char *)sqlite3_column_text(st, 2), "online") == 0;
        v->count = sqlite3_column_int64(st, 3);
        v->dversion = v->cmd_version = sqlite3_column_int64(st, 4);
        v->status_since = sqlite3_column_int64(st, 5);
        v->first = sqlite3_column_int64(st, 6);
        v->last = sqlite3_column_int64(st, 7);
    }
    if (rc != SQLITE_DONE) fail(d, rc);
    sqlite3_finalize(st);
    for (int k = 0; k < 2; k++) {
        snprintf(sql, sizeof sql, "SELECT device, key_json, name, value, time_ns FROM %s JOIN devices USING (device)%s ORDER BY device, name",
                 k ? "desired" : "properties", w);
        st = prep(d, sql);
        bind_only(st, only, olen);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct iot_dev *v = iot_devstate_restore(s, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                                     (const char *)sqlite3_column_text(st, 1));
            if (!v) iot_die(IOT_EX_DATAERR, "%s: more devices than --max-keys", d->path);
            const char *name = sqlite3_column_blob(st, 2);
            size_t nlen = (size_t)sqlite3_column_bytes(st, 2);
            const char *val = (const char *)sqlite3_column_text(st, 3);
            iot_devstate_restore_prop(v, k == 1, name ? name : "", nlen, val, (size_t)sqlite3_column_bytes(st, 3),
                                      sqlite3_column_int64(st, 4));
        }
        if (rc != SQLITE_DONE) fail(d, rc);
        sqlite3_finalize(st);
    }
    iot_devstate_restored(s);
}

void iot_devdb_close(struct iot_devdb *d)
{
    if (!d) return;
    sqlite3_finalize(d->put_dev);
    sqlite3_finalize(d->put_prop);
    sqlite3_finalize(d->put_des);
    int rc = sqlite3_close(d->db);
    if (rc != SQLITE_OK) iot_warn("%s: %s", d->path, sqlite3_errstr(rc));
    free(d->path);
    free(d);
}
