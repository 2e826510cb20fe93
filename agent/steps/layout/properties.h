/* properties.h -- a Java .properties file kept line by line: parse, look up, merge, render. */
#ifndef ALFUP_PROPERTIES_H
#define ALFUP_PROPERTIES_H

#include <stddef.h>

#include "alfup_error.h"
#include "kv_list.h"
#include "str_list.h"

/* Files larger than this, or with more lines, are refused. */
#define PROPS_MAX_BYTES (4u * 1024u * 1024u)
#define PROPS_MAX_LINES 200000u

/* A parsed file: every blank, comment and property entry in file order, each
 * with its original text, so a file can be written back unchanged. */
typedef struct props props_t;

/* Parses len bytes of .properties text (Java syntax: '#'/'!' comments,
 * key=value, key:value and "key value", trailing-backslash continuations,
 * \t \n \r \f \uXXXX and \X escapes). name is used in messages. Returns a new
 * object (free with props_destroy), or NULL with err naming the file and line
 * (text too large, too many lines, malformed \u escape, out of memory). */
props_t *props_parse(const char *text, size_t len, const char *name, alfup_err_t *err);

/* Frees the object and sets *props_p to NULL. Tolerates NULL. */
void props_destroy(props_t **props_p);

/* The decoded value of key (the last definition wins, as in Java), or NULL.
 * The object keeps ownership. */
const char *props_get(const props_t *props, const char *key);

/* The number of property definitions (duplicates counted), and the i-th one's
 * decoded key and value in file order (NULL when i is out of range). */
size_t props_count(const props_t *props);
const char *props_key_at(const props_t *props, size_t i);
const char *props_value_at(const props_t *props, size_t i);

/* The file's text again: the original lines, each ended by the file's own line
 * ending. Returns a new NUL-terminated buffer (caller frees) and its length in
 * *len, or NULL when out of memory. */
char *props_render(const props_t *props, size_t *len);

/* Writes key=value in .properties syntax (escaping what needs escaping;
 * non-ASCII UTF-8 becomes \uXXXX) into a new string (caller frees). Returns
 * NULL when value is not valid UTF-8 or out of memory. */
char *props_encode_line(const char *key, const char *value);

/* What a merge did: the keys (never the values: they may be passwords). */
typedef struct props_merge_outcome {
    str_list_t carried;   /* from the old file, absent in the new one: appended */
    str_list_t replaced;  /* from the old file, different in the new one: replaced in place */
    str_list_t set;       /* given explicitly: replaced in place, or appended */
} props_merge_outcome_t;

/* Merges the overrides of old_props into new_props's text. Keys of the old
 * file that are absent from the new one are appended in a block opened by the
 * comment line marker (with the comment lines that preceded them in the old
 * file); keys whose value differs are replaced in place; every key in set
 * (key -> decoded value) takes that value, in place when the new file has it,
 * else in the block. The new file's other lines, comments and order are kept.
 * Returns ALFUP_OK with *text (caller frees) and *len, the outcome filled
 * (caller clears it with props_merge_outcome_clear), or ALFUP_ERR with err. */
int props_merge(const props_t *old_props, const props_t *new_props, const kv_list_t *set,
                const char *marker, char **text, size_t *len, props_merge_outcome_t *outcome,
                alfup_err_t *err);

/* Frees the outcome's lists. */
void props_merge_outcome_clear(props_merge_outcome_t *outcome);

#endif
