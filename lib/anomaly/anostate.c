/* anostate: the state file. See anostate.h. */
#include "anostate.h"
#include "core/diag.h"
#include "core/state.h"

#define KIND "iot-anomaly"

static json_t *loaded_alarms;

const json_t *iot_anostate_alarms(void) { return loaded_alarms; }

static json_t *config(const struct iot_anostate_cfg *c)
{
    json_t *f = json_array();
    for (int i = 0; i < c->nf; i++)
        json_array_append_new(f, json_string(c->fields[i]));
    json_t *r = json_array();
    for (int i = 0; i < c->nrules; i++)
        json_array_append_new(r, json_string(c->rules[i]));
    return json_pack("{s:o, s:o, s:s, s:o, s:I, s:I}", "params", iot_det_params_json(c->p), "fields", f,
                     "key", c->key, "rules", r, "absent", (json_int_t)c->absent,
                     "episode", (json_int_t)c->episode);
}

void iot_anostate_load(const char *path, const struct iot_anostate_cfg *c, struct iot_keytab *tab,
                       const struct iot_commit *cm)
{
    json_t *body = iot_state_begin(path, KIND, IOT_ANOSTATE_VERSION, cm);
    if (!body)
        return;
    json_t *cfg = config(c);
    if (!json_equal(cfg, json_object_get(body, "config")))
        iot_die(IOT_EX_DATAERR, "%s: state was saved with other options (method, parameters, "
                "fields, key, rules, --absent or --episode); remove it or use the same options", path);
    json_decref(cfg);
    json_t *series = json_object_get(body, "series");
    size_t i;
    json_t *s;
    json_array_foreach(series, i, s) {
        json_t *k = json_object_get(s, "key"), *d = json_object_get(s, "det");
        if (!json_is_string(k) || !json_is_array(d) || json_array_size(d) != (size_t)c->nf)
            iot_die(IOT_EX_DATAERR, "%s: series %zu: malformed", path, i);
        int created;
        struct iot_det *dets = iot_keytab_get(tab, json_string_value(k), json_string_length(k), &created);
        if (!dets)
            iot_die(IOT_EX_DATAERR, "%s: more keys than --max-keys", path);
        for (int f = 0; f < c->nf; f++) {
            if (created) iot_det_init(&dets[f], c->p);
            if (iot_det_load(&dets[f], c->p, json_array_get(d, (size_t)f)) < 0)
                iot_die(IOT_EX_DATAERR, "%s: series %zu: bad detector state", path, i);
        }
    }
    json_decref(loaded_alarms);
    loaded_alarms = json_incref(json_object_get(body, "alarms"));
    json_decref(body);
}

void iot_anostate_save(const char *path, const struct iot_anostate_cfg *c, const struct iot_keytab *tab,
                       json_t *alarms, const struct iot_commit *cm)
{
    json_t *series = json_array();
    size_t pos = 0;
    struct iot_det *dets;
    while ((dets = iot_keytab_next(tab, &pos))) {
        size_t kl;
        const char *k = iot_keytab_key(dets, &kl);
        json_t *d = json_array();
        for (int f = 0; f < c->nf; f++)
            json_array_append_new(d, iot_det_save(&dets[f], c->p));
        json_array_append_new(series, json_pack("{s:s%, s:o}", "key", k, kl, "det", d));
    }
    iot_state_commit(path, KIND, IOT_ANOSTATE_VERSION,
                     json_pack("{s:o, s:o, s:o}", "config", config(c), "series", series,
                               "alarms", alarms ? alarms : json_null()), cm);
}
