/* spool: framing, order, commit and resume, torn tail, bound. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/diag.h"
#include "route/spool.h"
#include "core/crc32c.h"
#include "unit.h"

static int next_str(struct iot_spool *sp, struct iot_buf *b, struct iot_spool_pos *end)
{
    int r = iot_spool_next(sp, b, end);
    if (r == 1) iot_buf_addc(b, 0), b->len--;
    return r;
}

int main(void)
{
    iot_diag_init("test_spool");
    CHECK(iot_crc32c(0, "123456789", 9) == 0xE3069283u, "CRC-32C check value of \"123456789\" (RFC 3720 B.4)");
    char dir[] = "/tmp/test_spool.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char sdir[64], cmd[160], err[256];
    snprintf(sdir, sizeof sdir, "%s/s", dir);
    struct iot_spool *sp = iot_spool_open(sdir, 0, err, sizeof err);
    CHECK(sp != NULL, "opens a new folder");
    char rec[64];
    for (int i = 0; i < 100; i++) {
        int n = snprintf(rec + 2, sizeof rec - 2, "rec-%d", i);
        rec[0] = 't', rec[1] = 0;
        iot_spool_append(sp, rec, (size_t)n + 2);
    }
    CHECK(iot_spool_records(sp) == 100, "100 records held");
    struct iot_buf b = { 0 };
    struct iot_spool_pos end;
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        ok &= next_str(sp, &b, &end) == 1;
        snprintf(rec, sizeof rec, "rec-%d", i);
        ok &= b.len > 2 && strcmp(b.p + 2, rec) == 0;
    }
    CHECK(ok, "records come back in order with their bytes");
    CHECK(iot_spool_commit(sp, end, 40) == 0 && iot_spool_records(sp) == 60, "commit of 40 leaves 60");
    next_str(sp, &b, &end);
    iot_spool_rewind(sp);
    CHECK(next_str(sp, &b, &end) == 1 && strcmp(b.p + 2, "rec-40") == 0, "rewind goes back to the committed position");
    iot_spool_close(sp);
    /* a crash mid-append: half a frame at the end */
    snprintf(cmd, sizeof cmd, "printf '\\050\\000\\000\\000xyz' >> %s/00000000000000000001.spool", sdir);
    CHECK(system(cmd) == 0, "tear the tail");
    sp = iot_spool_open(sdir, 0, err, sizeof err);
    CHECK(sp && iot_spool_records(sp) == 60 && iot_spool_corrupt(sp) == 1, "reopen resumes at 60, the torn record cut and counted");
    CHECK(next_str(sp, &b, &end) == 1 && strcmp(b.p + 2, "rec-40") == 0, "resume starts after the committed position");
    iot_spool_append(sp, "t\0new", 5);
    int n = 1;
    while (next_str(sp, &b, &end) == 1) n++;
    CHECK(n == 61 && strcmp(b.p + 2, "new") == 0, "a record appended after the cut follows the old ones");
    CHECK(iot_spool_commit(sp, end, 61) == 0 && iot_spool_records(sp) == 0 && !iot_spool_unread(sp), "all committed: empty");
    iot_spool_close(sp);
    /* bound */
    snprintf(sdir, sizeof sdir, "%s/b", dir);
    sp = iot_spool_open(sdir, 1000, err, sizeof err);
    int full = 0, kept = 0;
    for (int i = 0; i < 100; i++) {
        int r = iot_spool_append(sp, "t\0abcdefghijklmnopqrstuvwxyz0123456789", 39);
        if (r == 1) full++; else if (r == 0) kept++;
    }
    CHECK(kept == 21 && full == 79 && iot_spool_bytes(sp) <= 1000, "a bounded spool refuses what does not fit (%d kept)", kept);
    iot_spool_close(sp);
    /* several segments: order across them, consumed ones removed at commit, resume after reopen */
    snprintf(sdir, sizeof sdir, "%s/m", dir);
    sp = iot_spool_open(sdir, 100000, err, sizeof err);
    for (int i = 0; i < 1500; i++) {
        int k = snprintf(rec + 2, sizeof rec - 2, "%08d-abcdefghijklmnopqrstuvwxyz0123", i);
        rec[0] = 't', rec[1] = 0;
        iot_spool_append(sp, rec, (size_t)k + 2);
    }
    snprintf(cmd, sizeof cmd, "test $(ls %s/*.spool | wc -l) -ge 3", sdir);
    CHECK(system(cmd) == 0, "1500 records of 47 bytes under a 100000-byte bound take several segments");
    ok = 1;
    for (int i = 0; i < 1000; i++) ok &= next_str(sp, &b, &end) == 1 && atoi(b.p + 2) == i;
    CHECK(ok, "read in order across segments");
    CHECK(iot_spool_commit(sp, end, 1000) == 0 && iot_spool_records(sp) == 500, "commit across segments");
    snprintf(cmd, sizeof cmd, "test $(ls %s/*.spool | wc -l) -le 2", sdir);
    CHECK(system(cmd) == 0, "consumed segments are removed");
    iot_spool_close(sp);
    sp = iot_spool_open(sdir, 100000, err, sizeof err);
    ok = iot_spool_records(sp) == 500;
    for (int i = 1000; i < 1500; i++) ok &= next_str(sp, &b, &end) == 1 && atoi(b.p + 2) == i;
    CHECK(ok && next_str(sp, &b, &end) == 0, "reopened: the other 500 in order, then the end");
    iot_spool_close(sp);
    iot_buf_free(&b);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return unit_done();
}
