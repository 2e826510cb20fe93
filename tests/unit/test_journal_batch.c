/* test_journal_batch.c -- the controller's grouped journal commits: rows written in a batch are
 * invisible to another reader (and lost if the controller stops) until the commit, then all
 * there; and the deep copies of results that wait for that commit (result_batch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "journal.h"
#include "result_batch.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/alfup-journal-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char file[160];
        snprintf(file, sizeof file, "%s%s", f->path, suffixes[i]);
        unlink(file);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Rows in the steps table as another process would see them (its own connection). */
static int committed_rows(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM steps", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int rows = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
}

static void send_three(journal_t *j)
{
    alfup_err_t err;
    const char *ids[] = {"ping.1.1", "ping.1.2", "ping.1.3"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(journal_step_sent(j, ids[i], "a0001", "ping", &err), ALFUP_OK);
}

static void test_batch_commits_together(void **state)
{
    fixture_t *f = *state;
    alfup_err_t err;
    journal_t *j = journal_open(f->path, &err);
    assert_non_null(j);
    assert_int_equal(journal_in_batch(j), 0);
    assert_int_equal(journal_batch_commit(j, &err), ALFUP_ERR); /* none open */
    assert_int_equal(journal_batch_begin(j, &err), ALFUP_OK);
    assert_int_equal(journal_in_batch(j), 1);
    assert_int_equal(journal_batch_begin(j, &err), ALFUP_ERR); /* no nesting */
    send_three(j);
    char state_text[32];
    assert_int_equal(journal_step_state(j, "ping.1.2", state_text, sizeof state_text, &err), 0);
    assert_string_equal(state_text, "sent");      /* the writer sees its own batch */
    assert_int_equal(committed_rows(f->path), 0); /* nobody else does yet */
    assert_int_equal(journal_batch_commit(j, &err), ALFUP_OK);
    assert_int_equal(journal_in_batch(j), 0);
    assert_int_equal(committed_rows(f->path), 3);
    /* a result recorded in a second batch */
    msg_step_result_t result = {.step_id = "ping.1.3", .kind = "ping", .status = STEP_SUCCEEDED};
    assert_int_equal(journal_batch_begin(j, &err), ALFUP_OK);
    assert_int_equal(journal_step_result(j, "a0001", &result, &err), ALFUP_OK);
    assert_int_equal(journal_step_result(j, "a0002", &result, &err), JOURNAL_NOT_SENT); /* not its step */
    assert_int_equal(journal_batch_commit(j, &err), ALFUP_OK);
    journal_close(&j);
    j = journal_open(f->path, &err);
    assert_int_equal(journal_step_state(j, "ping.1.3", state_text, sizeof state_text, &err), 0);
    assert_string_equal(state_text, "succeeded");
    journal_close(&j);
}

static void test_uncommitted_batch_is_lost(void **state)
{
    fixture_t *f = *state;
    alfup_err_t err;
    journal_t *j = journal_open(f->path, &err);
    assert_int_equal(journal_batch_begin(j, &err), ALFUP_OK);
    send_three(j);
    journal_close(&j); /* the controller stops before the commit */
    assert_int_equal(committed_rows(f->path), 0);
    j = journal_open(f->path, &err);
    char state_text[32];
    assert_int_equal(journal_step_state(j, "ping.1.1", state_text, sizeof state_text, &err), 1);
    send_three(j); /* without a batch: each row on its own, as before */
    assert_int_equal(committed_rows(f->path), 3);
    journal_close(&j);
}

static void test_result_batch_copies(void **state)
{
    (void)state;
    char step_id[] = "step.1", kind[] = "ping", error[] = "";
    msg_step_result_t result = {.step_id = step_id, .kind = kind, .status = STEP_FAILED, .error = error,
                                .started_unix_ms = 5, .finished_unix_ms = 7};
    assert_int_equal(kv_list_add(&result.outputs, "payload", "alfup-ping"), 0);
    assert_int_equal(str_list_add(&result.log_lines, "line one"), 0);
    result_batch_t pending = {0}, committed = {0}, taken = {0};
    for (int i = 0; i < 100; i++)
        assert_int_equal(result_batch_add(&pending, i % 2 ? "a0002" : "a0001", &result), 0);
    step_id[0] = 'X'; /* the copies own their text */
    kv_list_clear(&result.outputs);
    str_list_clear(&result.log_lines);
    assert_int_equal(result_batch_append(&committed, &pending), 0);
    assert_int_equal(pending.count, 0);
    assert_int_equal(result_batch_add(&pending, "a0003", &result), 0);
    assert_int_equal(result_batch_append(&committed, &pending), 0); /* appends after the 100 */
    assert_int_equal(committed.count, 101);
    result_batch_take(&committed, &taken);
    assert_int_equal(committed.count, 0);
    assert_string_equal(taken.items[0].agent, "a0001");
    assert_string_equal(taken.items[1].agent, "a0002");
    assert_string_equal(taken.items[0].result.step_id, "step.1");
    assert_string_equal(kv_list_get(&taken.items[99].result.outputs, "payload"), "alfup-ping");
    assert_string_equal(taken.items[99].result.log_lines.items[0], "line one");
    assert_int_equal(taken.items[99].result.finished_unix_ms, 7);
    assert_string_equal(taken.items[100].agent, "a0003");
    assert_string_equal(taken.items[100].result.step_id, "Xtep.1");
    result_batch_clear(&taken);
    result_batch_clear(&committed);
    result_batch_clear(&pending);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_commits_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_batch_is_lost, setup, teardown),
        cmocka_unit_test(test_result_batch_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
