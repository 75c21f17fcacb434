/* Unit tests for lib/recedit: byte-preserving edits of a record line. */
#include <stdlib.h>
#include "unit.h"
#include "ingest/recedit.h"
#include "core/time.h"

static const char *why;

/* Builds a plan from a spec ("r:OLD=NEW d:PATH s:NAME=VALUE p:NAME", space-separated), applies
 * it to line with time t (field "ts", when present) and extra, and returns the result or "ERR:why". */
static const char *run(const char *spec, const char *line, int64_t t, const char *extra)
{
    static struct iot_buf out;
    struct iot_fields *f = iot_fields_new();
    int ti = iot_fields_add(f, "ts");
    struct iot_recedit *e = iot_recedit_new(f, ti);
    char *sp = strdup(spec), *save = NULL;
    int rc = 0;
    for (char *w = strtok_r(sp, " ", &save); w && rc == 0; w = strtok_r(NULL, " ", &save)) {
        char *arg = w + 2, *eq = strchr(arg, '=');
        if (w[0] == 'r') { *eq = 0; rc = iot_recedit_rename(e, arg, eq + 1, &why); }
        else if (w[0] == 'd') rc = iot_recedit_drop(e, arg, &why);
        else if (w[0] == 's') rc = iot_recedit_set_arg(e, arg, &why);
        else if (w[0] == 'p') rc = iot_recedit_replace(e, arg, &why);
    }
    free(sp);
    if (rc) {
        iot_buf_reset(&out);
        iot_buf_adds(&out, "ERR:");
        iot_buf_adds(&out, why);
    } else {
        struct iot_val *v = calloc((size_t)iot_fields_count(f), sizeof *v);
        const char *err;
        if (iot_rec_scan(f, line, strlen(line), v, &err) != 0)
            return "SCAN ERROR";
        iot_recedit_apply(e, line, strlen(line), v, t, extra, extra ? strlen(extra) : 0, &out);
        free(v);
    }
    iot_recedit_free(e);
    iot_fields_free(f);
    return out.p;
}

/* The result must also be one valid JSON object. */
static int valid(const char *s)
{
    const char *err;
    struct iot_val v;
    return iot_rec_scan(NULL, s, strlen(s), &v, &err) == 0;
}

#define T0 INT64_C(1764183205000000000)   /* 2025-11-26T18:53:25Z */

int main(void)
{
    /* time replaced in place, longer and shorter than the original text */
    CHECK_STR(run("", "{\"a\":1, \"ts\":1764183205,\"b\" : 2.50}", T0 + 7000000, NULL),
              "{\"a\":1, \"ts\":\"2025-11-26T18:53:25.007Z\",\"b\" : 2.50}", "time: epoch → longer RFC 3339 text");
    CHECK_STR(run("", "{\"ts\":\"2025-11-26T19:53:25.123456789+01:00\" }", T0 + 123456789, NULL),
              "{\"ts\":\"2025-11-26T18:53:25.123Z\" }", "time: offset with ns → shorter text, trailing space kept");
    CHECK_STR(run("", "{\"x\":{\"ts\":1}}", T0, NULL), "{\"x\":{\"ts\":1}}", "time: no member named ts at the top: untouched");
    {   /* the per-second cache gives the same text as a fresh format */
        struct iot_fields *f = iot_fields_new();
        struct iot_recedit *e = iot_recedit_new(f, -1);
        int ok = 1;
        for (int64_t t = -3 * IOT_NS_PER_S + 999; t < 3 * IOT_NS_PER_S; t += 77 * IOT_NS_PER_MS + 13) {
            size_t n;
            const char *p = iot_recedit_time_text(e, t, &n);
            char want[48];
            want[0] = '"';
            size_t m = iot_time_fmt(t, want + 1) + 1;
            want[m++] = '"';
            if (n != m || memcmp(p, want, n) != 0)
                ok = 0;
        }
        CHECK(ok, "time text cache matches iot_time_fmt across seconds, before and after 1970");
        iot_recedit_free(e);
        iot_fields_free(f);
    }

    /* drops at every position, alone and chained */
    const char *L = "{\"a\":1,\"b\":[2,{\"c\":3}],\"c\":\"x\",\"d\":null}";
    CHECK_STR(run("d:a", L, 0, NULL), "{\"b\":[2,{\"c\":3}],\"c\":\"x\",\"d\":null}", "drop first");
    CHECK_STR(run("d:b", L, 0, NULL), "{\"a\":1,\"c\":\"x\",\"d\":null}", "drop middle (array value)");
    CHECK_STR(run("d:d", L, 0, NULL), "{\"a\":1,\"b\":[2,{\"c\":3}],\"c\":\"x\"}", "drop last");
    CHECK_STR(run("d:a d:b", L, 0, NULL), "{\"c\":\"x\",\"d\":null}", "drop the first two (a run)");
    CHECK_STR(run("d:c d:d", L, 0, NULL), "{\"a\":1,\"b\":[2,{\"c\":3}]}", "drop the last two (a run ending the object)");
    CHECK_STR(run("d:a d:c", L, 0, NULL), "{\"b\":[2,{\"c\":3}],\"d\":null}", "drop two apart");
    CHECK_STR(run("d:b d:d", L, 0, NULL), "{\"a\":1,\"c\":\"x\"}", "drop two apart, one last");
    CHECK_STR(run("d:d d:a d:c d:b", L, 0, NULL), "{}", "drop all, named in any order");
    CHECK_STR(run("d:a d:a", L, 0, NULL), "{\"b\":[2,{\"c\":3}],\"c\":\"x\",\"d\":null}", "a field dropped twice goes once");
    CHECK_STR(run("d:zz", L, 0, NULL), L, "drop of an absent field: line unchanged");
    CHECK_STR(run("d:b d:d", "{ \"a\" : 1 , \"b\" : 2 , \"c\" : 3 , \"d\" : 4 }", 0, NULL),
              "{ \"a\" : 1 , \"c\" : 3 }", "spaces around dropped members");
    CHECK_STR(run("d:a", "{ \"a\" : 1 , \"b\" : 2 }", 0, NULL), "{ \"b\" : 2 }", "spaces: first dropped");
    CHECK_STR(run("d:x.b", "{\"x\":{\"a\":1,\"b\":2},\"y\":3}", 0, NULL), "{\"x\":{\"a\":1},\"y\":3}", "nested drop, last in its object");
    CHECK_STR(run("d:x.a", "{\"x\":{\"a\":1,\"b\":2},\"y\":3}", 0, NULL), "{\"x\":{\"b\":2},\"y\":3}", "nested drop, first in its object");
    CHECK_STR(run("d:x.a", "{\"x\":{\"a\":1}}", 0, NULL), "{\"x\":{}}", "nested drop empties its object");
    CHECK_STR(run("d:x d:x.a", "{\"x\":{\"a\":1},\"y\":2}", 0, NULL), "{\"y\":2}", "a drop inside a dropped member is absorbed");
    CHECK_STR(run("d:ts", "{\"ts\":1,\"a\":2}", T0, NULL), "{\"a\":2}", "dropped time is not rewritten");

    /* renames */
    CHECK_STR(run("r:a=A", "{\"a\":1,\"b\":2}", 0, NULL), "{\"A\":1,\"b\":2}", "rename in place");
    CHECK_STR(run("r:a=b", "{\"a\":1,\"b\":2,\"c\":3}", 0, NULL), "{\"b\":1,\"c\":3}",
              "rename onto an existing name replaces it (its member is dropped)");
    CHECK_STR(run("r:b=a", "{\"a\":1,\"b\":2}", 0, NULL), "{\"a\":2}", "rename onto an existing earlier name replaces it");
    CHECK_STR(run("r:a=b", "{\"b\":2}", 0, NULL), "{\"b\":2}", "rename source absent: the target stays");
    CHECK_STR(run("r:a=b r:b=a", "{\"a\":1,\"b\":2}", 0, NULL), "{\"b\":1,\"a\":2}", "a=b,b=a swaps");
    CHECK_STR(run("r:a=b r:b=c", "{\"a\":1,\"b\":2}", 0, NULL), "{\"b\":1,\"c\":2}", "a chain a→b→c keeps both");
    CHECK_STR(run("r:x.a=z", "{\"x\":{\"a\":1,\"z\":0},\"z\":5}", 0, NULL), "{\"x\":{\"z\":1},\"z\":5}",
              "nested rename stays in its object and replaces the sibling there only");
    CHECK_STR(run("r:a=x.y", "{}", 0, NULL), "ERR:the new name is a member name, not a path (a rename stays in its object)",
              "a dotted new name is refused");
    CHECK_STR(run("r:a=c r:b=c", "{}", 0, NULL), "ERR:two fields are renamed to one name", "two renames to one name refused");
    CHECK_STR(run("r:a=b r:a=c", "{}", 0, NULL), "ERR:a field is renamed twice", "one field renamed twice refused");
    CHECK_STR(run("r:a=a", "{\"a\":1}", 0, NULL), "{\"a\":1}", "rename to itself is harmless");
    CHECK_STR(run("r:a=b d:a", "{\"a\":1,\"b\":2}", 0, NULL), "{\"b\":2}", "a dropped member is not renamed (nor its target dropped)");
    CHECK_STR(run("r:a\"q=n\\m", "{\"a\\\"q\":1}", 0, NULL), "{\"n\\\\m\":1}", "escaped names: matched unescaped, written escaped");
    CHECK_STR(run("r:a=b s:b=7", "{\"a\":1,\"b\":2,\"c\":3}", 0, NULL), "{\"c\":3,\"b\":7}",
              "rename onto a --set name: the set member wins, the line has b once");

    /* appended members */
    CHECK_STR(run("s:site=plant-1 s:n=3 s:f=true s:q=\"x\" s:o={}", "{\"n\":0,\"a\":1}", 0, NULL),
              "{\"a\":1,\"site\":\"plant-1\",\"n\":3,\"f\":true,\"q\":\"x\",\"o\":\"{}\"}",
              "set: scalars kept as written, the rest as strings, replacing a member");
    CHECK_STR(run("s:n=1", "{\"n\":0}", 0, NULL), "{\"n\":1}", "set replacing the only member");
    CHECK_STR(run("s:n=1", "{ }", 0, NULL), "{ \"n\":1}", "set into an empty object");
    CHECK_STR(run("p:at s:k=1", "{\"at\":0, \"v\":2 } ", 0, "\"at\":9"), "{\"v\":2 ,\"k\":1,\"at\":9} ",
              "replace: the caller's member after the set ones; text after the object kept");
    CHECK_STR(run("s:a.b=1", "{}", 0, NULL), "ERR:a member name, not a path (added members go at the top level)",
              "a dotted set name is refused");
    CHECK_STR(run("s:=1", "{}", 0, NULL), "ERR:not FIELD=VALUE", "set without a name is refused");

    /* all of it at once, result valid JSON */
    const char *all = run("r:Temp=temperature d:raw,secret d:raw d:secret s:site=p1 p:in",
                          "{\"raw\":\"x\" , \"ts\":\"2025-11-26T18:53:25Z\",\"Temp\":21.50,\"secret\":1,\"in\":0}",
                          T0, "\"in\":\"now\"");
    CHECK_STR(all, "{\"ts\":\"2025-11-26T18:53:25.000Z\",\"temperature\":21.50,\"site\":\"p1\",\"in\":\"now\"}",
              "drops, rename, time, set and extra together");
    CHECK(valid(all), "the combined result is valid JSON");
    return unit_done();
}
