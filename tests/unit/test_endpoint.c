/* Unit tests for lib/endpoint (templates, safe names), lib/shard (lookup3) and lib/route (text). */
#include <stdlib.h>
#include "unit.h"
#include "route/endpoint.h"
#include "route/route.h"
#include "route/shard.h"
#include "core/time.h"

/* Expands template tp over record line at time ts (RFC 3339) and shard; returns a static string. */
static const char *expand(const char *tp, const char *line, const char *ts, int shard)
{
    static struct iot_buf out;
    struct iot_fields *f = iot_fields_new();
    char err[200];
    struct iot_tmpl *t = iot_tmpl_compile(tp, f, err, sizeof err);
    iot_buf_reset(&out);
    iot_buf_add(&out, "", 0);
    if (!t) { iot_buf_adds(&out, "ERROR "); iot_buf_adds(&out, err); iot_fields_free(f); return out.p; }
    struct iot_val v[16];
    const char *why;
    int64_t ns = 0;
    if (ts) iot_time_parse(ts, strlen(ts), &ns, &why);
    if (iot_rec_scan(f, line, strlen(line), v, &why) == 0) iot_tmpl_expand(t, v, ns, shard, &out);
    iot_tmpl_free(t);
    iot_fields_free(f);
    return out.p;
}

static const char *comp(const char *s, size_t n)
{
    static struct iot_buf b;
    iot_buf_reset(&b);
    iot_buf_add(&b, "", 0);
    iot_name_component(&b, s, n);
    return b.p;
}

int main(void)
{
    const char *rec = "{\"deviceId\":\"cnc-7\",\"deviceType\":\"CNC-Machine\",\"n\":12.5,\"z\":null,\"e\":\"\","
                      "\"p\":{\"site\":\"north\"},\"bad\":\"../../etc/x\"}";
    /* templates */
    CHECK_STR(expand("lake/{yyyy}/{MM}/{dd}/{deviceType}-{HH}.ndjson.zst", rec, "2026-11-26T18:53:25.5Z", 0),
              "lake/2026/11/26/CNC-Machine-18.ndjson.zst", "time and field placeholders");
    CHECK_STR(expand("{HH}{mm}{ss}", rec, "2026-11-26T18:53:25+02:00", 0), "165325", "time is UTC");
    CHECK_STR(expand("{yyyy}-{MM}-{dd}", rec, "1969-12-31T23:59:59Z", 0), "1969-12-31", "before 1970");
    CHECK_STR(expand("s{shard}/{deviceId}", rec, NULL, 3), "s3/cnc-7", "shard placeholder");
    CHECK_STR(expand("{p.site}/{n}", rec, NULL, 0), "north/12.5", "dotted path and number");
    CHECK_STR(expand("{missing}-{z}-{e}", rec, NULL, 0), "_missing-_null-_empty", "absent, null, empty");
    CHECK_STR(expand("{{literal}}/{deviceId}", rec, NULL, 0), "{literal}/cnc-7", "escaped braces");
    CHECK_STR(expand("out/{bad}.ndjson", rec, NULL, 0), "out/%2E.%2F..%2Fetc%2Fx.ndjson", "a hostile value stays one component");
    CHECK_STR(expand("x{deviceId", rec, NULL, 0), "ERROR column 2: '{' without '}' (write {{ for a literal brace)", "unclosed brace");
    CHECK_STR(expand("x}", rec, NULL, 0), "ERROR column 2: '}' without '{' (write }} for a literal brace)", "lone closing brace");
    CHECK_STR(expand("a{}b", rec, NULL, 0), "ERROR column 2: bad placeholder '{}'", "empty placeholder");
    CHECK_STR(expand("a{.x}b", rec, NULL, 0), "ERROR column 2: bad placeholder '{.x}'", "bad path");
    {
        struct iot_fields *f = iot_fields_new();
        char err[100];
        struct iot_tmpl *t = iot_tmpl_compile("lake/{yyyy}/{deviceType}-{HH}.ndjson.zst", f, err, sizeof err);
        CHECK(t && iot_tmpl_needs_time(t) && !iot_tmpl_needs_shard(t) && !iot_tmpl_const(t), "template needs time");
        CHECK_STR(iot_tmpl_ext(t), ".ndjson.zst", "extension after the last placeholder");
        iot_tmpl_free(t);
        t = iot_tmpl_compile("out/all.ndjson", f, err, sizeof err);
        CHECK(t && iot_tmpl_const(t), "constant template");
        CHECK_STR(iot_tmpl_ext(t), ".ndjson", "extension of a constant name");
        iot_tmpl_free(t);
        t = iot_tmpl_compile("a.b/{deviceId}", f, err, sizeof err);
        CHECK_STR(iot_tmpl_ext(t), "", "no extension after a trailing placeholder");
        iot_tmpl_free(t);
        iot_fields_free(f);
    }

    /* safe name components */
    CHECK_STR(comp("cnc-000042", 10), "cnc-000042", "a plain id is unchanged");
    CHECK_STR(comp("..", 2), "%2E.", "..");
    CHECK_STR(comp(".", 1), "%2E", ".");
    CHECK_STR(comp("a/b", 3), "a%2Fb", "slash");
    CHECK_STR(comp("a\0b", 3), "a%00b", "NUL");
    CHECK_STR(comp("a\nb\x7f", 4), "a%0Ab%7F", "control characters");
    CHECK_STR(comp("-rf", 3), "%2Drf", "leading dash (not an option)");
    CHECK_STR(comp("_missing", 8), "%5Fmissing", "leading underscore cannot fake a sentinel");
    CHECK_STR(comp("dev/+/#", 7), "dev%2F%2B%2F%23", "MQTT wildcards");
    CHECK_STR(comp("$(rm -rf ~);`x`", 15), "%24%28rm%20-rf%20%7E%29%3B%60x%60", "shell metacharacters");
    CHECK_STR(comp("caf\xc3\xa9", 5), "caf%C3%A9", "UTF-8 bytes");
    {
        char big[10000];
        memset(big, 'A', sizeof big);
        const char *c = comp(big, sizeof big);
        CHECK(strlen(c) == 117 && c[100] == '~' && strspn(c, "A") == 100, "10 kB value is cut with a hash (%zu)", strlen(c));
        char big2[10000];
        memset(big2, 'A', sizeof big2);
        big2[9999] = 'B';
        char keep[200];
        snprintf(keep, sizeof keep, "%s", c);
        CHECK(strcmp(keep, comp(big2, sizeof big2)) != 0, "two long values that differ at the end stay apart");
        memset(big, '/', sizeof big);
        c = comp(big, sizeof big);
        CHECK(strlen(c) <= 120 && !strchr(c, '/'), "long hostile value: no slash, bounded (%zu)", strlen(c));
    }

    /* lookup3 (published check values of hashlittle2) and the Event Hubs shard mapping */
    {
        uint32_t c = 0, b = 0;
        iot_lookup3("", 0, &c, &b);
        CHECK(c == 0xdeadbeef && b == 0xdeadbeef, "lookup3 empty, seeds 0");
        c = 0; b = 0xdeadbeef;
        iot_lookup3("", 0, &c, &b);
        CHECK(c == 0xbd5b7dde && b == 0xdeadbeef, "lookup3 empty, pb=deadbeef");
        c = 0xdeadbeef; b = 0xdeadbeef;
        iot_lookup3("", 0, &c, &b);
        CHECK(c == 0x9c093ccd && b == 0xbd5b7dde, "lookup3 empty, both deadbeef");
        const char *s = "Four score and seven years ago";
        c = 0; b = 0;
        iot_lookup3(s, 30, &c, &b);
        CHECK(c == 0x17770551 && b == 0xce7226e6, "lookup3 'Four score...' 0,0");
        c = 0; b = 1;
        iot_lookup3(s, 30, &c, &b);
        CHECK(c == 0xe3607cae && b == 0xbd371de4, "lookup3 'Four score...' 0,1");
        c = 1; b = 0;
        iot_lookup3(s, 30, &c, &b);
        CHECK(c == 0xcd628161 && b == 0x6cbea4b3, "lookup3 'Four score...' 1,0");
        CHECK(iot_shard_of(NULL, 0, 4) == 0, "absent key: shard 0");
        CHECK(iot_shard_of("x", 1, 1) == 0, "one shard");
        int counts[4] = { 0 }, ok = 1;
        char id[32];
        for (int i = 0; i < 4000; i++) {
            int n = snprintf(id, sizeof id, "cnc-%06d", i);
            int k = iot_shard_of(id, (size_t)n, 4);
            ok &= k >= 0 && k < 4 && k == iot_shard_of(id, (size_t)n, 4);
            counts[k]++;
        }
        CHECK(ok, "shards in range and stable");
        CHECK(counts[0] > 800 && counts[1] > 800 && counts[2] > 800 && counts[3] > 800,
              "4000 keys spread over 4 shards (%d %d %d %d)", counts[0], counts[1], counts[2], counts[3]);
        /* the mapping by hand for one key: h = (int16)(c ^ b), |h % n| */
        c = 0; b = 0;
        iot_lookup3("cnc-000042", 10, &c, &b);
        int16_t h = (int16_t)(uint16_t)((c ^ b) & 0xFFFF);
        CHECK(iot_shard_of("cnc-000042", 10, 7) == abs(h % 7), "shard = |int16(c^b) %% n|");
    }

    /* sizes */
    {
        uint64_t v = 0;
        CHECK(iot_size_parse("64M", &v) == 0 && v == 64u << 20, "64M");
        CHECK(iot_size_parse("1000", &v) == 0 && v == 1000, "1000");
        CHECK(iot_size_parse("2kB", &v) == 0 && v == 2048, "2kB");
        CHECK(iot_size_parse("0", &v) < 0 && iot_size_parse("-1", &v) < 0 && iot_size_parse("5X", &v) < 0
              && iot_size_parse("", &v) < 0, "bad sizes refused");
    }

    /* endpoints and route text */
    {
        struct iot_fields *f = iot_fields_new();
        struct iot_eps_opts o = { 0 };
        struct iot_eps *eps = iot_eps_new(f, &o);
        char err[1200];
        struct iot_ep *a = iot_eps_add(eps, "file:x/{deviceId}.ndjson", err, sizeof err);
        CHECK(a && iot_eps_add(eps, "file:x/{deviceId}.ndjson", err, sizeof err) == a, "same endpoint text, same endpoint");
        CHECK(!iot_eps_add(eps, "ftp:x", err, sizeof err) && strstr(err, "unknown endpoint"), "unknown endpoint kind");
        CHECK(!iot_eps_add(eps, "exec:no-such-program-xyz -l", err, sizeof err) && strstr(err, "command not found"), "missing program");
        CHECK(!iot_eps_add(eps, "exec:cat 'abc", err, sizeof err) && strstr(err, "unterminated"), "unterminated quote");
        CHECK(!iot_eps_add(eps, "file:", err, sizeof err), "empty file name");
        struct iot_ep *sh = iot_eps_add(eps, "sh:awk '{print}' > /dev/null", err, sizeof err);
        CHECK(sh && !iot_ep_needs_time(sh), "sh: strings are literal (no placeholders)");
        struct iot_ep *ex = iot_eps_add(eps, "exec:cat -- 'a b' {deviceId} {HH}", err, sizeof err);
        CHECK(ex && iot_ep_needs_time(ex), "exec: words are templates");

        struct iot_routes rt = { 0 };
        int rc;
        /* (CHECK evaluates its condition twice: side effects stay outside it) */
        rc = iot_routes_add_text(&rt, "alerts: temperature > 80 && priority == \"high\" => file:alerts.ndjson, exec:cat -n, -",
                                 f, eps, err, sizeof err);
        CHECK(rc == 0 && rt.n == 1, "route text parses");
        CHECK(rt.r[0].nep == 3 && strcmp(rt.r[0].name, "alerts") == 0, "three endpoints, named");
        rc = iot_routes_add_text(&rt, "x > 1 => file:a.ndjson", f, eps, err, sizeof err);
        CHECK(rc == 0 && strcmp(rt.r[1].name, "r2") == 0, "unnamed route gets r2");
        rc = iot_routes_add_text(&rt, "all: => drop", f, eps, err, sizeof err);
        CHECK(rc == 0 && rt.r[2].cond == NULL, "empty condition = always");
        rc = iot_routes_add_text(&rt, "s: name == 'a=>b' => sh:sort -t, -k1,1", f, eps, err, sizeof err);
        CHECK(rc == 0 && rt.r[3].nep == 1, "'=>' inside a string and commas inside a command");
        rc = iot_routes_add_text(&rt, "bad: temperature >> 3 => -", f, eps, err, sizeof err);
        CHECK(rc < 0 && strstr(err, "column 19:"), "condition error column counts from the start of -r (%s)", err);
        rc = iot_routes_add_text(&rt, "alerts: true => -", f, eps, err, sizeof err);
        CHECK(rc < 0 && strstr(err, "twice"), "duplicate name");
        rc = iot_routes_add_text(&rt, "a: true", f, eps, err, sizeof err);
        CHECK(rc < 0 && strstr(err, "'=>'"), "missing =>");
        rc = iot_routes_add_text(&rt, "a: true =>  ", f, eps, err, sizeof err);
        CHECK(rc < 0, "no endpoint");
        rc = iot_routes_add_text(&rt, "a: true => -, ,-", f, eps, err, sizeof err);
        CHECK(rc < 0, "empty endpoint");
        rc = iot_routes_add_text(&rt, "bad name!: true => -", f, eps, err, sizeof err);
        CHECK(rc < 0, "bad route name");
        CHECK(rt.n == 4, "failed routes are not added");
        iot_routes_free(&rt);
        iot_eps_free(eps);
        iot_fields_free(f);
    }
    return unit_done();
}
