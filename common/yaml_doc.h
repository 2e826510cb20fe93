/* yaml_doc.h -- a bounded YAML tree with line numbers and typed getters, for config files. */
#ifndef ALFUP_YAML_DOC_H
#define ALFUP_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "alfup_error.h"
#include "str_list.h"

/* Limits applied while loading; input beyond them is refused, never truncated. */
#define YAML_DOC_MAX_BYTES (1024u * 1024u) /* text size */
#define YAML_DOC_MAX_DEPTH 32u             /* nested sequences and mappings */
#define YAML_DOC_MAX_NODES 20000u          /* scalars, sequences and mappings together */

/* The names are prefixed yaml_doc_ because libyaml owns the plain yaml_ prefix. */
typedef struct yaml_doc yaml_doc_t;
typedef struct yaml_doc_node yaml_doc_node_t;

typedef enum yaml_doc_kind {
    YAML_DOC_SCALAR,
    YAML_DOC_SEQUENCE,
    YAML_DOC_MAPPING
} yaml_doc_kind_t;

/* Flags for the getters below. */
#define YAML_DOC_REQUIRED 0x1u  /* an absent (or null) key is an error */
#define YAML_DOC_SCALAR_OK 0x2u /* string lists: a single string counts as a one-item list */
#define YAML_DOC_NON_EMPTY 0x4u /* string lists: an empty list is an error */

/* Returned by the yaml_doc_get_* getters when an optional key is absent or null. */
#define YAML_DOC_ABSENT 1

/* Parses len bytes of YAML text; name (a file name) prefixes every message.
 * Refuses: more than YAML_DOC_MAX_BYTES, nesting deeper than YAML_DOC_MAX_DEPTH,
 * more than YAML_DOC_MAX_NODES nodes, anchors and aliases, explicit tags, an
 * empty stream, more than one document, keys that are not scalars, duplicate
 * keys, and NUL bytes inside scalars. Returns a new document, or NULL with err
 * as "NAME:LINE: problem". Free with yaml_doc_destroy. */
yaml_doc_t *yaml_doc_load(const char *text, size_t len, const char *name, alfup_err_t *err);

/* Reads the file at path (at most YAML_DOC_MAX_BYTES) and loads it, with path
 * as the name. Same contract as yaml_doc_load; a missing file is an error. */
yaml_doc_t *yaml_doc_load_file(const char *path, alfup_err_t *err);

/* Frees the document and every node in it; sets *doc_p to NULL. Tolerates NULL. */
void yaml_doc_destroy(yaml_doc_t **doc_p);

/* The name given to yaml_doc_load. */
const char *yaml_doc_name(const yaml_doc_t *doc);

/* The top-level node (never NULL for a loaded document). Nodes live as long
 * as their document. */
const yaml_doc_node_t *yaml_doc_root(const yaml_doc_t *doc);

/* --- Reading nodes -------------------------------------------------------- */

yaml_doc_kind_t yaml_doc_kind(const yaml_doc_node_t *node);

/* 1-based position used in messages: for a mapping value, where its key is;
 * otherwise where the node starts. */
unsigned yaml_doc_line(const yaml_doc_node_t *node);
unsigned yaml_doc_column(const yaml_doc_node_t *node);

/* true for a plain empty scalar, "~" and "null" (any case as in YAML 1.2 core). */
bool yaml_doc_is_null(const yaml_doc_node_t *node);

/* The text of a scalar (NUL-terminated, no NUL inside), or NULL for a collection. */
const char *yaml_doc_scalar(const yaml_doc_node_t *node);

/* Entries of a mapping or items of a sequence; 0 for a scalar. */
size_t yaml_doc_count(const yaml_doc_node_t *node);

/* Item i of a sequence, or NULL when node is not a sequence or i is out of range. */
const yaml_doc_node_t *yaml_doc_item(const yaml_doc_node_t *node, size_t i);

/* Key / value of entry i of a mapping in document order, or NULL when node is
 * not a mapping or i is out of range. */
const char *yaml_doc_key(const yaml_doc_node_t *node, size_t i);
const yaml_doc_node_t *yaml_doc_value(const yaml_doc_node_t *node, size_t i);

/* The value under key in a mapping, or NULL when absent or node is not a mapping. */
const yaml_doc_node_t *yaml_doc_get(const yaml_doc_node_t *node, const char *key);

/* --- Errors ---------------------------------------------------------------- */

/* Fills err with "NAME:LINE: key 'PATH': MESSAGE", where PATH names the node
 * from the root (services.alfresco-v1.failed[1]); for the root node itself,
 * "NAME:LINE: MESSAGE". Returns ALFUP_ERR. */
int yaml_doc_error(const yaml_doc_node_t *node, alfup_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails with "expected a mapping" (etc.) unless node is of kind. 0 or ALFUP_ERR. */
int yaml_doc_expect(const yaml_doc_node_t *node, yaml_doc_kind_t kind, alfup_err_t *err);

/* Fails at the first key of the mapping that is not in known (a NULL-terminated
 * array): "NAME:LINE: key 'tls.cat': unknown key (known: ca, cert, key, crl)".
 * 0 or ALFUP_ERR (also when node is not a mapping). */
int yaml_doc_check_keys(const yaml_doc_node_t *node, const char *const *known, alfup_err_t *err);

/* --- Converting a node ----------------------------------------------------- */
/* Each returns 0 with *out set, or ALFUP_ERR with err naming the node; *out is
 * untouched on failure. A null node is not a value ("expected a string"). */

/* Any non-null scalar; *out is a new copy the caller frees. */
int yaml_doc_to_string(const yaml_doc_node_t *node, char **out, alfup_err_t *err);

/* Decimal digits only, between min and max inclusive. */
int yaml_doc_to_uint(const yaml_doc_node_t *node, unsigned min, unsigned max, unsigned *out,
                     alfup_err_t *err);

/* true / false (also True, TRUE, False, FALSE). */
int yaml_doc_to_bool(const yaml_doc_node_t *node, bool *out, alfup_err_t *err);

/* A sequence of non-null scalars (flags: YAML_DOC_SCALAR_OK, YAML_DOC_NON_EMPTY).
 * On success the old content of *out is cleared and replaced. */
int yaml_doc_to_string_list(const yaml_doc_node_t *node, unsigned flags, str_list_t *out,
                            alfup_err_t *err);

/* --- Getting a key of a mapping -------------------------------------------- */
/* Each looks key up in map and converts its value as above. Returns 0 when
 * set, YAML_DOC_ABSENT when the key is absent or null and YAML_DOC_REQUIRED is
 * not in flags (*out untouched: preset defaults survive), or ALFUP_ERR:
 * "NAME:LINE: key 'tls': missing required key 'ca'", or a conversion error. */

int yaml_doc_get_string(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                        alfup_err_t *err);
int yaml_doc_get_uint(const yaml_doc_node_t *map, const char *key, unsigned flags, unsigned min,
                      unsigned max, unsigned *out, alfup_err_t *err);
int yaml_doc_get_bool(const yaml_doc_node_t *map, const char *key, unsigned flags, bool *out,
                      alfup_err_t *err);
int yaml_doc_get_string_list(const yaml_doc_node_t *map, const char *key, unsigned flags,
                             str_list_t *out, alfup_err_t *err);

/* The value under key, which must be of kind (a nested mapping or list);
 * *out is a node of the document, not a copy. */
int yaml_doc_get_node(const yaml_doc_node_t *map, const char *key, unsigned flags,
                      yaml_doc_kind_t kind, const yaml_doc_node_t **out, alfup_err_t *err);

#endif
