/* assets: the asset registry (digital twin) joined on the record key. Loaded once from NDJSON
 * (one object per asset) or CSV with a header (as iot-sim --assets writes), by extension
 * (.csv, .csv.zst) or else by content. */
#ifndef IOT_ASSETS_H
#define IOT_ASSETS_H
#include <stddef.h>
#include <stdint.h>
#include <stddef.h>

struct iot_assets;

/* keys: the key field names (as -k); an asset without them is an error. prefix: NULL adds the
 * asset's other fields as one member "asset":{...}; a string (possibly empty) adds them at top
 * level, each name prefixed. Errors (cannot open: exit 66; a bad line: exit 65 with
 * "prog: path:line: why"). Duplicate keys: the last line wins. */
struct iot_assets *iot_assets_load(const char *path, char **keys, int nkeys, const char *prefix);

/* The members to append for the record key (key form as iot_key_build builds it: values joined
 * by '\x1f'): JSON text like "\"asset\":{\"model\":\"P-100\"}" without a leading comma, or
 * NULL if the key is not in the registry. *len gets its length; an asset with no other field
 * gives "" (len 0). */
/* One appended member: json[off, off+len) is "name":value; name indexes iot_assets_members. */
struct iot_asset_member { int name; uint32_t off, len; };
const char *iot_assets_find(const struct iot_assets *a, const char *key, size_t klen, size_t *len,
                            const struct iot_asset_member **m, int *nm);
/* The member names a registry appends (prefixed; "asset" without a prefix), NULL-terminated,
 * owned by a. A record that has a member of such a name keeps its own (the caller skips the
 * asset's), so no name is written twice. */
const char *const *iot_assets_members(const struct iot_assets *a, int *n);
size_t iot_assets_count(const struct iot_assets *a);
void iot_assets_free(struct iot_assets *a);
#endif
