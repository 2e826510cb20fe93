/* test_preflight.c -- preflight against real paths, PostgreSQL, a tmpfs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_test_lib.h"
#include "file_util.h"
#include "step.h"

#define FIXTURE_PATH_MAX 1024
#define TREE_FILE_BYTES (2u * 1024u * 1024u)
/* Apparent size of a sparse file that no test disk has room for (8 TiB). */
#define SPARSE_HUGE_BYTES (8ull << 40)

typedef struct fixture {
    char work[FIXTURE_PATH_MAX];
    char backup[FIXTURE_PATH_MAX + 16];
    char tiny[FIXTURE_PATH_MAX + 16]; /* a 1 MiB tmpfs when root could mount one */
    char tree[FIXTURE_PATH_MAX + 16]; /* a 2 MiB tree to estimate */
    db_test_env_t env;
    int tiny_mounted;
    agent_config_t *config;
    PGconn *admin;
} fixture_t;

static PGconn *connect_db(const fixture_t *fx, const char *dbname)
{
    return db_test_connect(fx->env.conninfo, dbname, NULL);
}

static void write_file(const char *path, size_t bytes)
{
    uint8_t *data = calloc(1, bytes ? bytes : 1);
    assert_int_equal(file_write_atomic(path, data, bytes, 0644, NULL), 0);
    free(data);
}

static void add_tool(agent_config_t *config, const char *name, const char *program)
{
    config->tools = realloc(config->tools, (config->tool_count + 1) * sizeof *config->tools);
    agent_tool_t *tool = &config->tools[config->tool_count++];
    memset(tool, 0, sizeof *tool);
    tool->name = strdup(name);
    str_list_add(&tool->argv, program);
}

static void add_service(agent_config_t *config, const char *name, const char *program)
{
    config->services = calloc(1, sizeof *config->services);
    config->service_count = 1;
    config->services[0].name = strdup(name);
    str_list_add(&config->services[0].start_argv, program);
    str_list_add(&config->services[0].stop_argv, program);
}

static int setup(void **state)
{
    db_test_env_t env;
    if (db_test_env_read(&env) != 0)
        return -1;
    fixture_t *fx = calloc(1, sizeof *fx);
    fx->env = env;
    snprintf(fx->work, sizeof fx->work, "%.900s", fx->env.work);
    snprintf(fx->backup, sizeof fx->backup, "%s/backup", fx->work);
    snprintf(fx->tiny, sizeof fx->tiny, "%s/tiny", fx->work);
    snprintf(fx->tree, sizeof fx->tree, "%s/tree", fx->work);
    char sub[FIXTURE_PATH_MAX + 64], file[FIXTURE_PATH_MAX + 128];
    snprintf(sub, sizeof sub, "%s/deep/er", fx->tree);
    snprintf(file, sizeof file, "%s/content.bin", sub);
    if (file_mkdir_p(fx->backup, 0700, NULL) || file_mkdir_p(fx->tiny, 0700, NULL) ||
        file_mkdir_p(sub, 0700, NULL))
        return -1;
    write_file(file, TREE_FILE_BYTES);
    /* As root, a real 1 MiB file system; elsewhere the huge sparse file below stands in. */
    fx->tiny_mounted = geteuid() == 0 && mount("tmpfs", fx->tiny, "tmpfs", 0, "size=1m") == 0;
    agent_config_t *config = db_test_agent_config(&fx->env, fx->work, fx->backup, fx->work);
    if (config == NULL)
        return -1;
    add_tool(config, "apply_amps", "/bin/true");
    add_tool(config, "broken_tool", "/nonexistent/bin/apply_amps.sh");
    add_service(config, "alfresco-v1", "/bin/true");
    fx->config = config;
    fx->admin = connect_db(fx, "postgres");
    db_test_sql(fx->admin, "create database alfresco");
    db_test_sql(fx->admin, "create database alfresco_locked");
    PGconn *locked = connect_db(fx, "alfresco_locked");
    db_test_sql(locked, "create table alf_bootstrap_lock (charval varchar(8) primary key)");
    PQfinish(locked);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    if (fx->tiny_mounted)
        umount2(fx->tiny, MNT_DETACH);
    PQfinish(fx->admin);
    agent_config_destroy(&fx->config);
    free(fx);
    return 0;
}

typedef struct preflight_run {
    msg_step_result_t result;
    step_status_t status;
    kv_list_t params;
} preflight_run_t;

/* Runs preflight with "key", "value", ... NULL params. */
static void run_preflight(preflight_run_t *run, const agent_config_t *config, ...)
{
    va_list ap;
    va_start(ap, config);
    for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *))
        assert_int_equal(kv_list_add(&run->params, key, va_arg(ap, const char *)), 0);
    va_end(ap);
    atomic_int cancel = 0;
    step_context_t ctx = {.config = config,
                          .step_id = "pf-1",
                          .params = &run->params,
                          .approval = "",
                          .result = &run->result,
                          .cancel = &cancel};
    run->status = step_kind_find("preflight")->run(&ctx);
    for (size_t i = 0; i < run->result.log_lines.count; i++)
        printf("    %s\n", run->result.log_lines.items[i]);
    if (run->result.error)
        printf("  -> %s: %s\n", step_status_name(run->status), run->result.error);
}

static void preflight_run_clear(preflight_run_t *run)
{
    msg_step_result_clear(&run->result);
    kv_list_clear(&run->params);
    memset(run, 0, sizeof *run);
}

/* The value of check `key`, which must be there. */
static const char *check(const preflight_run_t *run, const char *key)
{
    const char *value = kv_list_get(&run->result.outputs, key);
    if (value == NULL)
        fail_msg("no check output '%s'", key);
    return value;
}

static void assert_check_failed(const preflight_run_t *run, const char *key, const char *reason)
{
    const char *value = check(run, key);
    if (strncmp(value, "FAIL: ", 6) != 0 || strstr(value, reason) == NULL)
        fail_msg("check %s = '%s', expected a FAIL mentioning '%s'", key, value, reason);
}

static void test_all_checks_pass(void **state)
{
    fixture_t *fx = *state;
    char key[PATH_MAX + 32], absent[FIXTURE_PATH_MAX + 32];
    snprintf(absent, sizeof absent, "%s/alfresco-v2", fx->work);
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "path_exists", fx->tree, "path_absent", absent, "size_tree",
                  fx->tree, "database", "alfresco", "service", "alfresco-v1", "tool", "apply_amps",
                  NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    snprintf(key, sizeof key, "path_exists:%s", fx->tree);
    assert_string_equal(check(&run, key), "ok");
    snprintf(key, sizeof key, "size_bytes:%s", fx->tree);
    assert_int_equal(atoll(check(&run, key)), TREE_FILE_BYTES);
    assert_string_equal(check(&run, "database:alfresco"), "ok");
    assert_string_equal(check(&run, "bootstrap_lock:alfresco"), "ok");
    assert_string_equal(check(&run, "pg_dump"), "ok");
    assert_string_equal(check(&run, "pg_restore"), "ok");
    assert_string_equal(check(&run, "free_space"), "ok");
    assert_string_equal(check(&run, "service:alfresco-v1"), "ok");
    assert_string_equal(check(&run, "tool:apply_amps"), "ok");
    /* estimate = tree + database size; needed = 1.1 x that */
    assert_true(atoll(check(&run, "space_needed_bytes")) > TREE_FILE_BYTES * 11LL / 10);
    preflight_run_clear(&run);
}

static void test_paths(void **state)
{
    fixture_t *fx = *state;
    char missing[FIXTURE_PATH_MAX + 32], key[PATH_MAX + 32];
    snprintf(missing, sizeof missing, "%s/alf_data/contentstore", fx->work);
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "path_exists", missing, "path_absent", fx->tree, "path_exists",
                  "/etc/passwd", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    snprintf(key, sizeof key, "path_exists:%s", missing);
    assert_check_failed(&run, key, "does not exist");
    snprintf(key, sizeof key, "path_absent:%s", fx->tree);
    assert_check_failed(&run, key, "exists");
    assert_check_failed(&run, "path_exists:/etc/passwd", "allowed_roots");
    assert_non_null(strstr(run.result.error, "3 preflight checks failed"));
    preflight_run_clear(&run);
}

static void test_too_little_space(void **state)
{
    fixture_t *fx = *state;
    char *saved = fx->config->backup_dir;
    char sparse[FIXTURE_PATH_MAX + 32];
    preflight_run_t run = {0};
    if (fx->tiny_mounted) {
        /* 2 MiB to back up into a 1 MiB file system. */
        fx->config->backup_dir = fx->tiny;
        run_preflight(&run, fx->config, "size_tree", fx->tree, NULL);
    } else {
        snprintf(sparse, sizeof sparse, "%s/huge-tree", fx->work);
        assert_int_equal(file_mkdir_p(sparse, 0700, NULL), 0);
        snprintf(sparse + strlen(sparse), sizeof sparse - strlen(sparse), "/sparse.bin");
        int fd = open(sparse, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)SPARSE_HUGE_BYTES), 0);
        close(fd);
        *strrchr(sparse, '/') = '\0';
        run_preflight(&run, fx->config, "size_tree", sparse, NULL);
    }
    fx->config->backup_dir = saved;
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "free_space", "the backup needs");
    assert_non_null(strstr(run.result.error, "free_space"));
    preflight_run_clear(&run);
}

static void test_missing_pg_tools(void **state)
{
    fixture_t *fx = *state;
    char *saved = fx->config->postgres.bin_dir;
    fx->config->postgres.bin_dir = fx->tree; /* exists, holds no pg_dump */
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "database", "alfresco", NULL);
    fx->config->postgres.bin_dir = saved;
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "pg_dump", "missing or not executable");
    assert_check_failed(&run, "pg_restore", "missing or not executable");
    assert_string_equal(check(&run, "database:alfresco"), "ok");
    preflight_run_clear(&run);
}

static void test_unknown_service_and_tool(void **state)
{
    fixture_t *fx = *state;
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "service", "tomcat-v9", "tool", "mmt", "tool", "broken_tool",
                  "service", "alfresco-v1", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "service:tomcat-v9", "not configured");
    assert_check_failed(&run, "tool:mmt", "not configured");
    assert_check_failed(&run, "tool:broken_tool", "not an executable");
    assert_string_equal(check(&run, "service:alfresco-v1"), "ok");
    preflight_run_clear(&run);
}

/* A tool the upgrade installs (inside a path that must be absent) is only
 * checked to be configured with an absolute path. */
static void test_tool_installed_by_the_upgrade(void **state)
{
    fixture_t *fx = *state;
    char new_home[PATH_MAX], program[PATH_MAX + 32], elsewhere[PATH_MAX];
    snprintf(new_home, sizeof new_home, "%s/alfresco-v2", fx->tree);
    snprintf(program, sizeof program, "%s/bin/apply_amps.sh", new_home);
    snprintf(elsewhere, sizeof elsewhere, "%s/other-home", fx->tree);
    add_tool(fx->config, "later_tool", program);
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "tool", "later_tool", "path_absent", new_home, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(check(&run, "tool:later_tool"), "ok");
    preflight_run_clear(&run);
    memset(&run, 0, sizeof run);
    run_preflight(&run, fx->config, "tool", "later_tool", "path_absent", elsewhere, NULL);
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "tool:later_tool", "not an executable");
    preflight_run_clear(&run);
}

static void test_bootstrap_lock_and_reachability(void **state)
{
    fixture_t *fx = *state;
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "database", "alfresco_locked", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "bootstrap_lock:alfresco_locked", "alf_bootstrap_lock");
    assert_string_equal(check(&run, "database:alfresco_locked"), "ok");
    preflight_run_clear(&run);

    run_preflight(&run, fx->config, "database", "alfresco_missing", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "database:alfresco_missing", "alfresco_missing");
    preflight_run_clear(&run);

    char *saved = fx->config->postgres.conninfo;
    char wrong[PATH_MAX + 64];
    snprintf(wrong, sizeof wrong, "host=127.0.0.1 port=1 user=%s", getenv("PG_HARNESS_SUPERUSER"));
    fx->config->postgres.conninfo = wrong;
    run_preflight(&run, fx->config, "database", "alfresco", NULL);
    fx->config->postgres.conninfo = saved;
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "database:alfresco", "database alfresco: cannot connect");
    preflight_run_clear(&run);
}

static void test_malformed_params_refused(void **state)
{
    fixture_t *fx = *state;
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "database", "alfresco; drop table x", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    preflight_run_clear(&run);
    for (int i = 0; i < 65; i++)
        kv_list_add(&run.params, "tool", "apply_amps");
    run_preflight(&run, fx->config, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    preflight_run_clear(&run);
}

/* The agent reports its backup_dir and whether the plan's is the same folder, and names the
 * filesystem its backups go to: two folders on one tmpfs get one name, the work disk another. */
static void test_backup_dir_and_filesystem_reported(void **state)
{
    fixture_t *fx = *state;
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "backup_dir", fx->backup, NULL);
    assert_string_equal(check(&run, "backup_dir"), fx->backup);
    assert_string_equal(check(&run, "backup_dir_same"), "yes");
    preflight_run_clear(&run);
    run_preflight(&run, fx->config, "backup_dir", fx->work, NULL);
    assert_string_equal(check(&run, "backup_dir_same"), "no");
    preflight_run_clear(&run);

    run_preflight(&run, fx->config, "size_tree", fx->tree, NULL);
    char work_fs[1024];
    snprintf(work_fs, sizeof work_fs, "%s", check(&run, "backup_fs"));
    assert_true(strncmp(work_fs, "local:", 6) == 0 || strncmp(work_fs, "remote:", 7) == 0);
    preflight_run_clear(&run);
    if (!fx->tiny_mounted) {
        printf("  skip the tmpfs part: not root, no tmpfs mounted\n");
        return;
    }
    char a[FIXTURE_PATH_MAX + 32], b[FIXTURE_PATH_MAX + 32], a_fs[1024];
    snprintf(a, sizeof a, "%s/solr", fx->tiny);
    snprintf(b, sizeof b, "%s/db", fx->tiny);
    assert_int_equal(file_mkdir_p(a, 0700, NULL), 0);
    assert_int_equal(file_mkdir_p(b, 0700, NULL), 0);
    char *saved = fx->config->backup_dir;
    fx->config->backup_dir = a;
    run_preflight(&run, fx->config, "size_tree", fx->tree, NULL);
    snprintf(a_fs, sizeof a_fs, "%s", check(&run, "backup_fs"));
    preflight_run_clear(&run);
    fx->config->backup_dir = b;
    run_preflight(&run, fx->config, "size_tree", fx->tree, NULL);
    fx->config->backup_dir = saved;
    assert_string_equal(check(&run, "backup_fs"), a_fs);
    assert_string_not_equal(a_fs, work_fs);
    preflight_run_clear(&run);
}

/* copy_to (the prestaged workflow's new dir.root): room for 1.1 x the trees where the copy goes.
 * The tree (2 MiB) fits the backup folder but not the 1 MiB tmpfs the copy would go to. */
static void test_copy_to_needs_room(void **state)
{
    fixture_t *fx = *state;
    if (!fx->tiny_mounted)
        skip();
    char target[FIXTURE_PATH_MAX + 64], key[PATH_MAX + 32];
    snprintf(target, sizeof target, "%s/new/alf_data", fx->tiny); /* not there yet */
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "size_tree", fx->tree, "copy_to", target, NULL);
    assert_int_equal(run.status, STEP_FAILED);
    assert_string_equal(check(&run, "free_space"), "ok");
    snprintf(key, sizeof key, "copy_space:%s", target);
    assert_check_failed(&run, key, "the copy needs");
    assert_int_equal(atoll(check(&run, "copy_needed_bytes")), TREE_FILE_BYTES * 11LL / 10 + 1);
    assert_true(atoll(check(&run, "copy_free_bytes")) <= 1024 * 1024);
    assert_non_null(strstr(check(&run, "copy_fs"), "local:"));
    preflight_run_clear(&run);

    run_preflight(&run, fx->config, "size_tree", fx->tree, "copy_to", fx->work, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    preflight_run_clear(&run);
}

/* Backup and copy on one filesystem: each fits alone (2.2 MiB of 3 MiB), both do not. */
static void test_copy_and_backup_on_one_filesystem(void **state)
{
    fixture_t *fx = *state;
    if (geteuid() != 0)
        skip();
    char mid[FIXTURE_PATH_MAX + 16], backup[FIXTURE_PATH_MAX + 32], copy[FIXTURE_PATH_MAX + 32];
    snprintf(mid, sizeof mid, "%s/mid", fx->work);
    snprintf(backup, sizeof backup, "%s/backup", mid);
    snprintf(copy, sizeof copy, "%s/alf_data", mid);
    assert_int_equal(file_mkdir_p(mid, 0700, NULL), 0);
    assert_int_equal(mount("tmpfs", mid, "tmpfs", 0, "size=3m"), 0);
    assert_int_equal(file_mkdir_p(backup, 0700, NULL), 0);
    char *saved = fx->config->backup_dir;
    fx->config->backup_dir = backup;
    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "size_tree", fx->tree, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    preflight_run_clear(&run);
    run_preflight(&run, fx->config, "size_tree", fx->tree, "copy_to", copy, NULL);
    fx->config->backup_dir = saved;
    umount2(mid, MNT_DETACH);
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "free_space", "and the copy");
    assert_string_equal(check(&run, "copy_fs"), check(&run, "backup_fs"));
    preflight_run_clear(&run);
}

/* copy_server: the same-server test. "same" is the harness's server by another conninfo (TCP):
 * template copy; "other" a second cluster: dump and restore, whose dump joins the estimate; an
 * unknown name fails the check. */
static void test_copy_server(void **state)
{
    fixture_t *fx = *state;
    const char *other = getenv("DB_TEST_OTHER_CONNINFO");
    if (other == NULL)
        skip();
    agent_postgres_t *pg = &fx->config->postgres;
    char same[DB_TEST_CONNINFO_MAX];
    snprintf(same, sizeof same, "host=127.0.0.1 port=%s user=%s", getenv("PGPORT"),
             getenv("PG_HARNESS_SUPERUSER"));
    pg->servers = calloc(2, sizeof *pg->servers);
    pg->servers[0] = (agent_pg_server_t){strdup("same"), strdup(same)};
    pg->servers[1] = (agent_pg_server_t){strdup("other"), strdup(other)};
    pg->server_count = 2;

    preflight_run_t run = {0};
    run_preflight(&run, fx->config, "database", "alfresco", "copy_server", "same", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(check(&run, "copy_server:same"), "ok");
    assert_string_equal(check(&run, "db_copy_method"), "template");
    assert_string_equal(check(&run, "db_server_same"), "yes");
    assert_string_equal(check(&run, "db_server_source"), check(&run, "db_server_target"));
    long long template_need = atoll(check(&run, "space_needed_bytes"));
    preflight_run_clear(&run);

    run_preflight(&run, fx->config, "database", "alfresco", "copy_server", "other", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(check(&run, "db_copy_method"), "dump-restore");
    assert_string_equal(check(&run, "db_server_same"), "no");
    assert_string_not_equal(check(&run, "db_server_source"), check(&run, "db_server_target"));
    assert_true(atoll(check(&run, "space_needed_bytes")) > template_need); /* the copy's dump */
    preflight_run_clear(&run);

    run_preflight(&run, fx->config, "database", "alfresco", "copy_server", "nas", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    assert_check_failed(&run, "copy_server:nas", "not one of this agent's postgres.servers");
    preflight_run_clear(&run);

    run_preflight(&run, fx->config, "copy_server", "other", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    preflight_run_clear(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_checks_pass),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_too_little_space),
        cmocka_unit_test(test_missing_pg_tools),
        cmocka_unit_test(test_unknown_service_and_tool),
        cmocka_unit_test(test_tool_installed_by_the_upgrade),
        cmocka_unit_test(test_bootstrap_lock_and_reachability),
        cmocka_unit_test(test_malformed_params_refused),
        cmocka_unit_test(test_backup_dir_and_filesystem_reported),
        cmocka_unit_test(test_copy_to_needs_room),
        cmocka_unit_test(test_copy_and_backup_on_one_filesystem),
        cmocka_unit_test(test_copy_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
