/* prom: Prometheus text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/) written atomically to a
 * file, for node_exporter's textfile collector: the file is built under a hidden temporary
 * name in the same folder and renamed over the old one, so a scrape never sees half of it. */
#ifndef IOT_PROM_H
#define IOT_PROM_H
#include <stdint.h>
#include "buf.h"

struct iot_prom { struct iot_buf b; const char *tool; const char *last; };

/* Starts a document; tool is the value of the "tool" label of every sample. */
void iot_prom_begin(struct iot_prom *p, const char *tool);
/* One sample. type is "counter" or "gauge"; HELP and TYPE are written once per name (give
 * the samples of one name together). label/value: an extra label, or NULL. */
void iot_prom_sample(struct iot_prom *p, const char *name, const char *type, const char *help,
                     const char *label, const char *value, double v);
/* Writes the document to path atomically (exit 73/74 on failure, as out.c) and resets p. */
void iot_prom_commit(struct iot_prom *p, const char *path);
void iot_prom_free(struct iot_prom *p);
#endif
