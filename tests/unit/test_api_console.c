/* test_api_console.c -- the console page's files: only the fixed list is served, with its types; any
 * other path (traversal, the folder's other files) is refused; a file over the limit is refused; and the
 * whoami route the page asks its buttons from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_console.h"
#include "api_routes.h"
#include "cert_identity.h"

#define PAD 16

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, len, out), len);
    fclose(out);
}

static void only_the_fixed_list(void **state)
{
    (void)state;
    assert_string_equal(api_console_type("/"), "text/html; charset=utf-8");
    assert_string_equal(api_console_type("/console.js"), "text/javascript; charset=utf-8");
    assert_string_equal(api_console_type("/console.css"), "text/css; charset=utf-8");
    const char *refused[] = {"", "/../index.html", "/index.html/", "/console.js?x", "/%2e%2e/etc/passwd",
                             "/secret.txt", "//console.js", "/CONSOLE.JS", "/api/v1/runs", NULL};
    for (size_t i = 0; refused[i]; i++)
        assert_null(api_console_type(refused[i]));
}

static void reads_a_listed_file_only(void **state)
{
    (void)state;
    char dir[] = "/tmp/alfup-console-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "index.html", "<!DOCTYPE html>", 15);
    write_file(dir, "secret.txt", "root:x:0:0", 10);
    api_console_file_t file;
    alfup_err_t err;
    assert_int_equal(api_console_read(dir, "/", PAD, &file, &err), ALFUP_OK);
    assert_int_equal(file.len, 15);
    assert_memory_equal(file.bytes + PAD, "<!DOCTYPE html>", 15);
    assert_string_equal(file.type, "text/html; charset=utf-8");
    free(file.bytes);
    assert_int_equal(api_console_read(dir, "/secret.txt", PAD, &file, &err), ALFUP_ERR);
    assert_null(file.bytes);
    assert_non_null(strstr(err.msg, "not one of its files"));
    assert_int_equal(api_console_read(dir, "/console.js", PAD, &file, &err), ALFUP_ERR); /* listed, missing */
    assert_non_null(strstr(err.msg, "console.js"));

    char *big = calloc(1, API_CONSOLE_FILE_MAX + 1);
    assert_non_null(big);
    write_file(dir, "console.css", big, API_CONSOLE_FILE_MAX + 1);
    free(big);
    assert_int_equal(api_console_read(dir, "/console.css", PAD, &file, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "over"));

    const char *names[] = {"index.html", "secret.txt", "console.css"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void whoami_for_every_console_role(void **state)
{
    (void)state;
    api_action_t action;
    char run[64];
    assert_int_equal(api_route_match("GET", "/api/v1/whoami", &action, run, sizeof run), API_ROUTE_OK);
    assert_int_equal(action, API_WHOAMI);
    assert_false(api_action_is_write(API_WHOAMI));
    assert_int_equal(api_route_roles(API_WHOAMI), ROLE_CONSOLE_MASK);
    assert_int_equal(api_route_match("POST", "/api/v1/whoami", &action, run, sizeof run), API_ROUTE_BAD_METHOD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_the_fixed_list),
        cmocka_unit_test(reads_a_listed_file_only),
        cmocka_unit_test(whoami_for_every_console_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
