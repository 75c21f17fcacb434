/* prom: exposition text with escaped label values, published through out.c's atomic files. */
#include <string.h>
#include "out.h"
#include "prom.h"

void iot_prom_begin(struct iot_prom *p, const char *tool)
{
    iot_buf_reset(&p->b);
    p->tool = tool;
    p->last = NULL;
}

/* label values escape \, " and newline (the format's rule) */
static void label_value(struct iot_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') { iot_buf_addc(b, '\\'); iot_buf_addc(b, *s); }
        else if (*s == '\n') iot_buf_adds(b, "\\n");
        else iot_buf_addc(b, *s);
    }
}

void iot_prom_sample(struct iot_prom *p, const char *name, const char *type, const char *help,
                     const char *label, const char *value, double v)
{
    if (!p->last || strcmp(p->last, name) != 0) {
        iot_buf_addf(&p->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
        p->last = name;
    }
    iot_buf_addf(&p->b, "%s{tool=\"", name);
    label_value(&p->b, p->tool);
    if (label) {
        iot_buf_addf(&p->b, "\",%s=\"", label);
        label_value(&p->b, value);
    }
    char num[32];
    int n = iot_fmt_double(num, v);
    iot_buf_adds(&p->b, "\"} ");
    iot_buf_add(&p->b, n == 4 && memcmp(num, "null", 4) == 0 ? "NaN" : num, n == 4 && memcmp(num, "null", 4) == 0 ? 3 : (size_t)n);
    iot_buf_addc(&p->b, '\n');
}

void iot_prom_commit(struct iot_prom *p, const char *path)
{
    struct iot_out *o = iot_out_open(path, IOT_OUT_ATOMIC | IOT_OUT_NOZSTD);
    iot_out_write(o, p->b.p ? p->b.p : "", p->b.len);
    iot_out_close(o);
    iot_prom_begin(p, p->tool);
}

void iot_prom_free(struct iot_prom *p) { iot_buf_free(&p->b); }
