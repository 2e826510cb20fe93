/* test_yaml_doc.c -- yaml_doc: the tree, its line numbers, the typed getters and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "yaml_doc.h"

static yaml_doc_t *load(const char *text, alfup_err_t *err)
{
    return yaml_doc_load(text, strlen(text), "t.yaml", err);
}

/* The message starts with "t.yaml:LINE:" and contains fragment. */
static void assert_message(const alfup_err_t *err, unsigned line, const char *fragment)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "t.yaml:%u: ", line);
    if (strncmp(err->msg, prefix, strlen(prefix)) != 0 || strstr(err->msg, fragment) == NULL)
        fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err->msg, prefix, fragment);
}

static void assert_refused(const char *text, unsigned line, const char *fragment)
{
    alfup_err_t err = {{0}};
    yaml_doc_t *doc = load(text, &err);
    if (doc != NULL)
        fail_msg("accepted: %s", text);
    assert_message(&err, line, fragment);
}

static const char NESTED[] = "name: db1\n"              /* 1 */
                             "tls:\n"                   /* 2 */
                             "  ca: /etc/ca.pem\n"      /* 3 */
                             "  crl: ~\n"               /* 4 */
                             "roots: [/a, \"/b c\"]\n"  /* 5 */
                             "services:\n"              /* 6 */
                             "  svc:\n"                 /* 7 */
                             "    failed:\n"            /* 8 */
                             "      - one\n"            /* 9 */
                             "      - {x: y}\n"         /* 10 */
                             "count: 42\n"              /* 11 */
                             "flag: true\n"             /* 12 */
                             "empty:\n";                /* 13 */

static void test_tree_and_lines(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    yaml_doc_t *doc = load(NESTED, &err);
    assert_non_null(doc);
    const yaml_doc_node_t *root = yaml_doc_root(doc);
    assert_int_equal(yaml_doc_kind(root), YAML_DOC_MAPPING);
    assert_int_equal(yaml_doc_count(root), 7);
    assert_string_equal(yaml_doc_key(root, 0), "name");
    assert_string_equal(yaml_doc_scalar(yaml_doc_value(root, 0)), "db1");
    assert_null(yaml_doc_key(root, 7));
    const yaml_doc_node_t *tls = yaml_doc_get(root, "tls");
    assert_int_equal(yaml_doc_line(tls), 2);
    assert_int_equal(yaml_doc_line(yaml_doc_get(tls, "ca")), 3);
    assert_int_equal(yaml_doc_column(yaml_doc_get(tls, "ca")), 3);
    assert_true(yaml_doc_is_null(yaml_doc_get(tls, "crl")));
    const yaml_doc_node_t *roots = yaml_doc_get(root, "roots");
    assert_int_equal(yaml_doc_kind(roots), YAML_DOC_SEQUENCE);
    assert_string_equal(yaml_doc_scalar(yaml_doc_item(roots, 1)), "/b c");
    assert_null(yaml_doc_item(roots, 2));
    assert_null(yaml_doc_scalar(roots));
    assert_true(yaml_doc_is_null(yaml_doc_get(root, "empty")));
    assert_null(yaml_doc_get(root, "absent"));
    const yaml_doc_node_t *svc = yaml_doc_get(yaml_doc_get(root, "services"), "svc");
    const yaml_doc_node_t *failed = yaml_doc_get(svc, "failed");
    assert_int_equal(yaml_doc_line(yaml_doc_item(failed, 1)), 10);
    assert_string_equal(yaml_doc_name(doc), "t.yaml");
    yaml_doc_destroy(&doc);
    assert_null(doc);
    yaml_doc_destroy(&doc);
}

/* Messages name the node by its path from the root, at its key's line. */
static void test_error_paths(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    yaml_doc_t *doc = load(NESTED, &err);
    assert_non_null(doc);
    const yaml_doc_node_t *root = yaml_doc_root(doc);
    const yaml_doc_node_t *svc = yaml_doc_get(yaml_doc_get(root, "services"), "svc");
    const yaml_doc_node_t *failed = yaml_doc_get(svc, "failed");
    str_list_t list = {0};
    assert_int_equal(yaml_doc_to_string_list(failed, 0, &list, &err), ALFUP_ERR);
    assert_message(&err, 10, "key 'services.svc.failed[1]': expected a string");
    assert_int_equal(list.count, 0);
    yaml_doc_error(root, &err, "whole file %d", 7);
    assert_string_equal(err.msg, "t.yaml:1: whole file 7");
    yaml_doc_error(yaml_doc_get(root, "tls"), &err, "bad");
    assert_string_equal(err.msg, "t.yaml:2: key 'tls': bad");
    const yaml_doc_node_t *roots = yaml_doc_get(root, "roots");
    assert_int_equal(yaml_doc_expect(roots, YAML_DOC_MAPPING, &err), ALFUP_ERR);
    assert_message(&err, 5, "key 'roots': expected a mapping");
    assert_int_equal(yaml_doc_expect(root, YAML_DOC_MAPPING, &err), ALFUP_OK);
    yaml_doc_destroy(&doc);
}

static void test_getters(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    yaml_doc_t *doc = load(NESTED, &err);
    assert_non_null(doc);
    const yaml_doc_node_t *root = yaml_doc_root(doc);
    const yaml_doc_node_t *tls = yaml_doc_get(root, "tls");
    char *text = NULL;
    assert_int_equal(yaml_doc_get_string(root, "name", YAML_DOC_REQUIRED, &text, &err), 0);
    assert_string_equal(text, "db1");
    free(text);
    text = NULL;
    /* null and absent optional keys leave the default alone */
    assert_int_equal(yaml_doc_get_string(tls, "crl", 0, &text, &err), YAML_DOC_ABSENT);
    assert_int_equal(yaml_doc_get_string(tls, "cert", 0, &text, &err), YAML_DOC_ABSENT);
    assert_null(text);
    assert_int_equal(yaml_doc_get_string(tls, "cert", YAML_DOC_REQUIRED, &text, &err), ALFUP_ERR);
    assert_message(&err, 2, "key 'tls': missing required key 'cert'");
    assert_int_equal(yaml_doc_get_string(tls, "crl", YAML_DOC_REQUIRED, &text, &err), ALFUP_ERR);
    assert_message(&err, 4, "key 'tls.crl': a value is required");
    assert_int_equal(yaml_doc_get_string(root, "roots", 0, &text, &err), ALFUP_ERR);
    assert_message(&err, 5, "key 'roots': expected a string");

    unsigned number = 7;
    assert_int_equal(yaml_doc_get_uint(root, "count", 0, 1, 100, &number, &err), 0);
    assert_int_equal(number, 42);
    assert_int_equal(yaml_doc_get_uint(root, "count", 0, 1, 41, &number, &err), ALFUP_ERR);
    assert_message(&err, 11, "key 'count': 42 is out of range (1..41)");
    assert_int_equal(yaml_doc_get_uint(root, "name", 0, 0, 9, &number, &err), ALFUP_ERR);
    assert_message(&err, 1, "expected a whole number");
    assert_int_equal(yaml_doc_get_uint(root, "nothing", 0, 0, 9, &number, &err), YAML_DOC_ABSENT);
    assert_int_equal(number, 42);

    bool flag = false;
    assert_int_equal(yaml_doc_get_bool(root, "flag", 0, &flag, &err), 0);
    assert_true(flag);
    assert_int_equal(yaml_doc_get_bool(root, "count", 0, &flag, &err), ALFUP_ERR);
    assert_message(&err, 11, "expected true or false");

    str_list_t list = {0};
    assert_int_equal(yaml_doc_get_string_list(root, "roots", YAML_DOC_NON_EMPTY, &list, &err), 0);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0], "/a");
    assert_int_equal(yaml_doc_get_string_list(root, "name", 0, &list, &err), ALFUP_ERR);
    assert_message(&err, 1, "expected a list of strings");
    assert_int_equal(list.count, 2); /* untouched on failure */
    assert_int_equal(yaml_doc_get_string_list(root, "name", YAML_DOC_SCALAR_OK, &list, &err), 0);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0], "db1");
    str_list_clear(&list);

    const yaml_doc_node_t *node = NULL;
    assert_int_equal(yaml_doc_get_node(root, "tls", YAML_DOC_REQUIRED, YAML_DOC_MAPPING, &node,
                                       &err), 0);
    assert_ptr_equal(node, tls);
    assert_int_equal(yaml_doc_get_node(root, "tls", 0, YAML_DOC_SEQUENCE, &node, &err), ALFUP_ERR);
    assert_message(&err, 2, "key 'tls': expected a list");
    yaml_doc_destroy(&doc);
}

static void test_empty_list_and_numbers(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    yaml_doc_t *doc =
        load("a: []\nb: 007\nc: -1\nd: 99999999999999999999999\ne: 1.5\nf: ''\n", &err);
    assert_non_null(doc);
    const yaml_doc_node_t *root = yaml_doc_root(doc);
    str_list_t list = {0};
    assert_int_equal(yaml_doc_get_string_list(root, "a", 0, &list, &err), 0);
    assert_int_equal(list.count, 0);
    assert_int_equal(yaml_doc_get_string_list(root, "a", YAML_DOC_NON_EMPTY, &list, &err),
                     ALFUP_ERR);
    assert_message(&err, 1, "key 'a': the list may not be empty");
    unsigned number = 0;
    assert_int_equal(yaml_doc_get_uint(root, "b", 0, 0, 10, &number, &err), 0);
    assert_int_equal(number, 7);
    assert_int_equal(yaml_doc_get_uint(root, "c", 0, 0, 10, &number, &err), ALFUP_ERR);
    assert_message(&err, 3, "key 'c': expected a whole number");
    assert_int_equal(yaml_doc_get_uint(root, "d", 0, 0, 10, &number, &err), ALFUP_ERR);
    assert_message(&err, 4, "out of range");
    assert_int_equal(yaml_doc_get_uint(root, "e", 0, 0, 10, &number, &err), ALFUP_ERR);
    assert_message(&err, 5, "expected a whole number");
    char *text = NULL; /* a quoted empty string is a value, not null */
    assert_int_equal(yaml_doc_get_string(root, "f", YAML_DOC_REQUIRED, &text, &err), 0);
    assert_string_equal(text, "");
    free(text);
    yaml_doc_destroy(&doc);
}

static void test_check_keys(void **state)
{
    (void)state;
    static const char *const known[] = {"ca", "cert", "key", "crl", NULL};
    alfup_err_t err = {{0}};
    yaml_doc_t *doc = load("tls:\n  ca: /a\n  cert: /b\n  cat: /c\n", &err);
    assert_non_null(doc);
    const yaml_doc_node_t *tls = yaml_doc_get(yaml_doc_root(doc), "tls");
    assert_int_equal(yaml_doc_check_keys(tls, known, &err), ALFUP_ERR);
    assert_message(&err, 4, "key 'tls.cat': unknown key (known: ca, cert, key, crl)");
    static const char *const with_cat[] = {"ca", "cert", "cat", NULL};
    assert_int_equal(yaml_doc_check_keys(tls, with_cat, &err), ALFUP_OK);
    assert_int_equal(yaml_doc_check_keys(yaml_doc_get(tls, "ca"), with_cat, &err), ALFUP_ERR);
    assert_message(&err, 2, "expected a mapping");
    yaml_doc_destroy(&doc);
}

static void test_refuses_structure(void **state)
{
    (void)state;
    assert_refused("a: 1\nb: 2\na: 3\n", 3, "key 'a': duplicate key (first at line 1)");
    assert_refused("x:\n  k: 1\n  j: 2\n  k: 3\n", 4, "key 'x.k': duplicate key (first at line 2)");
    assert_refused("k: 1\nk: 2\nk: 3\n", 2, "key 'k': duplicate key (first at line 1)");
    assert_refused("? [a, b]\n: c\n", 1, "mapping keys must be plain strings");
    assert_refused("{a: 1, {b: 2}: 3}\n", 1, "mapping keys must be plain strings");
    assert_refused("a: 1\n---\nb: 2\n", 2, "more than one YAML document");
    assert_refused("", 1, "no YAML document");
    assert_refused("# only a comment\n", 2, "no YAML document");
    assert_refused("a: &x 1\nb: *x\n", 1, "anchors and aliases are not allowed");
    assert_refused("a: 1\nb: *x\n", 2, "YAML");
    assert_refused("a: !!str 1\n", 1, "YAML tags are not allowed");
    assert_refused("a: \"x\\0y\"\n", 1, "NUL byte");
    assert_refused("\"k\\0\": 1\n", 1, "NUL byte in a mapping key");
    assert_refused("a: [1, 2\nb: 3\n", 2,
                   "YAML syntax error: did not find expected ',' or ']' "
                   "while parsing a flow sequence (from line 1)");
    assert_refused("a:\n  - b\n c: d\n", 3, "YAML syntax error");
}

/* The classic exponential alias bomb is refused at its first anchor. */
static void test_refuses_billion_laughs(void **state)
{
    (void)state;
    assert_refused("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                   "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
                   1, "anchors and aliases are not allowed");
}

static void test_limits(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    /* size */
    size_t big = YAML_DOC_MAX_BYTES + 1;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, '#', big);
    text[big] = '\0';
    assert_null(yaml_doc_load(text, big, "t.yaml", &err));
    assert_non_null(strstr(err.msg, "t.yaml: larger than 1048576 bytes"));
    /* exactly the limit is fine (one comment line, then a value) */
    memcpy(text + YAML_DOC_MAX_BYTES - 5, "\na: 1", 5);
    yaml_doc_t *doc = yaml_doc_load(text, YAML_DOC_MAX_BYTES, "t.yaml", &err);
    assert_non_null(doc);
    yaml_doc_destroy(&doc);
    free(text);

    /* depth: YAML_DOC_MAX_DEPTH nested lists load, one more does not */
    char nested[2 * YAML_DOC_MAX_DEPTH + 8];
    memset(nested, '[', YAML_DOC_MAX_DEPTH);
    memset(nested + YAML_DOC_MAX_DEPTH, ']', YAML_DOC_MAX_DEPTH);
    nested[2 * YAML_DOC_MAX_DEPTH] = '\0';
    doc = load(nested, &err);
    assert_non_null(doc);
    yaml_doc_destroy(&doc);
    memset(nested, '[', YAML_DOC_MAX_DEPTH + 1);
    memset(nested + YAML_DOC_MAX_DEPTH + 1, ']', YAML_DOC_MAX_DEPTH + 1);
    nested[2 * YAML_DOC_MAX_DEPTH + 2] = '\0';
    assert_refused(nested, 1, "nested deeper than 32 levels");

    /* node count: a flow list of YAML_DOC_MAX_NODES items is one node too many */
    size_t items = YAML_DOC_MAX_NODES;
    text = malloc(2 * items + 4);
    assert_non_null(text);
    text[0] = '[';
    for (size_t i = 0; i < items; i++)
        memcpy(text + 1 + 2 * i, "1,", 2);
    memcpy(text + 2 * items, "]", 2);
    assert_refused(text, 1, "more than 20000 YAML nodes");
    text[2 * (items - 1)] = ']'; /* one item fewer: list + items == the limit */
    text[2 * (items - 1) + 1] = '\0';
    doc = load(text, &err);
    assert_non_null(doc);
    assert_int_equal(yaml_doc_count(yaml_doc_root(doc)), items - 1);
    yaml_doc_destroy(&doc);
    free(text);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    const char text[] = "a: \xff\xfe\n";
    assert_null(yaml_doc_load(text, sizeof text - 1, "t.yaml", &err));
    assert_non_null(strstr(err.msg, "t.yaml: invalid text at byte"));
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/alfup-yaml-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "k: v\nlist: [a]\n";
    assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
    close(fd);
    alfup_err_t err = {{0}};
    yaml_doc_t *doc = yaml_doc_load_file(path, &err);
    assert_non_null(doc);
    assert_string_equal(yaml_doc_name(doc), path);
    assert_string_equal(yaml_doc_scalar(yaml_doc_get(yaml_doc_root(doc), "k")), "v");
    yaml_doc_destroy(&doc);
    unlink(path);
    assert_null(yaml_doc_load_file(path, &err));
    assert_non_null(strstr(err.msg, "no such file"));
    assert_non_null(strstr(err.msg, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_lines),  cmocka_unit_test(test_error_paths),
        cmocka_unit_test(test_getters),         cmocka_unit_test(test_empty_list_and_numbers),
        cmocka_unit_test(test_check_keys),      cmocka_unit_test(test_refuses_structure),
        cmocka_unit_test(test_refuses_billion_laughs), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_invalid_utf8),    cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
