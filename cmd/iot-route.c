/* iot-route: conditional fan-out of records to stdout, partitioned files and child commands
 * (lib/route/route.c parses the table, lib/core/expr.c the conditions, lib/route/endpoint.c writes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "route/endpoint.h"
#include "core/in.h"
#include "core/key.h"
#include "core/out.h"
#include "core/rec.h"
#include "route/route.h"
#include "route/shard.h"
#include "core/time.h"

enum { O_ROUTE = 1, O_ROUTES, O_FALLBACK, O_FIRST, O_SHARD, O_MAX_OPEN, O_MAX_BYTES, O_MAX_AGE,
       O_APPEND, O_CHECK };

static const struct iot_opt opts[] = {
    { NULL, 0, 0, NULL, "Routes:", 0 },
    { "route", 'r', IOT_ARG, "ROUTE", "NAME: CONDITION => ENDPOINT[, ENDPOINT]... (repeatable; see iot-route(1))", O_ROUTE },
    { "routes", 0, IOT_ARG, "FILE", "routes from a JSON file ({\"routes\": [{name, condition, endpoints, enabled}], \"fallback\"})", O_ROUTES },
    { "fallback", 0, IOT_ARG, "ENDPOINT", "where records matching no route go (default -, stdout; drop drops and counts them)", O_FALLBACK },
    { "first", 0, IOT_NOARG, NULL, "stop at the first matching route (default: every matching route)", O_FIRST },
    { "check", 0, IOT_NOARG, NULL, "compile the routes, print them and exit", O_CHECK },
    { NULL, 0, 0, NULL, "Endpoints:", 0 },
    { "shard", 0, IOT_ARG, "N", "{shard} in templates is the key's shard 0..N-1 (Event Hubs lookup3 hash of the key)", O_SHARD },
    IOT_OPT_KEY,
    IOT_OPT_TIME,
    { "max-open", 0, IOT_ARG, "N", "open files and children at most (least recently used closed first; default 64)", O_MAX_OPEN },
    { "max-bytes", 0, IOT_ARG, "SIZE", "start a new file segment after SIZE bytes (uncompressed; k, M, G suffixes)", O_MAX_BYTES },
    { "max-age", 0, IOT_ARG, "DURATION", "start a new file segment when one has been open this long (wall clock)", O_MAX_AGE },
    { "append", 0, IOT_NOARG, NULL, "append to the named files (zstd: a new frame) instead of writing atomic segments", O_APPEND },
    IOT_OPT_END
};

static const struct iot_tool tool = {
    "iot-route", "[OPTION]... [FILE]...",
    "Route records to stdout, partitioned files and commands by conditions (IoT Hub message routing).",
    "Endpoints: - (stdout), drop, file:TEMPLATE, exec:PROG ARG..., sh:SHELL-COMMAND.\n"
    "Templates: {yyyy} {MM} {dd} {HH} {mm} {ss} (event time, UTC), {shard}, {FIELD}.\n"
    "Examples:\n"
    "  iot-route -r 'alerts: temperature > 80 && priority == \"high\" => file:alerts.ndjson' \\\n"
    "            -r 'lake: true => file:lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst' --fallback drop\n"
    "  iot-route -r 'cmd: messageType == \"command\" => exec:mosquitto_pub -l -t devices/{deviceId}/commands'\n"
    "  iot-route --shard 4 --fallback 'file:shard-{shard}.ndjson'\n",
    opts
};

struct args {
    const char **route_text;
    int nroute_text;
    const char *routes_file, *fallback;
    bool first, check;
    int shards;
    struct iot_eps_opts eo;
};

static void on_opt(int id, const char *arg, void *ctx)
{
    struct args *a = ctx;
    switch (id) {
    case O_ROUTE:
        a->route_text = realloc(a->route_text, (size_t)(a->nroute_text + 1) * sizeof *a->route_text);
        if (!a->route_text) iot_die(IOT_EX_SOFTWARE, "out of memory");
        a->route_text[a->nroute_text++] = arg;
        break;
    case O_ROUTES: a->routes_file = arg; break;
    case O_FALLBACK: a->fallback = arg; break;
    case O_FIRST: a->first = true; break;
    case O_CHECK: a->check = true; break;
    case O_SHARD: a->shards = (int)iot_cli_int("--shard", arg, 1, 65536); break;
    case O_MAX_OPEN: a->eo.max_open = (int)iot_cli_int("--max-open", arg, 1, 100000); break;
    case O_MAX_BYTES:
        if (iot_size_parse(arg, &a->eo.max_bytes) < 0)
            iot_usage("--max-bytes: '%s' is not a size (e.g. 64M)", arg);
        break;
    case O_MAX_AGE: a->eo.max_age = iot_cli_duration("--max-age", arg); break;
    case O_APPEND: a->eo.append = true; break;
    }
}

static bool fatal_child(struct iot_eps *eps)
{
    iot_warn("%s", iot_eps_error(eps));
    return true;
}

int main(int argc, char **argv)
{
    iot_diag_init("iot-route");
    struct args a = { 0 };
    int optind_ = iot_cli_parse(&tool, argc, argv, on_opt, &a);

    struct iot_fields *f = iot_fields_new();
    struct iot_eps *eps = iot_eps_new(f, &a.eo);
    struct iot_routes rt = { 0 };
    char err[2048];
    if (a.routes_file) {
        int rc = iot_routes_load(&rt, a.routes_file, f, eps, err, sizeof err);
        if (rc == -2) iot_die(IOT_EX_NOINPUT, "%s", err);
        if (rc < 0) iot_usage("%s", err);
    }
    for (int i = 0; i < a.nroute_text; i++)
        if (iot_routes_add_text(&rt, a.route_text[i], f, eps, err, sizeof err) < 0)
            iot_usage("-r '%s': %s", a.route_text[i], err);
    if (a.fallback || !rt.fallback) {
        rt.fallback = iot_eps_add(eps, a.fallback ? a.fallback : "-", err, sizeof err);
        if (!rt.fallback) iot_usage("--fallback: %s", err);
    }
    if (rt.n == 0 && !a.fallback && !rt.fallback_spec)
        iot_usage("no route: give -r 'NAME: CONDITION => ENDPOINT' or --routes FILE (or --fallback)");

    /* what the endpoints need of each record */
    bool any_shard = iot_ep_needs_shard(rt.fallback);
    for (int i = 0; i < rt.n; i++)
        for (int k = 0; k < rt.r[i].nep; k++) any_shard |= iot_ep_needs_shard(rt.r[i].ep[k]);
    if (any_shard && !a.shards) iot_usage("{shard} in an endpoint needs --shard N");
    if (a.shards && !any_shard) iot_usage("--shard N needs {shard} in an endpoint template");
    int tfield = iot_fields_add(f, iot_common.time_field ? iot_common.time_field : "timestamp");
    int nkeys = 0;
    char **keys = iot_split(iot_common.key ? iot_common.key : "deviceId", ',', &nkeys);
    int *kfield = calloc((size_t)nkeys + 1, sizeof *kfield);
    if (!kfield) iot_die(IOT_EX_SOFTWARE, "out of memory");
    for (int i = 0; i < nkeys; i++) kfield[i] = iot_fields_add(f, keys[i]);

    if (a.check) {
        struct iot_out *o = iot_out_std();
        for (int i = 0; i < rt.n; i++) {
            iot_out_printf(o, "%s%s: %s =>", rt.r[i].name, rt.r[i].enabled ? "" : " (disabled)",
                           rt.r[i].cond ? rt.r[i].cond_text : "true");
            for (int k = 0; k < rt.r[i].nep; k++)
                iot_out_printf(o, "%s %s", k ? "," : "", iot_ep_spec(rt.r[i].ep[k]));
            iot_out_putc(o, '\n');
        }
        iot_out_printf(o, "fallback => %s\n", iot_ep_spec(rt.fallback));
        iot_routes_free(&rt);
        iot_eps_free(eps);
        iot_fields_free(f);
        iot_strv_free(keys);
        free(kfield);
        free(a.route_text);
        return iot_diag_finish();
    }

    int nf = iot_fields_count(f);
    struct iot_val *vals = calloc((size_t)nf + 1, sizeof *vals);
    size_t nsel_cap = 1;
    for (int i = 0; i < rt.n; i++) nsel_cap += (size_t)rt.r[i].nep;
    struct iot_ep **sel = calloc(nsel_cap, sizeof *sel);
    if (!vals || !sel) iot_die(IOT_EX_SOFTWARE, "out of memory");
    bool has_children = false;
    {
        /* children need their pipes flushed before we block on input */
        for (int i = 0; i < rt.n; i++)
            for (int k = 0; k < rt.r[i].nep; k++) {
                const char *s = iot_ep_spec(rt.r[i].ep[k]);
                has_children |= strncmp(s, "exec:", 5) == 0 || strncmp(s, "sh:", 3) == 0;
            }
        const char *s = iot_ep_spec(rt.fallback);
        has_children |= strncmp(s, "exec:", 5) == 0 || strncmp(s, "sh:", 3) == 0;
    }
    int64_t matched = 0, unmatched = 0, dropped = 0, delivered = 0;
    int64_t next_tick = a.eo.max_age ? iot_time_mono() + IOT_NS_PER_S : INT64_MAX;
    struct iot_buf key = { 0 };
    bool failed = false;

    struct iot_in *in = iot_in_open(argv + optind_, argc - optind_, iot_common.max_line);
    char *line;
    size_t len;
    struct iot_src src;
    for (;;) {
        if (has_children && !iot_in_wait(in, 0) && iot_eps_flush(eps) < 0) { failed = fatal_child(eps); break; }
        if (a.eo.max_age) {
            while (!iot_stop_requested && !iot_in_wait(in, 1000)) {
                if (iot_eps_tick(eps, iot_time_mono()) < 0) { failed = fatal_child(eps); break; }
            }
            if (failed) break;
            if (iot_time_mono() >= next_tick) {
                iot_eps_tick(eps, iot_time_mono());
                next_tick = iot_time_mono() + IOT_NS_PER_S;
            }
        }
        if (iot_stop_requested || !iot_in_next(in, &line, &len, &src)) break;
        const char *why;
        if (iot_rec_scan(f, line, len, vals, &why) < 0) {
            iot_reject(&src, line, len, "bad json", "%s", why);
            continue;
        }
        int nsel = 0;
        bool any = false;
        for (int i = 0; i < rt.n; i++) {
            struct iot_route *r = &rt.r[i];
            if (!r->enabled || (r->cond && !iot_expr_match(r->cond, vals))) continue;
            any = true;
            r->matched++;
            for (int k = 0; k < r->nep; k++) {
                int d = 0;
                while (d < nsel && sel[d] != r->ep[k]) d++;
                if (d == nsel) sel[nsel++] = r->ep[k];
            }
            if (a.first) break;
        }
        if (any) matched++;
        else {
            unmatched++;
            sel[nsel++] = rt.fallback;
        }
        struct iot_ep_rec er = { line, len, vals, 0, 0, &src };
        bool need_time = false, need_shard = false;
        for (int d = 0; d < nsel; d++) {
            need_time |= iot_ep_needs_time(sel[d]);
            need_shard |= iot_ep_needs_shard(sel[d]);
        }
        if (need_time && iot_val_time(&vals[tfield], iot_common.time_unit, &er.t_ns, &why) < 0) {
            iot_reject(&src, line, len, "bad time", "%s: %s", iot_fields_path(f, tfield),
                       vals[tfield].type == IOT_J_ABSENT ? "missing (a file template needs the event time)" : why);
            continue;
        }
        if (need_shard) {
            int present = iot_key_build(&key, vals, kfield, nkeys);
            er.shard = iot_shard_of(present ? key.p : NULL, key.len, a.shards);
        }
        for (int d = 0; d < nsel; d++) {
            if (iot_ep_is_drop(sel[d])) { dropped++; continue; }
            if (iot_ep_write(eps, sel[d], &er) < 0) { failed = fatal_child(eps); break; }
            delivered++;
        }
        if (failed) break;
    }
    if (iot_eps_close(eps) < 0 && !failed) failed = fatal_child(eps);
    iot_in_close(in);

    int64_t segs, kids, evicted;
    iot_eps_counts(eps, &segs, &kids, &evicted);
    iot_stat_add("matched", matched);
    iot_stat_add("unmatched", unmatched);
    iot_stat_add("dropped", dropped);
    iot_stat_add("delivered", delivered);
    iot_stat_add("segments", segs);
    iot_stat_add("children", kids);
    iot_stat_add("evicted", evicted);
    for (int i = 0; i < rt.n && i < 32; i++) {
        /* "route:NAME": the stat table keeps the pointer, so the text lives until exit */
        char *nm = malloc(strlen(rt.r[i].name) + 7);
        if (!nm) break;
        sprintf(nm, "route:%s", rt.r[i].name);
        iot_stat_add(nm, rt.r[i].matched);
    }
    int rc = iot_diag_finish();
    iot_routes_free(&rt);
    iot_eps_free(eps);
    iot_fields_free(f);
    iot_buf_free(&key);
    free(vals);
    free(sel);
    free(kfield);
    iot_strv_free(keys);
    free(a.route_text);
    return failed ? IOT_EX_IOERR : rc;
}
