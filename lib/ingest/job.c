/* job: iot-ingest's per-record pipeline — schema, dedupe, asset join, rebase, replay pacing,
 * field edits, reduction — over the inputs read in order or merged. */
#include <stdlib.h>
#include <string.h>
#include "assets.h"
#include "core/cli.h"
#include "core/diag.h"
#include "core/key.h"
#include "core/out.h"
#include "core/pace.h"
#include "core/time.h"
#include "dedupe.h"
#include "job.h"
#include "mapstage.h"
#include "recedit.h"
#include "schema.h"

static const struct iot_ingest_job_opts *O;
static struct iot_ingest_opts *IN;
static struct iot_fields *fields;
static int *ired;
static struct iot_schema *schema;
static struct iot_assets *assets;
static int *afield;                 /* field index of each asset member name */
static struct iot_dedupe *dedupe;
static struct iot_recedit *edit;
static struct iot_map *map;
static struct iot_reduce *reducer;
static struct iot_reduce_val *rvals;
static struct iot_out *out;
static struct iot_pace pace;
static int64_t shift;
static int have_shift;
static struct iot_buf line_out, sel_out, extra, keybuf, why;

static void emit(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    iot_out_write(out, s, n);
    iot_out_eol(out);
}

static void process(const struct iot_ingest_rec *r, void *ctx)
{
    (void)ctx;
    const struct iot_val *vals = r->vals;
    if (schema && iot_schema_check(schema, vals, &why) != 0) {
        iot_reject(&r->src, r->line, r->len, "schema", "%s", why.p);
        return;
    }
    if (dedupe && iot_dedupe_record(dedupe, vals, r->t)) {
        iot_stat_add("deduped", 1);
        return;
    }
    iot_buf_reset(&keybuf);
    for (int k = 0; (assets || reducer) && k < IN->nkeys; k++) {
        if (k)
            iot_buf_addc(&keybuf, '\x1f');
        iot_key_part(&vals[IN->key0 + k], &keybuf);
    }
    iot_buf_reset(&extra);
    if (O->ingest_time) {
        char b[48];
        iot_buf_json_str(&extra, O->ingest_time, strlen(O->ingest_time));
        iot_buf_adds(&extra, ":\"");
        iot_buf_add(&extra, b, iot_time_fmt(iot_time_now(), b));
        iot_buf_addc(&extra, '"');
    }
    if (assets) {
        size_t an;
        const struct iot_asset_member *am;
        int nam;
        const char *a = iot_assets_find(assets, keybuf.p, keybuf.len, &an, &am, &nam);
        if (!a && O->unknown == IOT_UNKNOWN_DEAD) {
            iot_reject(&r->src, r->line, r->len, "unknown asset", "%s: no asset with this key",
                       iot_fields_path(fields, IN->key0));
            return;
        }
        if (!a) {
            iot_stat_add(O->unknown == IOT_UNKNOWN_COUNT ? "unknown_asset_dropped" : "unknown_asset_kept", 1);
            if (O->unknown == IOT_UNKNOWN_COUNT)
                return;
        } else {
            /* a member the record has already stays the record's: never one name twice */
            for (int i = 0; i < nam; i++) {
                if (vals[afield[am[i].name]].type != IOT_J_ABSENT) {
                    iot_stat_add("asset_member_in_record_kept", 1);
                    continue;
                }
                if (extra.len)
                    iot_buf_addc(&extra, ',');
                iot_buf_add(&extra, a + am[i].off, am[i].len);
            }
        }
    }
    if (iot_map_active(map)) {
        const char *nm, *w;
        int rc = iot_map_record(map, vals, &extra, &nm, &w);
        if (rc < 0) {
            iot_reject(&r->src, r->line, r->len, "eval", "--eval %s: %s", nm, w);
            return;
        }
        if (rc == 1) {
            iot_stat_add("filtered", 1);
            return;
        }
    }
    int64_t t = r->t;
    if (O->rebase) {
        if (!have_shift)
            shift = (strcmp(O->rebase, "now") == 0 ? iot_time_now() : O->rebase_at) - t, have_shift = 1;
        t += shift;
    }
    if (O->replay && !iot_pace_until(&pace, r->t))
        return;
    iot_recedit_apply(edit, r->line, r->len, vals, t, extra.p, extra.len, &line_out);
    struct iot_buf *lo = iot_map_select(map, line_out.p, line_out.len, &sel_out) == 0 ? &sel_out : &line_out;
    if (!reducer) {
        emit(NULL, lo->p, lo->len);
        return;
    }
    iot_reduce_vals(rvals, vals, ired, O->nred);
    if (iot_reduce_push(reducer, keybuf.p, keybuf.len, t, rvals, lo->p, lo->len, emit, NULL))
        iot_stat_add("reduced", 1);
}

static void setup(void)
{
    const char *why_;
    fields = iot_fields_new();
    IN->fields = fields;
    IN->time_index = iot_fields_add(fields, O->time_field);
    int nk;
    char **keys = iot_key_names(O->key, &nk);
    IN->key0 = iot_fields_count(fields), IN->nkeys = nk;
    for (int i = 0; i < nk; i++)
        if (iot_fields_add(fields, keys[i]) != IN->key0 + i)
            iot_usage("-k: '%s' is named twice or is the time field", keys[i]);
    edit = iot_recedit_new(fields, IN->time_index);
    for (int i = 0; i < O->nrename; i++) {
        size_t n = O->ingest_time ? strlen(O->ingest_time) : 0;
        if (n && strncmp(O->rename[i], O->ingest_time, n) == 0 && O->rename[i][n] == '=')
            iot_usage("--rename: '%s' is the field --ingest-time adds; give it its name there "
                      "(--rename applies to the fields a record arrives with)", O->ingest_time);
        if (iot_recedit_rename_arg(edit, O->rename[i], &why_) != 0)
            iot_usage("--rename: '%s': %s", O->rename[i], why_);
    }
    for (int i = 0; i < O->ndrop; i++)
        if (iot_recedit_drop(edit, O->drop[i], &why_) != 0)
            iot_usage("--drop: '%s': %s", O->drop[i], why_);
    for (int i = 0; i < O->nset; i++)
        if (iot_recedit_set_arg(edit, O->set[i], &why_) != 0)
            iot_usage("--set: '%s': %s", O->set[i], why_);
    if (O->ingest_time && iot_recedit_replace(edit, O->ingest_time, &why_) != 0)
        iot_usage("--ingest-time: '%s': %s", O->ingest_time, why_);
    if (O->neval || O->where || O->nselect)
        map = iot_map_new(fields, edit, O->eval, O->neval, O->where, O->select, O->nselect,
                          O->fixed_now ? O->now : iot_time_now(), O->fixed_now);
    ired = iot_xcalloc((size_t)O->nred + 1, sizeof *ired);
    for (int i = 0; i < O->nred; i++)
        ired[i] = iot_fields_add(fields, O->red_field[i]);
    if (O->dedupe) {
        int nd = nk + 1, *idd;
        char **d = O->dedupe_fields ? iot_split(O->dedupe_fields, ',', &nd) : NULL;
        idd = iot_xcalloc((size_t)nd, sizeof *idd);
        for (int i = 0; i < nd; i++)
            idd[i] = d ? iot_fields_add(fields, d[i]) : i < nk ? IN->key0 + i : IN->time_index;
        dedupe = iot_dedupe_new(O->dwin, (size_t)O->dmax);
        iot_dedupe_identity(dedupe, idd, nd, IN->time_index, IN->key0, nk);
        iot_strv_free(d);
        free(idd);
    }
    if (O->schema)
        schema = iot_schema_load(O->schema, fields);
    if (O->assets) {
        assets = iot_assets_load(O->assets, keys, nk, O->aprefix);
        int na;
        const char *const *names = iot_assets_members(assets, &na);
        afield = iot_xcalloc((size_t)na + 1, sizeof *afield);
        for (int i = 0; i < na; i++) {
            struct iot_buf q = { 0 };    /* a name with dots is one member (core/rec.h) */
            if (strchr(names[i], '.')) iot_buf_addf(&q, "`%s`", names[i]);
            else iot_buf_adds(&q, names[i]);
            afield[i] = iot_fields_add(fields, q.p);
            iot_buf_free(&q);
        }
    }
    iot_strv_free(keys);
    if (O->nred) {
        reducer = iot_reduce_new(O->red, O->nred, O->max_gap, (size_t)O->max_keys);
        rvals = iot_xcalloc((size_t)O->nred, sizeof *rvals);
    } else if (O->max_gap) {
        iot_usage("--max-gap needs --deadband or --swinging-door");
    }
}

int64_t iot_ingest_run(const struct iot_ingest_job_opts *o, struct iot_ingest_opts *in, char **paths, int n)
{
    O = o;
    IN = in;
    setup();
    if (O->replay)
        iot_pace_init(&pace, O->speed > 0 ? O->speed : 1);
    out = iot_out_std();
    int64_t bytes_in = iot_ingest_input_each(paths, n, O->merge, IN, process, NULL);
    if (reducer) {
        iot_stat_add("reduced", iot_reduce_finish(reducer, emit, NULL));
        if (iot_reduce_overflow(reducer))
            iot_stat_add("reduce_unreduced_keys_overflow", iot_reduce_overflow(reducer));
        iot_reduce_free(reducer);
    }
    if (dedupe)
        iot_dedupe_stats(dedupe), iot_dedupe_free(dedupe);
    iot_stat_add("bytes_in", bytes_in);
    iot_stat_add("bytes_out", (int64_t)iot_out_bytes(out));
    return bytes_in;
}
