/* Unit tests for lib/core/state.c: round trip, exact reals, refusal of corrupt/foreign/old files. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "core/diag.h"
#include "core/crc32c.h"
#include "core/state.h"

static char dir[] = "/tmp/iot-test-state-XXXXXX";
static char path[300];

static int load_status(const char *kind, int version)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        json_t *b = iot_state_load(path, kind, version);
        _exit(b ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    return WEXITSTATUS(st);
}

static void put(const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    iot_diag_init("test_state");
    /* check values: "123456789" (the catalogue's check), RFC 3720 B.4's 32 zeros and 32 0xff */
    unsigned char z[32] = {0}, f[32];
    memset(f, 0xff, sizeof f);
    CHECK(iot_crc32c(0, "123456789", 9) == 0xe3069283u, "crc32c check value");
    CHECK(iot_crc32c(0, z, 32) == 0x8a9136aau, "crc32c of 32 zero bytes (RFC 3720 B.4)");
    CHECK(iot_crc32c(0, f, 32) == 0x62a8ab43u, "crc32c of 32 0xff bytes (RFC 3720 B.4)");
    CHECK(iot_crc32c(iot_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u, "crc32c continues over pieces");
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/w.state", dir);
    CHECK(iot_state_load(path, "iot-window", 1) == NULL, "absent file: fresh start");
    json_t *body = json_object();
    json_object_set_new(body, "x", iot_json_real(0.1 + 0.2));
    json_object_set_new(body, "n", json_integer(INT64_MAX));
    json_object_set_new(body, "nan", iot_json_real(0.0 / 0.0));
    iot_state_save(path, "iot-window", 1, body);
    json_t *b = iot_state_load(path, "iot-window", 1);
    CHECK(b != NULL, "saved state loads");
    CHECK(iot_json_get_real(b, "x", 0) == 0.1 + 0.2, "real round-trips exactly");
    CHECK(iot_json_get_int(b, "n", 0) == INT64_MAX, "int64 round-trips");
    CHECK(json_is_null(json_object_get(b, "nan")), "NaN stored as null");
    json_decref(b);
    CHECK(load_status("iot-anomaly", 1) == 65, "another tool's state refused (65)");
    CHECK(load_status("iot-window", 2) == 65, "another version refused (65)");
    /* every one-byte change of a sealed file is refused */
    FILE *sf = fopen(path, "rb");
    char txt[4096];
    size_t tn = fread(txt, 1, sizeof txt, sf);
    fclose(sf);
    int refused = 0, tried = 0;
    for (size_t i = 0; i + 1 < tn; i++) {
        if (txt[i] < '0' || txt[i] > '9') continue;
        char keep = txt[i];
        txt[i] = keep == '9' ? '0' : keep + 1;
        FILE *w = fopen(path, "wb");
        fwrite(txt, 1, tn, w);
        fclose(w);
        txt[i] = keep;
        tried++;
        refused += load_status("iot-window", 1) == 65;
    }
    CHECK(tried > 10 && refused == tried, "each of %d one-digit changes refused (%d)", tried, refused);
    put("{\"iotkit_state\":\"iot-window\",\"version\":1,\"bo");
    CHECK(load_status("iot-window", 1) == 65, "truncated file refused (65), never reset");
    put("not json at all");
    CHECK(load_status("iot-window", 1) == 65, "garbage refused (65)");
    put("{\"hello\":1}");
    CHECK(load_status("iot-window", 1) == 65, "foreign JSON refused (65)");
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    system(cmd);
    return unit_done();
}
