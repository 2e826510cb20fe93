/* test_properties.c -- the .properties parser, encoder and merger, as the carry step uses them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "properties.h"

static props_t *parse_ok(const char *text)
{
    alfup_err_t err = {{0}};
    props_t *props = props_parse(text, strlen(text), "test.properties", &err);
    if (props == NULL)
        fail_msg("parse failed: %s", err.msg);
    return props;
}

static void test_separators_and_comments(void **state)
{
    (void)state;
    props_t *props = parse_ok("# a comment = not a key\n"
                              "! another: comment\n"
                              "\n"
                              "dir.root=/opt/alfresco-v1/alf_data\n"
                              "  db.url : jdbc:postgresql://db1:5432/alfresco\n"
                              "db.username alfresco\n"
                              "empty=\n"
                              "bare\n"
                              "spaced   =   value with trailing  \n");
    assert_int_equal(props_count(props), 6);
    assert_string_equal(props_get(props, "dir.root"), "/opt/alfresco-v1/alf_data");
    assert_string_equal(props_get(props, "db.url"), "jdbc:postgresql://db1:5432/alfresco");
    assert_string_equal(props_get(props, "db.username"), "alfresco");
    assert_string_equal(props_get(props, "empty"), "");
    assert_string_equal(props_get(props, "bare"), "");
    assert_string_equal(props_get(props, "spaced"), "value with trailing  ");
    assert_null(props_get(props, "a"));
    assert_null(props_get(props, "#"));
    assert_string_equal(props_key_at(props, 0), "dir.root");
    assert_null(props_key_at(props, 6));
    props_destroy(&props);
    assert_null(props);
}

static void test_continuations_and_escapes(void **state)
{
    (void)state;
    props_t *props = parse_ok("list=one,\\\n"
                              "      two,\\\n"
                              "\t three\n"
                              "my\\ key\\=x=v\n"
                              "tabs=a\\tb\\nc\n"
                              "uni=caf\\u00e9 \\uD83D\\uDE00\n"
                              "backslash=C:\\\\temp\\\\\n"
                              "stop=end\\\n"
                              "\n"
                              "after=1\n"
                              "# comment ending in backslash \\\n"
                              "not.continued=yes\n"
                              "eof=last\\");
    assert_string_equal(props_get(props, "list"), "one,two,three");
    assert_string_equal(props_get(props, "my key=x"), "v");
    assert_string_equal(props_get(props, "tabs"), "a\tb\nc");
    assert_string_equal(props_get(props, "uni"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_string_equal(props_get(props, "backslash"), "C:\\temp\\");
    assert_string_equal(props_get(props, "stop"), "end");
    assert_string_equal(props_get(props, "after"), "1");
    assert_string_equal(props_get(props, "not.continued"), "yes");
    assert_string_equal(props_get(props, "eof"), "last");
    props_destroy(&props);
}

static void test_last_definition_wins_and_crlf(void **state)
{
    (void)state;
    props_t *props = parse_ok("a=1\r\nb=2\r\na=3\r\n");
    assert_int_equal(props_count(props), 3);
    assert_string_equal(props_get(props, "a"), "3");
    size_t len = 0;
    char *text = props_render(props, &len);
    assert_string_equal(text, "a=1\r\nb=2\r\na=3\r\n");
    free(text);
    props_destroy(&props);
}

static void test_render_keeps_the_file(void **state)
{
    (void)state;
    const char *original = "# header\n\n  key = value\nmulti=a\\\n   b\n!bang\nlast=x";
    props_t *props = parse_ok(original);
    size_t len = 0;
    char *text = props_render(props, &len);
    assert_string_equal(text, "# header\n\n  key = value\nmulti=a\\\n   b\n!bang\nlast=x\n");
    assert_int_equal(len, strlen(text));
    free(text);
    props_destroy(&props);
}

static void test_malformed_and_limits(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    const char *bad = "ok=1\nbad=\\u12G4\n";
    assert_null(props_parse(bad, strlen(bad), "x.properties", &err));
    assert_non_null(strstr(err.msg, "x.properties:2"));
    assert_null(props_parse("a=\0b", 4, "nul.properties", &err));

    size_t big = PROPS_MAX_BYTES + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, '#', big);
    assert_null(props_parse(huge, big, "huge.properties", &err));
    assert_non_null(strstr(err.msg, "larger than"));
    free(huge);

    size_t lines = PROPS_MAX_LINES + 1;
    char *many = malloc(lines * 2);
    assert_non_null(many);
    for (size_t i = 0; i < lines; i++) {
        many[2 * i] = 'k';
        many[2 * i + 1] = '\n';
    }
    assert_null(props_parse(many, lines * 2, "many.properties", &err));
    assert_non_null(strstr(err.msg, "lines"));
    free(many);
}

static void test_encode_round_trips(void **state)
{
    (void)state;
    const char *keys[] = {"dir.root", "odd key=:#!", "x"};
    const char *values[] = {"/opt/alfresco-v2/alf_data", "  leading spaces, # and ! inside",
                            "tab\tnew\nline caf\xc3\xa9 \xf0\x9f\x98\x80 back\\slash"};
    for (size_t i = 0; i < 3; i++) {
        char *line = props_encode_line(keys[i], values[i]);
        assert_non_null(line);
        assert_null(strchr(line, '\n'));
        props_t *props = parse_ok(line);
        assert_int_equal(props_count(props), 1);
        assert_string_equal(props_key_at(props, 0), keys[i]);
        assert_string_equal(props_value_at(props, 0), values[i]);
        props_destroy(&props);
        free(line);
    }
    char *plain = props_encode_line("db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
    assert_string_equal(plain, "db.url=jdbc:postgresql://db1:5432/alfresco_v2");
    free(plain);
    assert_null(props_encode_line("k", "bad \xff utf-8"));
}

static const char OLD_FILE[] =
    "# Alfresco v1 settings\n"
    "dir.root=/opt/alfresco-v1/alf_data\n"
    "db.url=jdbc:postgresql://db1:5432/alfresco\n"
    "db.username=alfresco\n"
    "# the production password\n"
    "db.password=s3cret\n"
    "\n"
    "solr.host=solr1.example.com\n"
    "index.subsystem.name=solr6\n"
    "# our module's switch\n"
    "#   (keep it on)\n"
    "custom.feature.enabled=true\n";

static const char NEW_FILE[] =
    "# Alfresco v2 defaults\n"
    "dir.root=/opt/alfresco-v2/alf_data-default\n"
    "\n"
    "# database\n"
    "db.url=jdbc:postgresql://localhost:5432/alfresco\n"
    "db.username=alfresco\n"
    "solr.host=localhost\n"
    "index.subsystem.name=solr6\n"
    "# trailing comment of the new file\n";

static char *merge_ok(const char *old_text, const char *new_text, const kv_list_t *set,
                      props_merge_outcome_t *outcome)
{
    props_t *old_props = parse_ok(old_text), *new_props = parse_ok(new_text);
    char *text = NULL;
    size_t len = 0;
    alfup_err_t err = {{0}};
    assert_int_equal(props_merge(old_props, new_props, set, "# --- carried from OLD ---", &text,
                                 &len, outcome, &err), ALFUP_OK);
    assert_int_equal(len, strlen(text));
    props_destroy(&old_props);
    props_destroy(&new_props);
    return text;
}

static void test_merge_carries_replaces_and_sets(void **state)
{
    (void)state;
    kv_list_t set = {0};
    kv_list_add(&set, "dir.root", "/opt/alfresco-v2/alf_data");
    kv_list_add(&set, "db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
    kv_list_add(&set, "alfresco.host", "repo1.example.com");
    props_merge_outcome_t outcome = {0};
    char *text = merge_ok(OLD_FILE, NEW_FILE, &set, &outcome);
    const char *expected =
        "# Alfresco v2 defaults\n"
        "dir.root=/opt/alfresco-v2/alf_data\n"
        "\n"
        "# database\n"
        "db.url=jdbc:postgresql://db1:5432/alfresco_v2\n"
        "db.username=alfresco\n"
        "solr.host=solr1.example.com\n"
        "index.subsystem.name=solr6\n"
        "# trailing comment of the new file\n"
        "\n"
        "# --- carried from OLD ---\n"
        "# the production password\n"
        "db.password=s3cret\n"
        "# our module's switch\n"
        "#   (keep it on)\n"
        "custom.feature.enabled=true\n"
        "alfresco.host=repo1.example.com\n";
    assert_string_equal(text, expected);
    assert_int_equal(outcome.carried.count, 2);
    assert_string_equal(outcome.carried.items[0], "db.password");
    assert_string_equal(outcome.carried.items[1], "custom.feature.enabled");
    assert_int_equal(outcome.replaced.count, 1);
    assert_string_equal(outcome.replaced.items[0], "solr.host");
    assert_int_equal(outcome.set.count, 3);
    props_merge_outcome_clear(&outcome);

    /* Merging again changes nothing: no second block, same bytes. */
    char *again = merge_ok(OLD_FILE, text, &set, &outcome);
    assert_string_equal(again, text);
    assert_int_equal(outcome.carried.count, 0);
    assert_int_equal(outcome.replaced.count, 0);
    props_merge_outcome_clear(&outcome);
    free(again);
    free(text);
    kv_list_clear(&set);
}

static void test_merge_into_empty_and_multiline(void **state)
{
    (void)state;
    kv_list_t set = {0};
    kv_list_add(&set, "dir.root", "/new");
    props_merge_outcome_t outcome = {0};
    char *text = merge_ok("list=a,\\\n    b\ndir.root=/old\n", "", &set, &outcome);
    assert_string_equal(text, "# --- carried from OLD ---\nlist=a,\\\n    b\ndir.root=/new\n");
    props_t *merged = parse_ok(text);
    assert_string_equal(props_get(merged, "list"), "a,b");
    assert_string_equal(props_get(merged, "dir.root"), "/new");
    props_destroy(&merged);
    props_merge_outcome_clear(&outcome);
    free(text);
    kv_list_clear(&set);
}

/* Found by fuzz_properties: what the merge appends must never join an old
 * line that ended in a backslash or in a line end of another style. */
static void test_merge_line_ends_stay_apart(void **state)
{
    (void)state;
    kv_list_t set = {0};
    kv_list_add(&set, "dir.root", "/new");
    props_merge_outcome_t outcome = {0};

    char *text = merge_ok("a=1\nb=2\\", "x=1\n", &set, &outcome);
    assert_string_equal(text, "x=1\n\n# --- carried from OLD ---\na=1\nb=2\ndir.root=/new\n");
    props_merge_outcome_clear(&outcome);
    free(text);

    text = merge_ok("l=a,\\\r  b\r\\\r\r!c\r", "x=1\n", &set, &outcome);
    assert_string_equal(text, "x=1\n\n# --- carried from OLD ---\nl=a,\\\n  b\ndir.root=/new\n");
    props_t *merged = parse_ok(text);
    assert_string_equal(props_get(merged, "l"), "a,b");
    assert_string_equal(props_get(merged, "dir.root"), "/new");
    assert_null(props_get(merged, "!c"));
    props_destroy(&merged);
    props_merge_outcome_clear(&outcome);
    free(text);
    kv_list_clear(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separators_and_comments),
        cmocka_unit_test(test_continuations_and_escapes),
        cmocka_unit_test(test_last_definition_wins_and_crlf),
        cmocka_unit_test(test_render_keeps_the_file),
        cmocka_unit_test(test_malformed_and_limits),
        cmocka_unit_test(test_encode_round_trips),
        cmocka_unit_test(test_merge_carries_replaces_and_sets),
        cmocka_unit_test(test_merge_into_empty_and_multiline),
        cmocka_unit_test(test_merge_line_ends_stay_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
