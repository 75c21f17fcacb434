#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "out.h"
#include "state.h"

json_t *iot_state_load(const char *path, const char *kind, int version)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return NULL;
        iot_die(IOT_EX_NOINPUT, "%s: cannot open state file: %s", path, strerror(errno));
    }
    json_error_t je;
    json_t *doc = json_loadf(f, 0, &je);
    fclose(f);
    if (!doc)
        iot_die(IOT_EX_DATAERR, "%s: not a usable state file (line %d: %s); refusing to start over silently "
                "— move it away to reset", path, je.line, je.text);
    const char *k = json_string_value(json_object_get(doc, "iotkit_state"));
    json_t *v = json_object_get(doc, "version"), *body = json_object_get(doc, "body");
    if (!k || strcmp(k, kind) != 0) {
        /* k points into doc: no decref before the message (iot_die does not return) */
        iot_die(IOT_EX_DATAERR, "%s: not an %s state file (it is %s%s)", path, kind,
                k ? "of kind " : "not an iotkit state file", k ? k : "");
    }
    if (!json_is_integer(v) || json_integer_value(v) != version || !body) {
        long long got = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
        json_decref(doc);
        if (got > 0 && got < version)
            iot_die(IOT_EX_DATAERR, "%s: %s state file version %lld is older than this build's %d "
                    "(keys or layout changed, see iot(7)); refusing it — rebuild the state from the input",
                    path, kind, got, version);
        iot_die(IOT_EX_DATAERR, "%s: %s state file of another version (want %d); refusing it", path, kind, version);
    }
    json_incref(body);
    json_decref(doc);
    return body;
}

static int dump_cb(const char *buf, size_t n, void *o)
{
    iot_out_write(o, buf, n);
    return 0;
}

void iot_state_save(const char *path, const char *kind, int version, json_t *body)
{
    json_t *doc = json_pack("{s:s, s:i, s:s, s:o}", "iotkit_state", kind, "version", version,
                            "tool", iot_prog, "body", body);
    if (!doc) iot_die(IOT_EX_SOFTWARE, "%s: cannot build the state document", path);
    struct iot_out *o = iot_out_open(path, IOT_OUT_ATOMIC | IOT_OUT_NOZSTD);
    if (json_dump_callback(doc, dump_cb, o, JSON_COMPACT | JSON_REAL_PRECISION(17)) != 0)
        iot_die(IOT_EX_SOFTWARE, "%s: cannot serialise state", path);
    iot_out_putc(o, '\n');
    iot_out_close(o);
    json_decref(doc);
}

json_t *iot_json_real(double v)
{
    return v == v && v - v == 0 ? json_real(v) : json_null();
}

double iot_json_get_real(const json_t *j, const char *key, double dflt)
{
    json_t *v = json_object_get(j, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

int64_t iot_json_get_int(const json_t *j, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(j, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}
