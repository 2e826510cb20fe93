/* yaml_doc_internal.h -- node layout shared by yaml_doc.c (loading) and yaml_doc_get.c. */
#ifndef ALFUP_YAML_DOC_INTERNAL_H
#define ALFUP_YAML_DOC_INTERNAL_H

#include "yaml_doc.h"

struct yaml_doc_node {
    const yaml_doc_t *doc;
    const yaml_doc_node_t *parent;
    const char *key;            /* this node's key in its parent mapping (owned by the parent) */
    size_t index;               /* this node's position in its parent sequence */
    yaml_doc_kind_t kind;
    unsigned line;              /* 1-based; a mapping value's is its key's */
    unsigned column;
    bool is_null;
    char *scalar;               /* YAML_DOC_SCALAR only */
    yaml_doc_node_t **children; /* sequence items, or mapping values */
    char **keys;                /* mapping keys, parallel to children */
    size_t count;
    size_t capacity;
};

struct yaml_doc {
    char *name;
    yaml_doc_node_t *root;
    size_t node_count;
};

#endif
