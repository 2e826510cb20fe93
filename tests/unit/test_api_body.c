/* test_api_body.c -- the API's request bodies, its routes and the rights each needs, and the inproc request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_body.h"
#include "api_request.h"
#include "api_routes.h"
#include "cert_identity.h"

static const char *const PLAN[] = {"plan", NULL};
static const char *const NONE[] = {NULL};

static int decode(const char *body, const char *const *allowed, const char *want, int required, char *out)
{
    alfup_err_t err;
    return api_body_decode(body, strlen(body), allowed, want, required, out, API_NAME_MAX + 1, &err);
}

static void names_never_paths(void **state)
{
    (void)state;
    assert_true(api_name_is_valid("prod-ecm_2.yaml"));
    const char *bad[] = {"", ".", "..", "../x", "a/b", "/etc/passwd", "a..b", "a b", "a\\b", "ä", NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_false(api_name_is_valid(bad[i]));
    char longest[API_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[API_NAME_MAX] = '\0';
    assert_true(api_name_is_valid(longest));
    longest[API_NAME_MAX] = 'a';
    longest[API_NAME_MAX + 1] = '\0';
    assert_false(api_name_is_valid(longest));
}

static void bodies(void **state)
{
    (void)state;
    char out[API_NAME_MAX + 1];
    assert_int_equal(decode("{\"plan\": \"prod\"}", PLAN, "plan", 1, out), ALFUP_OK);
    assert_string_equal(out, "prod");
    assert_int_equal(decode("", NONE, "", 0, out), ALFUP_OK);   /* no body: {} */
    assert_int_equal(decode("{}", NONE, "", 0, out), ALFUP_OK);
    const char *refused[] = {"{}", "{\"plan\": \"../x\"}", "{\"plan\": \"a/b\"}", "{\"plan\": 7}", "[\"prod\"]",
                             "{\"plan\": \"prod\"", "{\"plan\": \"prod\", \"path\": \"x\"}",
                             "{\"plan\": \"a\", \"plan\": \"b\"}", "{\"plan\": \"a\\u0000b\"}", "\"prod\"", NULL};
    for (size_t i = 0; refused[i]; i++)
        assert_int_equal(decode(refused[i], PLAN, "plan", 1, out), ALFUP_ERR);
    char *big = malloc(API_BODY_MAX + 2);
    assert_non_null(big);
    memset(big, ' ', API_BODY_MAX + 1);
    big[API_BODY_MAX + 1] = '\0';
    assert_int_equal(decode(big, NONE, "", 0, out), ALFUP_ERR);
    free(big);
}

static void routes_and_rights(void **state)
{
    (void)state;
    api_action_t action;
    char run[API_FIELD_MAX];
    assert_int_equal(api_route_match("GET", "/api/v1/runs/run-1", &action, run, sizeof run), API_ROUTE_OK);
    assert_int_equal(action, API_RUN);
    assert_string_equal(run, "run-1");
    assert_int_equal(api_route_match("POST", "/api/v1/runs/run-1/approve", &action, run, sizeof run), API_ROUTE_OK);
    assert_int_equal(action, API_APPROVE);
    assert_int_equal(api_route_match("POST", "/api/v1/runs", &action, run, sizeof run), API_ROUTE_OK);
    assert_int_equal(action, API_START);
    assert_int_equal(api_route_match("DELETE", "/api/v1/runs", &action, run, sizeof run), API_ROUTE_BAD_METHOD);
    assert_int_equal(api_route_match("GET", "/api/v1/runs/../audit", &action, run, sizeof run), API_ROUTE_NOT_FOUND);
    assert_int_equal(api_route_match("GET", "/api/v1/runs/a/b", &action, run, sizeof run), API_ROUTE_NOT_FOUND);
    assert_int_equal(api_route_match("GET", "/etc/passwd", &action, run, sizeof run), API_ROUTE_NOT_FOUND);
    assert_int_equal(api_route_roles(API_RUNS), ROLE_CONSOLE_MASK);
    assert_int_equal(api_route_roles(API_APPROVE), ROLE_APPROVER);
    assert_int_equal(api_route_roles(API_CANCEL), ROLE_OPERATOR);
    assert_int_equal(api_route_roles(API_AUDIT), ROLE_ADMIN);
}

static void inproc_request_round_trip(void **state)
{
    (void)state;
    api_request_t in = {.seq = 42, .action = API_APPROVE}, out;
    snprintf(in.run, sizeof in.run, "%s", "run-1");
    snprintf(in.gate, sizeof in.gate, "%s", "backup");
    snprintf(in.who, sizeof in.who, "%s", "alice");
    snprintf(in.denied, sizeof in.denied, "%s", "approve needs \"approver\"");
    char *text = api_request_encode(&in);
    assert_non_null(text);
    alfup_err_t err;
    assert_int_equal(api_request_decode(text, strlen(text), &out, &err), ALFUP_OK);
    assert_int_equal(out.seq, 42);
    assert_int_equal(out.action, API_APPROVE);
    assert_string_equal(out.denied, in.denied);
    assert_string_equal(out.gate, "backup");
    free(text);
    assert_int_equal(api_request_decode("{\"seq\": 1, \"action\": \"format-disk\"}", 36, &out, &err), ALFUP_ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_never_paths),
        cmocka_unit_test(bodies),
        cmocka_unit_test(routes_and_rights),
        cmocka_unit_test(inproc_request_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
