/* test_manifest.c -- the manifest format: round trip of awkward names, and every kind of malformed text refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "archive_path.h"
#include "manifest.h"

#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_round_trip_keeps_awkward_names(void **state)
{
    (void)state;
    alfup_err_t err;
    manifest_t *m = manifest_new();
    assert_non_null(m);
    assert_int_equal(manifest_add(m, MANIFEST_DIR, 0, NULL, 0755, "cs", NULL, &err), 0);
    assert_int_equal(manifest_add(m, MANIFEST_FILE, 4, SHA_A, 0600, "cs/with space", NULL, &err), 0);
    assert_int_equal(manifest_add(m, MANIFEST_FILE, 0, SHA_EMPTY, 0755, "cs/new\nline\r%25", NULL, &err), 0);
    assert_int_equal(manifest_add(m, MANIFEST_FILE, 4, SHA_A, 0644, "cs/\xc3\xa9t\xc3\xa9 \xe2\x82\xac", NULL, &err),
                     0);
    assert_int_equal(manifest_add(m, MANIFEST_SYMLINK, 0, NULL, 0777, "cs/link", "../target with\nnewline", &err), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(manifest_format(m, &text, &len, &err), 0);
    /* every record is one line: 1 magic + 5 records + end */
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, 7);
    assert_non_null(strstr(text, "cs/with%20space"));
    assert_non_null(strstr(text, "cs/new%0Aline%0D%2525"));

    manifest_t *back = manifest_parse(text, len, &err);
    assert_non_null(back);
    assert_int_equal(manifest_count(back), 5);
    manifest_entry_t *e = manifest_find(back, "cs/new\nline\r%25");
    assert_non_null(e);
    assert_int_equal(e->type, MANIFEST_FILE);
    assert_int_equal(e->mode, 0755);
    assert_string_equal(e->sha256, SHA_EMPTY);
    e = manifest_find(back, "cs/link");
    assert_non_null(e);
    assert_string_equal(e->link, "../target with\nnewline");
    e = manifest_find(back, "cs/\xc3\xa9t\xc3\xa9 \xe2\x82\xac");
    assert_non_null(e);
    assert_int_equal(e->size, 4);
    assert_null(manifest_find(back, "cs/missing"));
    free(text);
    manifest_destroy(&back);
    manifest_destroy(&m);
    assert_null(m);
}

static void test_add_refuses_unsafe_paths(void **state)
{
    (void)state;
    alfup_err_t err;
    manifest_t *m = manifest_new();
    assert_int_not_equal(manifest_add(m, MANIFEST_DIR, 0, NULL, 0755, "/abs", NULL, &err), 0);
    assert_int_not_equal(manifest_add(m, MANIFEST_DIR, 0, NULL, 0755, "a/../b", NULL, &err), 0);
    assert_int_not_equal(manifest_add(m, MANIFEST_DIR, 0, NULL, 0755, "a//b", NULL, &err), 0);
    assert_int_not_equal(manifest_add(m, MANIFEST_FILE, 1, "xyz", 0644, "a", NULL, &err), 0);
    assert_int_not_equal(manifest_add(m, MANIFEST_SYMLINK, 0, NULL, 0777, "a", "", &err), 0);
    assert_int_equal(manifest_count(m), 0);
    manifest_destroy(&m);
}

/* Expects text to be refused with a message containing why. */
static void refuse(const char *text, const char *why)
{
    alfup_err_t err = {{0}};
    manifest_t *m = manifest_parse(text, strlen(text), &err);
    if (m != NULL)
        fail_msg("accepted: %s", text);
    if (strstr(err.msg, why) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, why);
}

static void test_parse_refuses_malformed_text(void **state)
{
    (void)state;
    refuse("", "not an alfup manifest");
    refuse("alfup-manifest 3\nend 0\n", "not an alfup manifest");
    refuse("alfup-manifest 1\nd - - 0755 a\n", "truncated");
    refuse("alfup-manifest 1\nd - - 0755 a\nend 1", "truncated");
    refuse("alfup-manifest 1\nd - - 0755 a\nend 2\n", "count");
    refuse("alfup-manifest 1\nend 0\nd - - 0755 a\n", "after the end");
    refuse("alfup-manifest 1\nd - - 0755 ../a\nend 1\n", "line 2");
    refuse("alfup-manifest 1\nd - - 0755 /a\nend 1\n", "unsafe path");
    refuse("alfup-manifest 1\nd - - 0755 %2Fa\nend 1\n", "unsafe path");
    refuse("alfup-manifest 1\nd - - 0755 a%00b\nend 1\n", "escaped");
    refuse("alfup-manifest 1\nd - - 0755 a%4\nend 1\n", "escaped");
    refuse("alfup-manifest 1\nd - - 0755 a%zz\nend 1\n", "escaped");
    refuse("alfup-manifest 1\nd - - 0755  a\nend 1\n", "malformed");
    refuse("alfup-manifest 1\nd - - 0855 a\nend 1\n", "mode");
    refuse("alfup-manifest 1\nx - - 0755 a\nend 1\n", "unknown record type");
    refuse("alfup-manifest 1\nf 1 abc 0644 a\nend 1\n", "malformed file");
    refuse("alfup-manifest 1\nf 1 " SHA_A "X 0644 a\nend 1\n", "malformed file");
    refuse("alfup-manifest 1\nf 99999999999999999999999 " SHA_A " 0644 a\nend 1\n", "malformed file");
    refuse("alfup-manifest 1\nl - - 0777 a\nend 1\n", "symlink");
    refuse("alfup-manifest 1\nd - - 0755 a\nd - - 0700 a\nend 2\n", "duplicate path 'a'");
}

/* Version 2: folder states, untrusted files, removed paths and the base of a delta survive a round trip; an
 * offline manifest (no such records) stays version 1, byte for byte the old format. */
static void test_version_2_round_trip(void **state)
{
    (void)state;
    alfup_err_t err;
    manifest_t *m = manifest_new();
    assert_non_null(m);
    assert_int_equal(manifest_add(m, MANIFEST_DIR, 0, NULL, 0755, "cs", NULL, &err), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(manifest_format(m, &text, &len, &err), 0);
    assert_string_equal(text, "alfup-manifest 1\nd - - 0755 cs\nend 1\n");
    free(text);
    manifest_folder_t folder = {.path = "cs/a b",
                                .dev = 2049,
                                .ino = 77,
                                .mtime_sec = 1700000000,
                                .mtime_nsec = 5,
                                .ctime_sec = -3,
                                .ctime_nsec = 999999999,
                                .dirty = 1};
    assert_int_equal(manifest_add_folder(m, &folder, &err), 0);
    folder.path = "cs";
    folder.dirty = 0;
    assert_int_equal(manifest_add_folder(m, &folder, &err), 0);
    assert_int_equal(manifest_add_untrusted(m, "cs/a b/f.bin", &err), 0);
    assert_int_equal(manifest_add_removed(m, "cs/gone", &err), 0);
    assert_int_equal(manifest_set_base(m, SHA_A, &err), 0);
    assert_int_not_equal(manifest_set_base(m, SHA_A, &err), 0);
    assert_int_equal(manifest_format(m, &text, &len, &err), 0);
    assert_string_equal(text, "alfup-manifest 2\nbase " SHA_A "\nd - - 0755 cs\n"
                              "s 2049 77 1700000000.000000005 -3.999999999 dirty cs/a%20b\n"
                              "s 2049 77 1700000000.000000005 -3.999999999 clean cs\n"
                              "x cs/a%20b/f.bin\nr cs/gone\nend 6\n");
    manifest_t *back = manifest_parse(text, len, &err);
    assert_non_null(back);
    assert_int_equal(manifest_version(back), 2);
    assert_string_equal(manifest_base(back), SHA_A);
    assert_int_equal(manifest_folder_count(back), 2);
    manifest_folder_t *found = manifest_folder_find(back, "cs/a b");
    assert_non_null(found);
    assert_true(found->dirty);
    assert_int_equal(found->ctime_sec, -3);
    assert_int_equal(found->ctime_nsec, 999999999);
    assert_false(manifest_folder_find(back, "cs")->dirty);
    assert_true(manifest_is_untrusted(back, "cs/a b/f.bin"));
    assert_false(manifest_is_untrusted(back, "cs"));
    assert_int_equal(manifest_removed_count(back), 1);
    assert_string_equal(manifest_removed_at(back, 0), "cs/gone");
    free(text);
    manifest_destroy(&back);
    manifest_destroy(&m);
}

static void test_version_2_refuses_malformed_records(void **state)
{
    (void)state;
    refuse("alfup-manifest 1\ns 1 2 3.000000000 4.000000000 clean a\nend 1\n", "unknown record type");
    refuse("alfup-manifest 1\nr a\nend 1\n", "malformed record");
    refuse("alfup-manifest 1\nbase " SHA_A "\nend 1\n", "base");
    refuse("alfup-manifest 2\nd - - 0755 a\nbase " SHA_A "\nend 2\n", "misplaced");
    refuse("alfup-manifest 2\nbase abc\nend 1\n", "base sha-256");
    refuse("alfup-manifest 2\ns 1 2 3.0 4.000000000 clean a\nend 1\n", "folder state");
    refuse("alfup-manifest 2\ns 1 2 3.000000000 4.000000000 maybe a\nend 1\n", "folder state");
    refuse("alfup-manifest 2\ns 1 2 3.000000000 4.000000000 clean ../a\nend 1\n", "unsafe path");
    refuse("alfup-manifest 2\nr a\nr a\nend 2\n", "duplicate path 'a'");
    refuse("alfup-manifest 2\nx a b\nend 1\n", "malformed x");
    refuse("alfup-manifest 2\nr /a\nend 1\n", "unsafe path");
    refuse("alfup-manifest 2\nr a\nend 2\n", "count");
}

static void test_parse_refuses_oversized_text_before_reading(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    /* the length is checked first; the bytes beyond the 1-byte buffer are never read */
    const char one = 'a';
    assert_null(manifest_parse(&one, (size_t)MANIFEST_MAX_BYTES + 1, &err));
    assert_non_null(strstr(err.msg, "longer than"));
}

static void test_entry_names(void **state)
{
    (void)state;
    assert_true(archive_path_is_safe("a"));
    assert_true(archive_path_is_safe("a/b c/d"));
    assert_true(archive_path_is_safe("dir/"));
    assert_true(archive_path_is_safe("..a/b.."));
    assert_false(archive_path_is_safe(""));
    assert_false(archive_path_is_safe("/etc/passwd"));
    assert_false(archive_path_is_safe(".."));
    assert_false(archive_path_is_safe("a/../../b"));
    assert_false(archive_path_is_safe("a/.."));
    assert_false(archive_path_is_safe("./a"));
    assert_false(archive_path_is_safe("a//b"));
    assert_false(archive_path_is_safe("a/./b"));
    char *longest = malloc(ARCHIVE_PATH_MAX + 1);
    assert_non_null(longest);
    memset(longest, 'x', ARCHIVE_PATH_MAX);
    longest[ARCHIVE_PATH_MAX] = '\0';
    assert_false(archive_path_is_safe(longest));
    longest[ARCHIVE_PATH_MAX - 1] = '\0';
    assert_true(archive_path_is_safe(longest));
    free(longest);
    assert_string_equal(archive_path_skip_dot("./././a/b"), "a/b");
    assert_string_equal(archive_path_skip_dot("."), "");
    assert_string_equal(archive_path_skip_dot("./"), "");
    assert_string_equal(archive_path_skip_dot(".hidden"), ".hidden");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_keeps_awkward_names),
        cmocka_unit_test(test_add_refuses_unsafe_paths),
        cmocka_unit_test(test_parse_refuses_malformed_text),
        cmocka_unit_test(test_version_2_round_trip),
        cmocka_unit_test(test_version_2_refuses_malformed_records),
        cmocka_unit_test(test_parse_refuses_oversized_text_before_reading),
        cmocka_unit_test(test_entry_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
