#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "key.h"

char **iot_key_names(const char *spec, int *n)
{
    if (!spec || !*spec) spec = "deviceId";
    if (strcmp(spec, "none") == 0) {
        *n = 0;
        return iot_xcalloc(1, sizeof(char *));
    }
    return iot_split(spec, ',', n);
}

int *iot_key_fields(struct iot_fields *f, const char *spec, int *n)
{
    char **names = iot_key_names(spec, n);
    int *idx = iot_xcalloc((size_t)*n + 1, sizeof *idx);
    for (int i = 0; i < *n; i++) idx[i] = iot_fields_add(f, names[i]);
    iot_strv_free(names);
    return idx;
}

void iot_key_part(const struct iot_val *v, struct iot_buf *b)
{
    switch (v->type) {
    case IOT_J_ABSENT:
        iot_buf_add(b, "\x1enull", 5);
        break;
    case IOT_J_STR:
        if (!v->esc) iot_buf_add(b, v->p + 1, v->n - 2);
        else iot_val_str(v, b);
        break;
    default:
        iot_buf_addc(b, '\x1e');
        iot_buf_add(b, v->p, v->n);
    }
}

int iot_key_build(struct iot_buf *b, const struct iot_val *vals, const int *idx, int n)
{
    int present = n == 0;
    iot_buf_reset(b);
    iot_buf_add(b, "", 0);
    for (int i = 0; i < n; i++) {
        const struct iot_val *v = &vals[idx[i]];
        if (i) iot_buf_addc(b, '\x1f');
        iot_key_part(v, b);
        present += v->type != IOT_J_ABSENT && v->type != IOT_J_NULL;
    }
    return present;
}

int iot_key_view(struct iot_buf *b, const struct iot_val *vals, const int *idx, int n,
                 const char **key, size_t *klen)
{
    if (n == 1) {
        const struct iot_val *v = &vals[idx[0]];
        if (v->type == IOT_J_STR && !v->esc) {
            *key = v->p + 1;
            *klen = v->n - 2;
            return 1;
        }
    }
    int present = iot_key_build(b, vals, idx, n);
    *key = b->p;
    *klen = b->len;
    return present;
}

int iot_key_json(struct iot_buf *b, const char *key, size_t klen, int i)
{
    const char *p = key, *e = key + klen;
    for (; i > 0; i--) {
        const char *q = memchr(p, '\x1f', (size_t)(e - p));
        if (!q) return -1;
        p = q + 1;
    }
    const char *q = memchr(p, '\x1f', (size_t)(e - p));
    if (!q) q = e;
    if (p < q && *p == '\x1e') iot_buf_add(b, p + 1, (size_t)(q - p - 1));
    else iot_buf_json_str(b, p, (size_t)(q - p));
    return 0;
}
