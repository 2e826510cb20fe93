/* fuzz_properties.c -- libFuzzer: parse, render and merge .properties must never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "properties.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks that text parses and defines key as value; aborts otherwise. */
static void expect_defined(const char *text, size_t len, const char *key, const char *value)
{
    props_t *props = props_parse(text, len, "merged", NULL);
    if (props == NULL || props_get(props, key) == NULL || strcmp(props_get(props, key), value) != 0)
        abort();
    props_destroy(&props);
}

/* Rendering keeps every definition: parse(render(p)) defines the same keys and values. */
static void expect_render_stable(const props_t *props)
{
    size_t len = 0;
    char *text = props_render(props, &len);
    if (text == NULL)
        return;
    props_t *again = props_parse(text, len, "rendered", NULL);
    if (again == NULL || props_count(again) != props_count(props))
        abort();
    for (size_t i = 0; i < props_count(props); i++)
        if (strcmp(props_key_at(props, i), props_key_at(again, i)) != 0 ||
            strcmp(props_value_at(props, i), props_value_at(again, i)) != 0)
            abort();
    props_destroy(&again);
    free(text);
}

/* The input is "OLD\x00NEW" (no NUL: both halves are the input). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *split = memchr(text, '\0', size);
    size_t old_len = split ? (size_t)(split - text) : size;
    const char *new_text = split ? split + 1 : text;
    size_t new_len = split ? size - old_len - 1 : size;

    props_t *old_props = props_parse(text, old_len, "old", NULL);
    props_t *new_props = props_parse(new_text, new_len, "new", NULL);
    if (old_props != NULL)
        expect_render_stable(old_props);
    if (old_props != NULL && new_props != NULL) {
        kv_list_t set = {0};
        kv_list_add(&set, "dir.root", "/opt/alfresco-v2/alf_data");
        kv_list_add(&set, "db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
        props_merge_outcome_t outcome = {0};
        char *merged = NULL;
        size_t len = 0;
        if (props_merge(old_props, new_props, &set, "# --- carried ---", &merged, &len, &outcome,
                        NULL) == ALFUP_OK) {
            expect_defined(merged, len, "dir.root", "/opt/alfresco-v2/alf_data");
            expect_defined(merged, len, "db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
        }
        free(merged);
        props_merge_outcome_clear(&outcome);
        kv_list_clear(&set);
    }
    props_destroy(&old_props);
    props_destroy(&new_props);
    return 0;
}
