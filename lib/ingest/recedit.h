/* recedit: edits of one record line that keep every untouched byte. A plan — the time value
 * replaced in place, members renamed in place, members dropped with their separators, members
 * appended before the closing brace — is compiled once from a tool's options and applied to each
 * line together with the values iot_rec_scan found in it. Everything the plan does not touch
 * (spacing, number spelling, member order, escapes) is copied byte for byte.
 *
 * Order of the edits, all judged on the input line:
 *   1. drops (iot_recedit_drop, and members replaced by iot_recedit_set / _replace) remove the
 *      member wherever it is; a dropped member takes everything inside it along (renames and the
 *      time inside it are not applied);
 *   2. renames change a member's name in place; a member already named NEW in the same object
 *      is replaced, i.e. dropped, unless another rename moves it away (a=b,b=a swaps);
 *      a rename to a name that --set/_replace appends drops the renamed member instead, so the
 *      output never holds one name twice;
 *   3. the time value is replaced in place by its RFC 3339 UTC millisecond text;
 *   4. the set members, then the caller's extra text, are appended before the final '}'.
 * Paths: drops and rename sources may be dotted paths (a.b reaches into object a); rename
 * targets, set and replaced names are plain member names (no '.'): a rename stays in its object,
 * set members go at the top level. */
#ifndef IOT_RECEDIT_H
#define IOT_RECEDIT_H
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/rec.h"

struct iot_recedit;

/* f: the caller's field set; the plan adds the fields it needs to it, so the caller scans with
 * iot_fields_count(f) values after its last call to this module. time_index: the field in f
 * whose value is the event time to rewrite, or -1 to leave times alone. Never fails. */
struct iot_recedit *iot_recedit_new(struct iot_fields *f, int time_index);

/* Each returns 0, or -1 with a static message in *why (the plan is unchanged then). */
/* Renames member old (name or dotted path) to new_ (plain name). Refused: an empty or dotted
 * new_, old renamed twice, two renames to one name in one object, more than 32 renames. */
int iot_recedit_rename(struct iot_recedit *e, const char *old, const char *new_, const char **why);
/* "OLD=NEW" as --rename takes it (one pair). Also refused: no '=' or an empty side. */
int iot_recedit_rename_arg(struct iot_recedit *e, const char *arg, const char **why);
/* Removes member path (name or dotted path). Refused: more than 32 drops. */
int iot_recedit_drop(struct iot_recedit *e, const char *path, const char **why);
/* Appends the top-level member "name":json (json: n bytes of valid JSON, copied), replacing a
 * member of that name. Refused: an empty or dotted name, more than 16 set/replaced names. */
int iot_recedit_set(struct iot_recedit *e, const char *name, const char *json, size_t n,
                    const char **why);
/* "NAME=VALUE" as --set takes it: VALUE is kept as written when it is a JSON scalar (number,
 * true, false, null, a quoted string), else it becomes a JSON string. Also refused: no '='. */
int iot_recedit_set_arg(struct iot_recedit *e, const char *arg, const char **why);
/* The caller appends top-level member name itself (through extra, below); the plan drops any
 * member of that name from the line. Same refusals as iot_recedit_set. */
int iot_recedit_replace(struct iot_recedit *e, const char *name, const char **why);

/* Applies the plan to line[0..len), a JSON object that iot_rec_scan accepted with f, its values
 * in vals. t: the event time to write (ns). extra: nextra bytes of members ("\"a\":1,\"b\":2",
 * no leading comma) appended after the set members; NULL/0 for none. out is reset and receives
 * the edited line, without a newline. Not thread-safe: e keeps a per-second time text cache. */
void iot_recedit_apply(struct iot_recedit *e, const char *line, size_t len,
                       const struct iot_val *vals, int64_t t, const char *extra, size_t nextra,
                       struct iot_buf *out);

/* Time text as apply writes it: "\"YYYY-MM-DDTHH:MM:SS.mmmZ\"", quotes included, in e's own
 * buffer (valid until the next call on e); *n gets its length. Consecutive calls within one
 * second reformat only the milliseconds. */
const char *iot_recedit_time_text(struct iot_recedit *e, int64_t t, size_t *n);

void iot_recedit_free(struct iot_recedit *e);
#endif
