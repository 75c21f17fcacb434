/* Unit tests for lib/csvin: CSV rows to NDJSON. */
#include <stdlib.h>
#include "unit.h"
#include "ingest/csvin.h"

static struct iot_buf out;
static const char *err;

/* Feeds text line by line (split at \n); returns the records joined by \n, errors as "ERR:why". */
static const char *feed(struct iot_csvin *c, const char *text)
{
    static struct iot_buf all;
    iot_buf_reset(&all);
    iot_buf_adds(&all, "");
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int r = iot_csvin_line(c, p, n, &out, &err);
        if (r == 1) { iot_buf_add(&all, out.p, out.len); iot_buf_addc(&all, '\n'); }
        if (r < 0) { iot_buf_adds(&all, "ERR:"); iot_buf_adds(&all, err); iot_buf_addc(&all, '\n'); }
        p += n + (e ? 1 : 0);
    }
    if (iot_csvin_finish(c, &err) < 0) { iot_buf_adds(&all, "ERR:"); iot_buf_adds(&all, err); iot_buf_addc(&all, '\n'); }
    return all.p;
}

int main(void)
{
    struct iot_csvin *c = iot_csvin_new(',', NULL, 0, 0);
    CHECK_STR(feed(c, "deviceId,temperature,ok\nd1,21.5,yes\nd2,-3e2,\n"),
              "{\"deviceId\":\"d1\",\"temperature\":21.5,\"ok\":\"yes\"}\n"
              "{\"deviceId\":\"d2\",\"temperature\":-3e2}\n", "header, numbers typed, empty cells absent");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "\xEF\xBB\xBFid,note\n\"a,1\",\"say \"\"hi\"\"\"\n"),
              "{\"id\":\"a,1\",\"note\":\"say \\\"hi\\\"\"}\n", "BOM skipped, quoted comma, doubled quotes");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "id,note\nx,\"line one\nline two\"\ny,z\n"),
              "{\"id\":\"x\",\"note\":\"line one\\nline two\"}\n{\"id\":\"y\",\"note\":\"z\"}\n",
              "embedded newline spans two lines");
    CHECK(iot_csvin_first_line(c) == 4, "first line of the last row is 4");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "a,b\n1,2,3\n4\n5,6\n"),
              "ERR:ragged row: 3 fields, header has 2\nERR:ragged row: 1 fields, header has 2\n{\"a\":5,\"b\":6}\n",
              "ragged rows are errors, the next row is fine");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "a,b\n1,\"open\n"), "ERR:unterminated quoted field at end of file\n",
              "unterminated quote at end of file");
    size_t rl;
    const char *raw = iot_csvin_raw(c, &rl);
    CHECK(rl == 7 && memcmp(raw, "1,\"open", 7) == 0, "raw text of the bad row kept");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "a,b\n\xff,1\n"), "ERR:invalid UTF-8\n", "bad UTF-8 rejected");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "a,b\n007,1.\n-0,.5\n"),
              "{\"a\":\"007\",\"b\":\"1.\"}\n{\"a\":-0,\"b\":\".5\"}\n", "only JSON numbers are numbers");
    iot_csvin_reset(c);
    CHECK_STR(feed(c, "a,b,c\n 1 ,\tx y ,\n\"q\"\"\",\"\",\"2\"\n"),
              "{\"a\":1,\"b\":\"x y\"}\n{\"a\":\"q\\\"\",\"c\":2}\n",
              "spaces trimmed around unquoted cells, trailing empty cell, doubled quote, quoted number");
    iot_csvin_free(c);

    char *cols[] = { "deviceId", "t" };
    c = iot_csvin_new(';', cols, 2, 0);
    CHECK_STR(feed(c, "d1;5\n\nd2;6\n"), "{\"deviceId\":\"d1\",\"t\":5}\n{\"deviceId\":\"d2\",\"t\":6}\n",
              "--csv-columns, ';' delimiter, blank line skipped");
    iot_csvin_free(c);

    CHECK(iot_csvin_is_number("1e5", 3) && !iot_csvin_is_number("1e", 2) && !iot_csvin_is_number("+1", 2),
          "number grammar");
    CHECK(iot_csvin_utf8_ok("\xc3\xa9", 2) && !iot_csvin_utf8_ok("\xc3", 1) &&
          !iot_csvin_utf8_ok("\xed\xa0\x80", 3) && !iot_csvin_utf8_ok("\xc0\x80", 2), "utf-8 checks");
    /* bound fields: the values filled while writing equal a scan of the record */
    {
        struct iot_fields *f = iot_fields_new();
        const char *names[] = { "id", "t", "note", "a.b", "dup", "none", "a" };
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            iot_fields_add(f, names[i]);
        int nf = iot_fields_count(f);
        struct iot_val got[8], want[8];
        const char *text[] = {
            "id,t,note,a.b,dup,a,dup\n",
            "d1,5,plain,x,1,7,2\n",
            "\"d,2\",-1.5e3,\"say \"\"hi\"\"\",y,,8,\n",
            "d3, 07 ,\"tab\there\",z,\"3\",,4\n",
            "d4,1,\"two\nlines\",w,5,\"\xc3\xa9\",6\n",
            "d5,,,,,,\n",
        };
        c = iot_csvin_new(',', NULL, 0, 0);
        iot_csvin_bind(c, f, got);
        int same = 1, records = 0;
        for (size_t i = 0; i < sizeof text / sizeof *text; i++) {
            const char *p = text[i];
            while (*p) {
                const char *e = strchr(p, '\n');
                if (iot_csvin_line(c, p, (size_t)(e - p), &out, &err) == 1) {
                    records++;
                    const char *serr;
                    if (iot_rec_scan(f, out.p, out.len, want, &serr) != 0) {
                        same = 0;
                        break;
                    }
                    for (int k = 0; k < nf; k++)
                        if (got[k].type != want[k].type || got[k].n != want[k].n ||
                            (got[k].type && (got[k].p != want[k].p || got[k].member_off != want[k].member_off ||
                                             got[k].esc != want[k].esc))) {
                            same = 0;
                            printf("# record %s: field %s differs\n", out.p, names[k]);
                        }
                }
                p = e + 1;
            }
        }
        CHECK(same && records == 5, "bound values equal iot_rec_scan's (quotes, escapes, numbers, empty cells, duplicate columns, dotted paths absent)");
        iot_csvin_free(c);
        iot_fields_free(f);
    }
    /* a header cell with a NUL byte is not the column of the name before the NUL (found by fuzz_csv) */
    {
        struct iot_fields *f = iot_fields_new();
        iot_fields_add(f, "id");
        struct iot_val got[1], want[1];
        c = iot_csvin_new(',', NULL, 0, 0);
        iot_csvin_bind(c, f, got);
        const char *serr;
        int r0 = iot_csvin_line(c, "id\0x,t", 6, &out, &err);
        int r1 = iot_csvin_line(c, "d1,5", 4, &out, &err);
        CHECK(r0 == 0 && r1 == 1 && iot_rec_scan(f, out.p, out.len, want, &serr) == 0 &&
              want[0].type == IOT_J_ABSENT && got[0].type == IOT_J_ABSENT,
              "column \"id\\0x\" does not fill field id (bound value equals the scan's: absent)");
        iot_csvin_free(c);
        iot_fields_free(f);
    }
    /* cells that libcsv unquotes are checked one by one: two invalid halves of a UTF-8 sequence
     * in adjacent cells join into a valid one once the quote and delimiter are gone (fuzz_csv) */
    {
        c = iot_csvin_new(',', NULL, 0, 0);
        int h = iot_csvin_line(c, "a,b", 3, &out, &err);
        int r = iot_csvin_line(c, "\"x\"\"\xcc\",\xa8y", 9, &out, &err);
        CHECK(h == 0 && r == -1 && strcmp(err, "invalid UTF-8") == 0,
              "row whose cells are invalid UTF-8 only apart is refused (libcsv path)");
        iot_csvin_reset(c);
        r = iot_csvin_line(c, "\"x\"\"\xcc\",\xa8y", 9, &out, &err);
        CHECK(r == -1, "header whose names are invalid UTF-8 only apart is refused");
        iot_csvin_free(c);
    }
    iot_buf_free(&out);
    return unit_done();
}
