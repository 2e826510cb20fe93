/* properties_merge.c -- carry an old .properties file's overrides into a new one. */
#include "properties_internal.h"

#include <stdlib.h>
#include <string.h>

#define PROPS_NO_DEF ((size_t)-1)

void props_merge_outcome_clear(props_merge_outcome_t *outcome)
{
    str_list_clear(&outcome->carried);
    str_list_clear(&outcome->replaced);
    str_list_clear(&outcome->set);
}

/* Appends one logical line and the file's line ending. */
static void put_line(props_buf_t *buf, const props_t *props, const char *raw)
{
    props_buf_puts(buf, raw);
    props_buf_puts(buf, props->newline);
}

/* Appends a line taken from another file: its inner line ends (from's own,
 * the only '\r' or '\n' bytes a raw line holds) become to's. */
static void put_foreign_line(props_buf_t *buf, const props_t *to, const props_t *from,
                             const char *raw)
{
    size_t from_len = strlen(from->newline);
    while (*raw) {
        const char *hit = strstr(raw, from->newline);
        size_t plain = hit ? (size_t)(hit - raw) : strlen(raw);
        props_buf_put(buf, raw, plain);
        if (hit == NULL)
            break;
        props_buf_puts(buf, to->newline);
        raw = hit + from_len;
    }
    props_buf_puts(buf, to->newline);
}

static int note_once(str_list_t *list, const char *key)
{
    return str_list_contains(list, key) ? 0 : str_list_add(list, key);
}

/* Writes new_props's lines, replacing set keys and changed old keys in place. */
static int merge_in_place(const props_t *old_props, const props_t *new_props, const kv_list_t *set,
                          props_buf_t *buf, props_merge_outcome_t *outcome)
{
    for (size_t i = 0; i < new_props->line_count; i++) {
        const props_line_t *line = &new_props->lines[i];
        const char *wanted = line->kind == PROPS_ENTRY ? kv_list_get(set, line->key) : NULL;
        size_t old_def = line->kind == PROPS_ENTRY ? props_find_last_def(old_props, line->key)
                                                   : PROPS_NO_DEF;
        if (wanted != NULL) {
            char *encoded = props_encode_line(line->key, wanted);
            if (encoded == NULL || note_once(&outcome->set, line->key) != 0) {
                free(encoded);
                return -1;
            }
            put_line(buf, new_props, encoded);
            free(encoded);
        } else if (old_def != PROPS_NO_DEF &&
                   strcmp(old_props->lines[old_props->defs[old_def]].value,
                          props_get(new_props, line->key)) != 0) {
            if (note_once(&outcome->replaced, line->key) != 0)
                return -1;
            put_foreign_line(buf, new_props, old_props,
                             old_props->lines[old_props->defs[old_def]].raw);
        } else {
            put_line(buf, new_props, line->raw);
        }
    }
    return 0;
}

/* Opens the carried block the first time something is appended. */
static void open_block(props_buf_t *buf, const props_t *new_props, const char *marker, int *opened)
{
    if (*opened)
        return;
    size_t nl = strlen(new_props->newline);
    if (buf->len > 0 && !(buf->len >= 2 * nl &&
                          memcmp(buf->bytes + buf->len - 2 * nl, new_props->newline, nl) == 0))
        props_buf_puts(buf, new_props->newline);
    put_line(buf, new_props, marker);
    *opened = 1;
}

/* Appends an old definition with the comment lines directly above it. */
static void append_old_def(props_buf_t *buf, const props_t *old_props, const props_t *new_props,
                           size_t line_index)
{
    size_t first = line_index;
    while (first > 0 && old_props->lines[first - 1].kind == PROPS_COMMENT)
        first--;
    for (size_t i = first; i <= line_index; i++)
        put_foreign_line(buf, new_props, old_props, old_props->lines[i].raw);
}

static int append_carried(const props_t *old_props, const props_t *new_props, const kv_list_t *set,
                          const char *marker, props_buf_t *buf, props_merge_outcome_t *outcome,
                          int *opened)
{
    for (size_t d = 0; d < old_props->def_count; d++) {
        const char *key = old_props->lines[old_props->defs[d]].key;
        if (props_find_last_def(old_props, key) != d || kv_list_get(set, key) != NULL ||
            props_get(new_props, key) != NULL)
            continue;
        open_block(buf, new_props, marker, opened);
        append_old_def(buf, old_props, new_props, old_props->defs[d]);
        if (str_list_add(&outcome->carried, key) != 0)
            return -1;
    }
    return 0;
}

static int append_set(const props_t *new_props, const kv_list_t *set, const char *marker,
                      props_buf_t *buf, props_merge_outcome_t *outcome, int *opened)
{
    for (size_t i = 0; i < set->count; i++) {
        const char *key = set->items[i].key;
        if (props_get(new_props, key) != NULL || str_list_contains(&outcome->set, key))
            continue;
        char *encoded = props_encode_line(key, set->items[i].value);
        if (encoded == NULL || str_list_add(&outcome->set, key) != 0) {
            free(encoded);
            return -1;
        }
        open_block(buf, new_props, marker, opened);
        put_line(buf, new_props, encoded);
        free(encoded);
    }
    return 0;
}

int props_merge(const props_t *old_props, const props_t *new_props, const kv_list_t *set,
                const char *marker, char **text, size_t *len, props_merge_outcome_t *outcome,
                alfup_err_t *err)
{
    props_buf_t buf = {0};
    int opened = 0;
    *text = NULL;
    *len = 0;
    props_buf_put(&buf, "", 0);
    if (merge_in_place(old_props, new_props, set, &buf, outcome) != 0 ||
        append_carried(old_props, new_props, set, marker, &buf, outcome, &opened) != 0 ||
        append_set(new_props, set, marker, &buf, outcome, &opened) != 0 || buf.failed) {
        free(buf.bytes);
        props_merge_outcome_clear(outcome);
        return alfup_err_set(err, "merge properties: a value is not valid UTF-8, or out of memory");
    }
    *text = buf.bytes;
    *len = buf.len;
    return ALFUP_OK;
}
