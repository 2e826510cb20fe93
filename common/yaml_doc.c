/* yaml_doc.c -- building a bounded yaml_doc tree from libyaml's event stream. */
#include "yaml_doc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "file_util.h"
#include "yaml_doc_internal.h"

/* What the event loop carries between events. */
typedef struct builder {
    yaml_doc_t *doc;
    yaml_doc_node_t *stack[YAML_DOC_MAX_DEPTH]; /* open sequences and mappings */
    size_t depth;
    char *pending_key;       /* a mapping key waiting for its value */
    unsigned key_line;
    unsigned key_column;
    unsigned documents;
    alfup_err_t *err;
} builder_t;

static unsigned mark_line(yaml_mark_t mark)
{
    return mark.line >= UINT32_MAX - 1 ? UINT32_MAX : (unsigned)mark.line + 1;
}

static unsigned mark_column(yaml_mark_t mark)
{
    return mark.column >= UINT32_MAX - 1 ? UINT32_MAX : (unsigned)mark.column + 1;
}

/* Stream-level problems, before a node can be named. */
static int fail_at(builder_t *b, yaml_mark_t mark, const char *problem)
{
    return alfup_err_set(b->err, "%s:%u: %s", b->doc->name, mark_line(mark), problem);
}

static void node_free(yaml_doc_node_t *node)
{
    if (node == NULL)
        return;
    for (size_t i = 0; i < node->count; i++) {
        node_free(node->children[i]);
        if (node->keys != NULL)
            free(node->keys[i]);
    }
    free(node->children);
    free(node->keys);
    free(node->scalar);
    free(node);
}

void yaml_doc_destroy(yaml_doc_t **doc_p)
{
    if (doc_p == NULL || *doc_p == NULL)
        return;
    node_free((*doc_p)->root);
    free((*doc_p)->name);
    free(*doc_p);
    *doc_p = NULL;
}

/* Appends child (and, for a mapping, its key, whose ownership moves) to parent. */
static int append_child(yaml_doc_node_t *parent, yaml_doc_node_t *child, char *key)
{
    if (parent->count == parent->capacity) {
        size_t capacity = parent->capacity ? parent->capacity * 2 : 4;
        yaml_doc_node_t **children = realloc(parent->children, capacity * sizeof *children);
        if (children == NULL)
            return ALFUP_ERR;
        parent->children = children;
        if (parent->kind == YAML_DOC_MAPPING) {
            char **keys = realloc(parent->keys, capacity * sizeof *keys);
            if (keys == NULL)
                return ALFUP_ERR;
            parent->keys = keys;
        }
        parent->capacity = capacity;
    }
    if (parent->kind == YAML_DOC_MAPPING) {
        parent->keys[parent->count] = key;
        child->key = key;
    } else {
        child->index = parent->count;
    }
    child->parent = parent;
    parent->children[parent->count++] = child;
    return ALFUP_OK;
}

static int count_node(builder_t *b, yaml_mark_t mark)
{
    if (b->doc->node_count >= YAML_DOC_MAX_NODES)
        return alfup_err_set(b->err, "%s:%u: more than %u YAML nodes", b->doc->name,
                             mark_line(mark), YAML_DOC_MAX_NODES);
    b->doc->node_count++;
    return ALFUP_OK;
}

/* A scalar in key position: kept as the pending key until its value arrives. */
static int take_key(builder_t *b, const yaml_event_t *event)
{
    if (event->type != YAML_SCALAR_EVENT)
        return fail_at(b, event->start_mark, "mapping keys must be plain strings");
    const char *value = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    if (memchr(value, '\0', length) != NULL)
        return fail_at(b, event->start_mark, "NUL byte in a mapping key");
    b->pending_key = strndup(value, length);
    if (b->pending_key == NULL)
        return fail_at(b, event->start_mark, "out of memory");
    b->key_line = mark_line(event->start_mark);
    b->key_column = mark_column(event->start_mark);
    return ALFUP_OK;
}

/* Places a new node in the tree: as the root, a sequence item or a mapping value. */
static int place_node(builder_t *b, yaml_doc_node_t *node, yaml_mark_t mark)
{
    if (b->depth == 0) {
        if (b->doc->root != NULL) {
            node_free(node);
            return fail_at(b, mark, "more than one top-level node");
        }
        b->doc->root = node;
        return ALFUP_OK;
    }
    yaml_doc_node_t *parent = b->stack[b->depth - 1];
    char *key = NULL;
    if (parent->kind == YAML_DOC_MAPPING) {
        key = b->pending_key;
        node->line = b->key_line;
        node->column = b->key_column;
    }
    if (append_child(parent, node, key) != ALFUP_OK) {
        node_free(node);
        return fail_at(b, mark, "out of memory");
    }
    b->pending_key = NULL;
    return ALFUP_OK;
}

static bool scalar_is_null(const yaml_event_t *event)
{
    if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *value = (const char *)event->data.scalar.value;
    return value[0] == '\0' || strcmp(value, "~") == 0 || strcmp(value, "null") == 0 ||
           strcmp(value, "Null") == 0 || strcmp(value, "NULL") == 0;
}

/* Anchors, aliases and tags are refused: aliases make exponential trees
 * ("billion laughs") and configs need none of them. */
static int refuse_extras(builder_t *b, const yaml_event_t *event)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    if (event->type == YAML_ALIAS_EVENT) {
        anchor = event->data.alias.anchor;
    } else if (event->type == YAML_SCALAR_EVENT) {
        anchor = event->data.scalar.anchor;
        tag = event->data.scalar.tag;
    } else if (event->type == YAML_SEQUENCE_START_EVENT) {
        anchor = event->data.sequence_start.anchor;
        tag = event->data.sequence_start.tag;
    } else if (event->type == YAML_MAPPING_START_EVENT) {
        anchor = event->data.mapping_start.anchor;
        tag = event->data.mapping_start.tag;
    }
    if (anchor != NULL)
        return fail_at(b, event->start_mark, "YAML anchors and aliases are not allowed");
    if (tag != NULL)
        return fail_at(b, event->start_mark, "YAML tags are not allowed");
    return ALFUP_OK;
}

static yaml_doc_node_t *node_new(builder_t *b, yaml_doc_kind_t kind, yaml_mark_t mark)
{
    yaml_doc_node_t *node = calloc(1, sizeof *node);
    if (node == NULL)
        return fail_at(b, mark, "out of memory"), NULL;
    node->doc = b->doc;
    node->kind = kind;
    node->line = mark_line(mark);
    node->column = mark_column(mark);
    return node;
}

static int on_scalar(builder_t *b, const yaml_event_t *event)
{
    const char *value = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    if (memchr(value, '\0', length) != NULL)
        return fail_at(b, event->start_mark, "NUL byte in a value");
    yaml_doc_node_t *node = node_new(b, YAML_DOC_SCALAR, event->start_mark);
    if (node == NULL)
        return ALFUP_ERR;
    node->is_null = scalar_is_null(event);
    node->scalar = strndup(value, length);
    if (node->scalar == NULL) {
        node_free(node);
        return fail_at(b, event->start_mark, "out of memory");
    }
    return place_node(b, node, event->start_mark);
}

static int on_collection_start(builder_t *b, const yaml_event_t *event, yaml_doc_kind_t kind)
{
    if (b->depth >= YAML_DOC_MAX_DEPTH)
        return alfup_err_set(b->err, "%s:%u: nested deeper than %u levels", b->doc->name,
                             mark_line(event->start_mark), YAML_DOC_MAX_DEPTH);
    yaml_doc_node_t *node = node_new(b, kind, event->start_mark);
    if (node == NULL || place_node(b, node, event->start_mark) != ALFUP_OK)
        return ALFUP_ERR;
    b->stack[b->depth++] = node;
    return ALFUP_OK;
}

/* By key, then by position, so equal keys stay in document order. */
static int compare_key_refs(const void *a, const void *b)
{
    char *const *left = *(char *const *const *)a, *const *right = *(char *const *const *)b;
    int order = strcmp(*left, *right);
    return order != 0 ? order : (left > right) - (left < right);
}

/* Sorts references to the mapping's keys and reports the later of two equal ones. */
static int check_duplicates(builder_t *b, const yaml_doc_node_t *map)
{
    if (map->count < 2)
        return ALFUP_OK;
    char ***refs = malloc(map->count * sizeof *refs);
    if (refs == NULL)
        return alfup_err_set(b->err, "%s: out of memory", b->doc->name);
    for (size_t i = 0; i < map->count; i++)
        refs[i] = &map->keys[i];
    qsort(refs, map->count, sizeof *refs, compare_key_refs);
    int rc = ALFUP_OK;
    for (size_t i = 1; i < map->count && rc == ALFUP_OK; i++) {
        if (strcmp(*refs[i - 1], *refs[i]) != 0)
            continue;
        size_t first = (size_t)(refs[i - 1] - map->keys), second = (size_t)(refs[i] - map->keys);
        rc = yaml_doc_error(map->children[second], b->err, "duplicate key (first at line %u)",
                            map->children[first]->line);
    }
    free(refs);
    return rc;
}

static int on_collection_end(builder_t *b)
{
    yaml_doc_node_t *node = b->stack[--b->depth];
    if (node->kind == YAML_DOC_MAPPING)
        return check_duplicates(b, node);
    return ALFUP_OK;
}

/* One libyaml event. */
static int on_event(builder_t *b, const yaml_event_t *event)
{
    if (refuse_extras(b, event) != ALFUP_OK)
        return ALFUP_ERR;
    bool node_start = event->type == YAML_SCALAR_EVENT || event->type == YAML_ALIAS_EVENT ||
                      event->type == YAML_SEQUENCE_START_EVENT ||
                      event->type == YAML_MAPPING_START_EVENT;
    if (node_start && count_node(b, event->start_mark) != ALFUP_OK)
        return ALFUP_ERR;
    if (node_start && b->depth > 0 && b->stack[b->depth - 1]->kind == YAML_DOC_MAPPING &&
        b->pending_key == NULL)
        return take_key(b, event);
    switch (event->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return fail_at(b, event->start_mark, "more than one YAML document");
        return ALFUP_OK;
    case YAML_SCALAR_EVENT:
        return on_scalar(b, event);
    case YAML_SEQUENCE_START_EVENT:
        return on_collection_start(b, event, YAML_DOC_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return on_collection_start(b, event, YAML_DOC_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_collection_end(b);
    default:
        return ALFUP_OK;
    }
}

static int syntax_error(builder_t *b, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return alfup_err_set(b->err, "%s: out of memory while parsing YAML", b->doc->name);
    yaml_mark_t mark = parser->problem_mark;
    if (parser->error == YAML_READER_ERROR)
        return alfup_err_set(b->err, "%s: invalid text at byte %zu: %s", b->doc->name,
                             parser->problem_offset,
                             parser->problem ? parser->problem : "unreadable");
    if (parser->context == NULL)
        return alfup_err_set(b->err, "%s:%u: YAML syntax error: %s", b->doc->name,
                             mark_line(mark), parser->problem ? parser->problem : "malformed");
    return alfup_err_set(b->err, "%s:%u: YAML syntax error: %s %s (from line %u)", b->doc->name,
                         mark_line(mark), parser->problem ? parser->problem : "malformed",
                         parser->context, mark_line(parser->context_mark));
}

/* Runs the parser to the end of the stream, building the tree. */
static int build(builder_t *b, yaml_parser_t *parser)
{
    for (;;) {
        yaml_event_t event;
        if (!yaml_parser_parse(parser, &event))
            return syntax_error(b, parser);
        int rc = on_event(b, &event);
        bool done = event.type == YAML_STREAM_END_EVENT;
        yaml_mark_t mark = event.start_mark;
        yaml_event_delete(&event);
        if (rc != ALFUP_OK)
            return rc;
        if (done)
            return b->doc->root != NULL ? ALFUP_OK : fail_at(b, mark, "no YAML document");
    }
}

yaml_doc_t *yaml_doc_load(const char *text, size_t len, const char *name, alfup_err_t *err)
{
    if (name == NULL)
        name = "(yaml)";
    if (len > YAML_DOC_MAX_BYTES)
        return alfup_err_set(err, "%s: larger than %u bytes", name, YAML_DOC_MAX_BYTES), NULL;
    builder_t b = {.err = err};
    b.doc = calloc(1, sizeof *b.doc);
    if (b.doc == NULL || (b.doc->name = strdup(name)) == NULL) {
        free(b.doc);
        return alfup_err_set(err, "%s: out of memory", name), NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        yaml_doc_destroy(&b.doc);
        return alfup_err_set(err, "%s: out of memory", name), NULL;
    }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (build(&b, &parser) != ALFUP_OK)
        yaml_doc_destroy(&b.doc);
    free(b.pending_key);
    yaml_parser_delete(&parser);
    return b.doc;
}

yaml_doc_t *yaml_doc_load_file(const char *path, alfup_err_t *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = file_read_all(path, YAML_DOC_MAX_BYTES, &bytes, &len, err);
    if (rc == FILE_MISSING)
        return alfup_err_set(err, "%s: no such file", path), NULL;
    if (rc != ALFUP_OK)
        return NULL;
    yaml_doc_t *doc = yaml_doc_load((const char *)bytes, len, path, err);
    free(bytes);
    return doc;
}

const char *yaml_doc_name(const yaml_doc_t *doc)
{
    return doc->name;
}

const yaml_doc_node_t *yaml_doc_root(const yaml_doc_t *doc)
{
    return doc->root;
}
