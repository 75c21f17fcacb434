/* devdb: the device-state store in SQLite (schema version 1, written in iot-state(1)):
 * WAL mode so readers see the last committed batch while the writer goes on; every write is a
 * bound-parameter upsert inside one transaction per batch; a failed batch is rolled back, so the
 * file always holds the state after some prefix of the input. */
#ifndef IOT_DEVDB_H
#define IOT_DEVDB_H
#include <stdbool.h>
#include "devstate.h"

#define IOT_DEVDB_SCHEMA 1
struct iot_devdb;
/* Opens or creates path and its schema. readonly: for queries (no schema written). Exits 66
 * (readonly and absent), 73 (cannot create, locked, read-only file), 74 (corrupt, I/O) or 65
 * (another schema version or key) with the file's name. key: the -k text, recorded in meta. */
struct iot_devdb *iot_devdb_open(const char *path, const char *key, bool readonly);
/* Loads the stored state into s (all devices, or the one whose key bytes are only/olen). */
void iot_devdb_load(struct iot_devdb *db, struct iot_devstate *s, const char *only, size_t olen);
/* Writes every dirty device of s in one transaction and cleans s. Exits 74 (73 when locked)
 * on failure after rolling the transaction back. */
void iot_devdb_commit(struct iot_devdb *db, struct iot_devstate *s);
void iot_devdb_close(struct iot_devdb *db);
#endif
