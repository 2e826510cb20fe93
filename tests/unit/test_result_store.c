/* test_result_store.c -- the agent's durable step results: recorded, found again after a
 * reopen (an agent restart), acknowledged, and the started record that tells a re-run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "result_store.h"
#include "tree_remove.h"

static int setup(void **state)
{
    char *dir = strdup("/tmp/alfup-results-XXXXXX");
    assert_non_null(mkdtemp(dir));
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    alfup_err_t err;
    tree_remove_all(*state, NULL, &err);
    free(*state);
    return 0;
}

static void put(result_store_t *store, const char *id, step_status_t status)
{
    msg_step_result_t result = {.step_id = (char *)id, .kind = "ping", .status = status, .error = ""};
    kv_list_add(&result.outputs, "payload", "p");
    alfup_err_t err;
    assert_int_equal(result_store_put(store, &result, &err), ALFUP_OK);
    kv_list_clear(&result.outputs);
}

static void test_results_survive_a_restart_until_acknowledged(void **state)
{
    alfup_err_t err;
    result_store_t *store = result_store_open(*state, &err);
    assert_non_null(store);
    put(store, "s1", STEP_SUCCEEDED);
    put(store, "s2", STEP_FAILED);
    result_store_destroy(&store);

    store = result_store_open(*state, &err); /* the agent restarted */
    msg_step_result_t found;
    assert_int_equal(result_store_get(store, "s2", &found, &err), 1);
    assert_int_equal(found.status, STEP_FAILED);
    assert_string_equal(kv_list_get(&found.outputs, "payload"), "p");
    msg_step_result_clear(&found);
    assert_int_equal(result_store_get(store, "s3", &found, &err), 0);

    str_list_t unacked = {0};
    assert_int_equal(result_store_unacked(store, &unacked, &err), ALFUP_OK);
    assert_int_equal(unacked.count, 2);
    str_list_clear(&unacked);
    assert_int_equal(result_store_ack(store, "s1", &err), ALFUP_OK);
    assert_int_equal(result_store_unacked(store, &unacked, &err), ALFUP_OK);
    assert_int_equal(unacked.count, 1);
    assert_string_equal(unacked.items[0], "s2");
    str_list_clear(&unacked);
    assert_int_equal(result_store_get(store, "s1", &found, &err), 1); /* still answers a repeated id */
    msg_step_result_clear(&found);
    result_store_destroy(&store);
}

static void test_started_record_tells_an_interrupted_step(void **state)
{
    alfup_err_t err;
    result_store_t *store = result_store_open(*state, &err);
    assert_int_equal(result_store_mark_started(store, "s1", &err), 0);   /* first start */
    result_store_destroy(&store);
    store = result_store_open(*state, &err);                           /* died during it */
    assert_int_equal(result_store_mark_started(store, "s1", &err), 1);   /* a re-run after a restart */
    put(store, "s1", STEP_SUCCEEDED);
    assert_int_equal(result_store_mark_started(store, "s2", &err), 0);
    put(store, "s2", STEP_SUCCEEDED);
    assert_int_equal(result_store_mark_started(store, "s2", &err), 0);   /* finished: not interrupted */
    result_store_destroy(&store);
}

/* A marker is never written through a symlink planted in the store. */
static void test_markers_do_not_follow_symlinks(void **state)
{
    alfup_err_t err;
    result_store_t *store = result_store_open(*state, &err);
    char link[512], target[512];
    snprintf(link, sizeof link, "%s/results/s9.started", (char *)*state);
    snprintf(target, sizeof target, "%s/elsewhere", (char *)*state);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(result_store_mark_started(store, "s9", &err), ALFUP_ERR);
    assert_int_equal(access(target, F_OK), -1);
    result_store_destroy(&store);
}

static void test_bad_step_ids_never_become_paths(void **state)
{
    alfup_err_t err;
    result_store_t *store = result_store_open(*state, &err);
    msg_step_result_t found;
    assert_int_equal(result_store_get(store, "../escape", &found, &err), ALFUP_ERR);
    assert_int_equal(result_store_mark_started(store, "a/b", &err), ALFUP_ERR);
    assert_int_equal(result_store_ack(store, ".hidden", &err), ALFUP_ERR);
    result_store_destroy(&store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_results_survive_a_restart_until_acknowledged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_started_record_tells_an_interrupted_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_markers_do_not_follow_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_step_ids_never_become_paths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
