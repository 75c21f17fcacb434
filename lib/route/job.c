/* job: the routing loop of iot-route — scan, match every route (or the first), deliver once
 * per distinct endpoint, fallback for the unmatched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cli.h"
#include "core/diag.h"
#include "core/in.h"
#include "core/key.h"
#include "core/out.h"
#include "core/prom.h"
#include "core/rec.h"
#include "core/time.h"
#include "job.h"
#include "mqtt.h"
#include "route.h"
#include "shard.h"

static void build_table(const struct iot_routejob *j, struct iot_routes *rt, struct iot_fields *f,
                        struct iot_eps *eps)
{
    char err[2048];
    if (j->routes_file) {
        int rc = iot_routes_load(rt, j->routes_file, f, eps, err, sizeof err);
        if (rc == -2) iot_die(IOT_EX_NOINPUT, "%s", err);
        if (rc < 0) iot_usage("%s", err);
    }
    for (int i = 0; i < j->nroute_text; i++)
        if (iot_routes_add_text(rt, j->route_text[i], f, eps, err, sizeof err) < 0)
            iot_usage("-r '%s': %s", j->route_text[i], err);
    if (j->fallback || !rt->fallback) {
        rt->fallback = iot_eps_add(eps, j->fallback ? j->fallback : "-", err, sizeof err);
        if (!rt->fallback) iot_usage("--fallback: %s", err);
    }
    if (rt->n == 0 && !j->fallback && !rt->fallback_spec)
        iot_usage("no route: give -r 'NAME: CONDITION => ENDPOINT' or --routes FILE (or --fallback)");

    bool any_shard = iot_ep_needs_shard(rt->fallback);
    for (int i = 0; i < rt->n; i++)
        for (int k = 0; k < rt->r[i].nep; k++) any_shard |= iot_ep_needs_shard(rt->r[i].ep[k]);
    if (any_shard && !j->shards) iot_usage("{shard} in an endpoint needs --shard N");
    if (j->shards && !any_shard) iot_usage("--shard N needs {shard} in an endpoint template");
}

static void print_table(const struct iot_routes *rt)
{
    struct iot_out *o = iot_out_std();
    for (int i = 0; i < rt->n; i++) {
        iot_out_printf(o, "%s%s: %s =>", rt->r[i].name, rt->r[i].enabled ? "" : " (disabled)",
                       rt->r[i].cond ? rt->r[i].cond_text : "true");
        for (int k = 0; k < rt->r[i].nep; k++)
            iot_out_printf(o, "%s %s", k ? "," : "", iot_ep_spec(rt->r[i].ep[k]));
        iot_out_putc(o, '\n');
    }
    iot_out_printf(o, "fallback => %s\n", iot_ep_spec(rt->fallback));
}

static bool is_child(const struct iot_ep *ep)
{
    const char *s = iot_ep_spec(ep);
    return strncmp(s, "exec:", 5) == 0 || strncmp(s, "sh:", 3) == 0;
}

static bool fatal(struct iot_eps *eps)
{
    iot_warn("%s", iot_eps_error(eps));
    return true;
}

struct loop {
    const struct iot_routejob *j;
    struct iot_routes *rt;
    struct iot_fields *f;
    struct iot_eps *eps;
    int tfield, nkeys, *kfield;
    struct iot_val *vals;
    struct iot_ep **sel;
    struct iot_buf key;
    int64_t matched, unmatched, dropped, delivered;
    struct iot_prom prom;
};

/* The --metrics textfile: the same counters as --stats, named by Prometheus conventions
 * (https://prometheus.io/docs/practices/naming/), plus the spool's depth now. */
static void write_metrics(struct loop *L)
{
    struct iot_prom *p = &L->prom;
    int64_t segs, kids, evicted;
    iot_eps_counts(L->eps, &segs, &kids, &evicted);
    iot_prom_begin(p, "iot-route");
    iot_prom_sample(p, "iot_records_in_total", "counter", "Input lines read.", NULL, NULL, (double)iot_stat_lines_in);
    iot_prom_sample(p, "iot_rejected_total", "counter", "Input lines rejected (bad JSON, bad time).", NULL, NULL, (double)iot_stat_rejected);
    iot_prom_sample(p, "iot_route_matched_total", "counter", "Records that matched at least one route.", NULL, NULL, (double)L->matched);
    iot_prom_sample(p, "iot_route_unmatched_total", "counter", "Records that matched no route (sent to the fallback).", NULL, NULL, (double)L->unmatched);
    iot_prom_sample(p, "iot_route_dropped_total", "counter", "Records sent to a drop endpoint.", NULL, NULL, (double)L->dropped);
    iot_prom_sample(p, "iot_route_delivered_total", "counter", "Endpoint writes.", NULL, NULL, (double)L->delivered);
    iot_prom_sample(p, "iot_route_segments_total", "counter", "File segments published.", NULL, NULL, (double)segs);
    iot_prom_sample(p, "iot_route_children_total", "counter", "Child processes started.", NULL, NULL, (double)kids);
    iot_prom_sample(p, "iot_route_evicted_total", "counter", "Open files and children closed by --max-open.", NULL, NULL, (double)evicted);
    for (int i = 0; i < L->rt->n; i++)
        iot_prom_sample(p, "iot_route_route_matched_total", "counter", "Records that matched each route.", "route",
                        L->rt->r[i].name, (double)L->rt->r[i].matched);
    struct iot_mqtt_counts mc;
    if (iot_eps_mqtt_counts(L->eps, &mc)) {
        iot_prom_sample(p, "iot_route_mqtt_acked_total", "counter", "Records acknowledged by an MQTT broker (PUBACK).", NULL, NULL, (double)mc.acked);
        iot_prom_sample(p, "iot_route_mqtt_reconnects_total", "counter", "Reconnections to MQTT brokers.", NULL, NULL, (double)mc.reconnects);
        iot_prom_sample(p, "iot_route_mqtt_in_flight", "gauge", "Records published and not yet acknowledged.", NULL, NULL, (double)mc.in_flight);
        iot_prom_sample(p, "iot_route_spooled_total", "counter", "Records written to the spool.", NULL, NULL, (double)mc.spooled);
        iot_prom_sample(p, "iot_route_replayed_total", "counter", "Spooled records acknowledged after replay.", NULL, NULL, (double)mc.replayed);
        iot_prom_sample(p, "iot_route_spool_dropped_total", "counter", "Records dropped because the spool was full.", NULL, NULL, (double)mc.spool_dropped);
        iot_prom_sample(p, "iot_route_spool_records", "gauge", "Records in the spool not yet acknowledged.", NULL, NULL, (double)mc.spool_records);
        iot_prom_sample(p, "iot_route_spool_bytes", "gauge", "Bytes of the spool not yet acknowledged.", NULL, NULL, (double)mc.spool_bytes);
    }
    iot_prom_commit(p, L->j->metrics);
}

/* Routes one line. Returns false when an endpoint failed (the run stops). */
static bool route_line(struct loop *L, const char *line, size_t len, const struct iot_src *src)
{
    const char *why;
    struct iot_routes *rt = L->rt;
    if (iot_rec_read(L->f, line, len, L->vals, src) < 0)
        return true;
    int nsel = 0;
    bool any = false;
    for (int i = 0; i < rt->n; i++) {
        struct iot_route *r = &rt->r[i];
        if (!r->enabled || (r->cond && !iot_expr_match(r->cond, L->vals))) continue;
        any = true;
        r->matched++;
        for (int k = 0; k < r->nep; k++) {
            int d = 0;
            while (d < nsel && L->sel[d] != r->ep[k]) d++;
            if (d == nsel) L->sel[nsel++] = r->ep[k];
        }
        if (L->j->first) break;
    }
    if (any) L->matched++;
    else {
        L->unmatched++;
        L->sel[nsel++] = rt->fallback;
    }
    struct iot_ep_rec er = { line, len, L->vals, 0, 0, src };
    bool need_time = false, need_shard = false;
    for (int d = 0; d < nsel; d++) {
        need_time |= iot_ep_needs_time(L->sel[d]);
        need_shard |= iot_ep_needs_shard(L->sel[d]);
    }
    struct iot_val *tv = &L->vals[L->tfield];
    if (need_time && iot_val_time(tv, L->j->time_unit, &er.t_ns, &why) < 0) {
        iot_reject(src, line, len, "bad time", "%s: %s", iot_fields_path(L->f, L->tfield),
                   tv->type == IOT_J_ABSENT ? "missing (a file template needs the event time)" : why);
        return true;
    }
    if (need_shard) {
        int present = iot_key_build(&L->key, L->vals, L->kfield, L->nkeys);
        er.shard = iot_shard_of(present ? L->key.p : NULL, L->key.len, L->j->shards);
    }
    for (int d = 0; d < nsel; d++) {
        if (iot_ep_is_drop(L->sel[d])) { L->dropped++; continue; }
        if (iot_ep_write(L->eps, L->sel[d], &er) < 0) return !fatal(L->eps);
        L->delivered++;
    }
    return true;
}

/* Reads and routes until the end of input; false when an endpoint failed. */
static bool run_loop(struct loop *L, char **paths, int npaths, bool has_children)
{
    const struct iot_routejob *j = L->j;
    int64_t next_tick = j->eo.max_age ? iot_time_mono() + IOT_NS_PER_S : INT64_MAX;
    bool pump = iot_eps_needs_pump(L->eps);   /* acknowledgements and replay while input is quiet */
    int64_t every = j->metrics_every > 0 ? j->metrics_every : 10 * IOT_NS_PER_S;
    int64_t next_metrics = j->metrics ? iot_time_mono() + every : INT64_MAX;
    bool ok = true;
    struct iot_in *in = iot_in_open(paths, npaths, j->max_line);
    char *line;
    size_t len;
    struct iot_src src;
    for (;;) {
        if ((has_children || pump) && !iot_in_wait(in, 0) && iot_eps_flush(L->eps) < 0) { ok = !fatal(L->eps); break; }
        if (j->eo.max_age || pump || j->metrics) {
            while (!iot_stop_requested && !iot_in_wait(in, pump ? 100 : 1000)) {
                if (iot_eps_tick(L->eps, iot_time_mono()) < 0) { ok = !fatal(L->eps); break; }
                if (iot_time_mono() >= next_metrics) { write_metrics(L); next_metrics = iot_time_mono() + every; }
            }
            if (!ok) break;
            if (iot_time_mono() >= next_tick) {
                iot_eps_tick(L->eps, iot_time_mono());
                next_tick = iot_time_mono() + IOT_NS_PER_S;
            }
        }
        if (iot_stop_requested || !iot_in_next(in, &line, &len, &src)) break;
        if (!route_line(L, line, len, &src)) { ok = false; break; }
        if (next_metrics != INT64_MAX && (L->matched + L->unmatched) % 1024 == 0 && iot_time_mono() >= next_metrics) {
            write_metrics(L);
            next_metrics = iot_time_mono() + every;
        }
    }
    if (iot_eps_close(L->eps) < 0 && ok) ok = !fatal(L->eps);
    iot_in_close(in);
    if (j->metrics) write_metrics(L);
    iot_prom_free(&L->prom);
    return ok;
}

static void add_stats(const struct loop *L)
{
    int64_t segs, kids, evicted;
    iot_eps_counts(L->eps, &segs, &kids, &evicted);
    iot_stat_add("matched", L->matched);
    iot_stat_add("unmatched", L->unmatched);
    iot_stat_add("dropped", L->dropped);
    iot_stat_add("delivered", L->delivered);
    iot_stat_add("segments", segs);
    iot_stat_add("children", kids);
    iot_stat_add("evicted", evicted);
    struct iot_mqtt_counts mc;
    if (iot_eps_mqtt_counts(L->eps, &mc)) {
        iot_stat_add("mqtt_acked", mc.acked);
        iot_stat_add("reconnects", mc.reconnects);
        if (L->j->eo.spool) {
            iot_stat_add("spooled", mc.spooled);
            iot_stat_add("replayed", mc.replayed);
            iot_stat_add("spool_dropped", mc.spool_dropped);
            iot_stat_add("spool_left", mc.spool_left);
            iot_stat_add("spool_corrupt", mc.spool_corrupt);
        }
    }
    if (iot_eps_stale_removed(L->eps)) iot_stat_add("stale_temp_removed", iot_eps_stale_removed(L->eps));
    for (int i = 0; i < L->rt->n && i < 32; i++) {
        /* "route:NAME": the stat table keeps the pointer, so the text lives until exit */
        char *nm = malloc(strlen(L->rt->r[i].name) + 7);
        if (!nm) break;
        sprintf(nm, "route:%s", L->rt->r[i].name);
        iot_stat_add(nm, L->rt->r[i].matched);
    }
}

int iot_routejob_run(const struct iot_routejob *j, char **paths, int npaths)
{
    struct iot_fields *f = iot_fields_new();
    struct iot_eps *eps = iot_eps_new(f, &j->eo);
    struct iot_routes rt = { 0 };
    build_table(j, &rt, f, eps);

    struct loop L = { .j = j, .rt = &rt, .f = f, .eps = eps };
    L.tfield = iot_fields_add(f, j->time_field ? j->time_field : "timestamp");
    L.kfield = iot_key_fields(f, j->key, &L.nkeys);

    bool ok = true;
    if (j->check) {
        print_table(&rt);
    } else {
        L.vals = iot_xcalloc((size_t)iot_fields_count(f) + 1, sizeof *L.vals);
        size_t nsel_cap = 1;
        bool has_children = is_child(rt.fallback);   /* their pipes are flushed before we block */
        for (int i = 0; i < rt.n; i++) {
            nsel_cap += (size_t)rt.r[i].nep;
            for (int k = 0; k < rt.r[i].nep; k++) has_children |= is_child(rt.r[i].ep[k]);
        }
        L.sel = iot_xcalloc(nsel_cap, sizeof *L.sel);
        ok = run_loop(&L, paths, npaths, has_children);
        add_stats(&L);
    }
    iot_routes_free(&rt);
    iot_eps_free(eps);
    iot_fields_free(f);
    iot_buf_free(&L.key);
    free(L.vals);
    free(L.sel);
    free(L.kfield);
    return ok ? 0 : IOT_EX_IOERR;
}
