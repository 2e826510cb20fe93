/* config_doc.h -- turning a YAML document into a config object: allocation, the file's name,
 * the config's own parser, cleanup on failure. Shared by the agent's and the controller's configs. */
#ifndef ALFUP_CONFIG_DOC_H
#define ALFUP_CONFIG_DOC_H

#include <stddef.h>

#include "alfup_error.h"
#include "yaml_doc.h"

/* What config_from_doc needs to know of one kind of config. */
typedef struct {
    size_t size;        /* sizeof the config struct, allocated zeroed */
    size_t path_offset; /* offsetof its `char *path`, set to the document's name */
    /* Fills config from the document's root: ALFUP_OK, or ALFUP_ERR with err naming FILE:LINE. */
    int (*parse_root)(const yaml_doc_node_t *root, void *config, alfup_err_t *err);
    void (*destroy)(void *config); /* frees a config, also one parse_root left half-filled */
} config_kind_t;

/* Takes ownership of doc (NULL: a load that failed, err already set, NULL returned) and
 * destroys it. Returns a new config of that kind (free it with its own destroy), or NULL with
 * err set when memory runs out or parse_root refuses. */
void *config_from_doc(yaml_doc_t *doc, const config_kind_t *kind, alfup_err_t *err);

#endif
