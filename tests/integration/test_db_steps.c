/* test_db_steps.c -- db steps against a real PostgreSQL (run by db_test.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db_conn.h"
#include "db_facts.h"
#include "db_ident.h"
#include "db_test_lib.h"
#include "file_util.h"
#include "step.h"
#include "tree_remove.h"

#define CONTENT_URL_ROWS 3000
#define NODE_ROWS 500
#define QNAME_ROWS 50
#define ODD_ROWS 7
#define PATCH_ROWS 4
#define FIXTURE_PATH_MAX 1024
#define EXPECTED_SCHEMA "14001"
#define EXPECTED_TABLES 6
#define EXPECTED_TOTAL_ROWS (CONTENT_URL_ROWS + NODE_ROWS + QNAME_ROWS + ODD_ROWS + PATCH_ROWS)

typedef struct fixture {
    char work[FIXTURE_PATH_MAX]; /* allowed root: backup/ and state/ below */
    char backup[FIXTURE_PATH_MAX + 16];
    char state[FIXTURE_PATH_MAX + 16];
    db_test_env_t env;
    agent_config_t *config;
    PGconn *admin; /* the test's own superuser connection */
} fixture_t;

/* ---- helpers ---- */

static PGconn *connect_db(const fixture_t *fx, const char *dbname)
{
    return db_test_connect(fx->env.conninfo, dbname, NULL);
}

static void drop_if_exists(const fixture_t *fx, const char *name)
{
    char statement[256];
    snprintf(statement, sizeof statement, "drop database if exists \"%s\" with (force)", name);
    db_test_sql(fx->admin, statement);
}

static int path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

typedef struct step_run {
    msg_step_result_t result;
    step_status_t status;
    kv_list_t params;
    unsigned progress_calls;
    atomic_int cancel;
    int cancel_on_progress; /* set cancel at the first progress report */
    PGconn *blocker;        /* when set: lock alf_node once rows are counted, cancel in pg_dump */
    int lock_sent;
    int interrupted; /* run as a step the agent was restarted during */
} step_run_t;

static void count_progress(void *arg, const step_progress_t *progress)
{
    step_run_t *run = arg;
    run->progress_calls++;
    if (run->cancel_on_progress)
        atomic_store(&run->cancel, 1);
    if (run->blocker == NULL || progress->message == NULL)
        return;
    /* After counting: queue an exclusive lock so pg_dump waits; cancel once pg_dump reports. */
    if (!run->lock_sent && strcmp(progress->message, "counting rows") == 0 &&
        progress->files_done == progress->files_total) {
        assert_int_equal(PQsendQuery(run->blocker, "begin; lock table alf_node in access "
                                                   "exclusive mode"),
                         1);
        run->lock_sent = 1;
    }
    if (run->lock_sent && strncmp(progress->message, "pg_dump", 7) == 0)
        atomic_store(&run->cancel, 1);
}

/* Runs kind with "key", "value", ... NULL params and the given approval. */
static void run_step(step_run_t *run, const agent_config_t *config, const char *kind,
                     const char *approval, ...)
{
    va_list ap;
    va_start(ap, approval);
    db_test_add_params(&run->params, ap);
    va_end(ap);
    step_context_t ctx = {.config = config,
                          .step_id = "t-1",
                          .params = &run->params,
                          .approval = approval,
                          .result = &run->result,
                          .progress = count_progress,
                          .progress_arg = run,
                          .cancel = &run->cancel,
                          .interrupted = run->interrupted};
    run->status = db_test_run_step(kind, &ctx);
}

static void step_run_clear(step_run_t *run)
{
    msg_step_result_clear(&run->result);
    kv_list_clear(&run->params);
    memset(run, 0, sizeof *run);
}

/* ---- the Alfresco-like source database ---- */

static void create_source_database(fixture_t *fx)
{
    db_test_sql(fx->admin, "do $$ begin if not exists (select from pg_roles where rolname = 'alfresco') "
                           "then create role alfresco login; end if; "
                           "if not exists (select from pg_roles where rolname = 'alf_new') "
                           "then create role alf_new login; end if; end $$");
    db_test_sql(fx->admin, "create database alfresco owner alfresco");
    PGconn *db = connect_db(fx, "alfresco");
    db_test_sql(db, "set role alfresco");
    db_test_sql(db, "create table alf_applied_patch (id varchar(64) primary key, "
                    "applied_to_schema integer not null, applied_on_date timestamp default now())");
    db_test_sql(db, "insert into alf_applied_patch (id, applied_to_schema) values "
                    "('patch.a', -1), ('patch.b', 14001), ('patch.c', 15000), ('patch.d', 16000)");
    db_test_sql(db,
        "create table alf_content_url (id bigint primary key, content_url varchar(255) not null, "
        "content_size bigint not null, orphan_time bigint)");
    db_test_sql(db,
        "insert into alf_content_url select g, 'store://2026/11/25/' || md5(g::text) || '.bin', "
        "g * 17, null from generate_series(1, 3000) g");
    db_test_sql(db, "create table alf_qname (id bigint primary key, local_name varchar(200))");
    db_test_sql(db, "insert into alf_qname select g, 'qname' || g from generate_series(1, 50) g");
    db_test_sql(db, "create table alf_node (id bigint primary key, type_qname_id bigint references "
                    "alf_qname(id), "
                    "uuid varchar(36))");
    db_test_sql(db,
        "insert into alf_node select g, 1 + g % 50, md5(g::text) from generate_series(1, 500) g");
    db_test_sql(db, "create table alf_prop_string_value (id bigint primary key, string_value text)");
    db_test_sql(db, "create table \"Odd Name\" (x integer)");
    db_test_sql(db, "insert into \"Odd Name\" select generate_series(1, 7)");
    PQfinish(db);
}

static int setup(void **state)
{
    db_test_env_t env;
    if (db_test_env_read(&env) != 0)
        return -1;
    fixture_t *fx = calloc(1, sizeof *fx);
    fx->env = env;
    snprintf(fx->work, sizeof fx->work, "%.900s/dbsteps", fx->env.work);
    snprintf(fx->backup, sizeof fx->backup, "%s/backup", fx->work);
    snprintf(fx->state, sizeof fx->state, "%s/state", fx->work);
    if (file_mkdir_p(fx->backup, 0700, NULL) != 0 || file_mkdir_p(fx->state, 0700, NULL) != 0 ||
        (fx->config = db_test_agent_config(&fx->env, fx->state, fx->backup, fx->work)) == NULL)
        return -1;
    fx->admin = connect_db(fx, "postgres");
    create_source_database(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    PQfinish(fx->admin);
    agent_config_destroy(&fx->config);
    free(fx);
    return 0;
}

/* A fresh db-backup of alfresco into backup/<name>; returns the dump path in path. */
static void backup_into(fixture_t *fx, const char *name, char *path, size_t len)
{
    step_run_t run = {0};
    snprintf(path, len, "%s/%s", fx->backup, name);
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", path, "jobs", "2",
             NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
}

/* ---- tests ---- */

/* Backup records schema and exact counts; restore rebuilds every table with the
 * same counts, the same schema number, owned by the requested role. */
static void test_backup_restore_round_trip(void **state)
{
    fixture_t *fx = *state;
    char dest[PATH_MAX], partial[PATH_MAX + 16], toc[PATH_MAX + 16], facts[PATH_MAX + 16];
    snprintf(dest, sizeof dest, "%s/nightly/alfresco-1", fx->backup);
    step_run_t run = {0};
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, "jobs", "3",
             NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "schema"), EXPECTED_SCHEMA);
    assert_int_equal(atoi(db_test_output(&run.result, "tables")), EXPECTED_TABLES);
    assert_int_equal(atoll(db_test_output(&run.result, "total_rows")), EXPECTED_TOTAL_ROWS);
    assert_true(atoll(db_test_output(&run.result, "db_size")) > 0);
    assert_true(atoll(db_test_output(&run.result, "dump_bytes")) > 0);
    assert_string_equal(db_test_output(&run.result, "dump"), dest);
    assert_non_null(strstr(db_test_output(&run.result, "facts"), DB_FACTS_FILE));
    assert_true(run.progress_calls > 0);
    snprintf(partial, sizeof partial, "%s.partial", dest);
    snprintf(toc, sizeof toc, "%s/toc.dat", dest);
    snprintf(facts, sizeof facts, "%s/%s", dest, DB_FACTS_FILE);
    assert_false(path_exists(partial));
    assert_true(path_exists(toc));
    db_facts_t recorded = {0};
    assert_int_equal(db_facts_read(facts, &recorded, NULL), 0);
    const db_table_count_t *urls = db_facts_find(&recorded, "public", "alf_content_url");
    assert_non_null(urls);
    assert_int_equal(urls->rows, CONTENT_URL_ROWS);
    assert_non_null(db_facts_find(&recorded, "public", "Odd Name"));
    db_facts_clear(&recorded);
    step_run_clear(&run);

    drop_if_exists(fx, "alfresco_restored");
    run_step(&run, fx->config, "db-restore", "", "dump", dest, "database", "alfresco_restored",
             "source", "alfresco", "owner", "alf_new", "jobs", "2", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "schema"), EXPECTED_SCHEMA);
    assert_int_equal(atoll(db_test_output(&run.result, "total_rows")), EXPECTED_TOTAL_ROWS);
    assert_true(db_test_guard_recorded(fx->state, "alfresco_restored"));
    step_run_clear(&run);

    /* Checked independently of the step: counts, schema number, owners. */
    PGconn *restored = connect_db(fx, "alfresco_restored");
    PGconn *source = connect_db(fx, "alfresco");
    static const char *const COUNTS[] = {"select count(*) from alf_applied_patch",
                                         "select count(*) from alf_content_url",
                                         "select count(*) from alf_node",
                                         "select count(*) from alf_qname",
                                         "select count(*) from alf_prop_string_value",
                                         "select count(*) from \"Odd Name\""};
    for (size_t i = 0; i < sizeof COUNTS / sizeof COUNTS[0]; i++)
        assert_int_equal(db_test_number(restored, COUNTS[i]), db_test_number(source, COUNTS[i]));
    assert_int_equal(db_test_number(restored, "select min(applied_to_schema) from alf_applied_patch "
                                              "where applied_to_schema > -1"),
                     14001);
    assert_int_equal(db_test_number(restored, "select count(*) from pg_tables where schemaname = "
                                              "'public' and tableowner <> 'alf_new'"),
                     0);
    assert_int_equal(db_test_number(fx->admin, "select count(*) from pg_database d join pg_roles r on "
                                               "r.oid = d.datdba where d.datname = 'alfresco_restored' "
                                               "and r.rolname = 'alf_new'"),
                     1);
    PQfinish(restored);
    PQfinish(source);

    /* Restoring again over a database alfup recorded is allowed. */
    run_step(&run, fx->config, "db-restore", "", "dump", dest, "database", "alfresco_restored",
             "source", "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    /* A second backup into the same folder is refused: dumps are never overwritten. */
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "already exists");
    step_run_clear(&run);
}

/* Asked again after the agent died during it: a dump it had already renamed into
 * place is kept (same facts); a dump folder without its facts is taken again. */
static void test_backup_interrupted(void **state)
{
    fixture_t *fx = *state;
    char dest[PATH_MAX], facts[PATH_MAX + 16], junk[PATH_MAX + 16];
    snprintf(dest, sizeof dest, "%s/interrupted", fx->backup);
    snprintf(facts, sizeof facts, "%s/%s", dest, DB_FACTS_FILE);
    step_run_t run = {0};
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    struct stat before, after;
    assert_int_equal(stat(facts, &before), 0);

    run.interrupted = 1;
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recovered"), "yes");
    assert_int_equal(atoll(db_test_output(&run.result, "total_rows")), EXPECTED_TOTAL_ROWS);
    assert_string_equal(db_test_output(&run.result, "schema"), EXPECTED_SCHEMA);
    step_run_clear(&run);
    assert_int_equal(stat(facts, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino); /* kept, not dumped again */

    /* A dump folder whose facts are missing is not a finished dump: taken again. */
    assert_int_equal(unlink(facts), 0);
    snprintf(junk, sizeof junk, "%s/junk", dest);
    int fd = open(junk, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    close(fd);
    run.interrupted = 1;
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recovered"), "");
    step_run_clear(&run);
    assert_true(path_exists(facts));
    assert_false(path_exists(junk));

    /* Facts of another database are not this step's dump: never removed, refused. */
    run.interrupted = 1;
    run_step(&run, fx->config, "db-backup", "", "database", "postgres", "dest", dest, NULL);
    assert_int_equal(run.status, STEP_FAILED);
    step_run_clear(&run);
    assert_true(path_exists(facts));
}

/* The target is never the source; an existing database alfup did not create is never dropped. */
static void test_restore_guards(void **state)
{
    fixture_t *fx = *state;
    char dump[PATH_MAX];
    backup_into(fx, "guard-dump", dump, sizeof dump);
    step_run_t run = {0};
    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database", "alfresco", "source",
             "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "target database alfresco is the source database; "
                                               "the source is never dropped or written");
    step_run_clear(&run);

    db_test_sql(fx->admin, "create database precious owner alfresco");
    PGconn *precious = connect_db(fx, "precious");
    db_test_sql(precious, "create table keep_me (x int)");
    PQfinish(precious);
    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database", "precious", "source",
             "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "not created by alfup");
    step_run_clear(&run);
    run_step(&run, fx->config, "db-drop-scratch", "", "database", "precious", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx->config, "db-create-scratch", "", "database", "precious", "owner", "alfresco",
             NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    precious = connect_db(fx, "precious");
    assert_int_equal(
        db_test_number(precious, "select count(*) from pg_tables where tablename = 'keep_me'"), 1);
    PQfinish(precious);
    drop_if_exists(fx, "precious");

    /* System databases and malformed names never reach SQL. */
    run_step(&run, fx->config, "db-create-scratch", "", "database", "template1", "owner",
             "alfresco", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database",
             "x\"; drop database alfresco; --", "source", "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database", "alfresco_r2", "source",
             "alfresco", "owner", "no_such_role", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "no_such_role");
    assert_false(db_test_database_exists(fx->admin, "alfresco_r2"));
    step_run_clear(&run);
    assert_true(db_test_database_exists(fx->admin, "alfresco"));
}

/* Sessions left on a recorded target are terminated before it is dropped. */
static void test_restore_terminates_sessions(void **state)
{
    fixture_t *fx = *state;
    char dump[PATH_MAX];
    backup_into(fx, "sessions-dump", dump, sizeof dump);
    step_run_t run = {0};
    run_step(&run, fx->config, "db-create-scratch", "", "database", "busy_target", "owner",
             "alfresco", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    PGconn *leftover = connect_db(fx, "busy_target");
    db_test_sql(leftover, "select 1");

    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database", "busy_target", "source",
             "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_true(atoi(db_test_output(&run.result, "terminated_sessions")) >= 1);
    step_run_clear(&run);
    PGresult *res = PQexec(leftover, "select 1");
    assert_int_not_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    PQfinish(leftover);
    run_step(&run, fx->config, "db-drop-scratch", "", "database", "busy_target", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
}

/* A wrong port fails with the database named, and leaves no partial dump. */
static void test_unreachable_database(void **state)
{
    fixture_t *fx = *state;
    char dest[PATH_MAX], partial[PATH_MAX + 16];
    snprintf(dest, sizeof dest, "%s/unreachable", fx->backup);
    snprintf(partial, sizeof partial, "%s.partial", dest);
    char *saved = fx->config->postgres.conninfo;
    char wrong[PATH_MAX + 64];
    snprintf(wrong, sizeof wrong, "host=%s port=1 user=%s", getenv("PGHOST"),
             getenv("PG_HARNESS_SUPERUSER"));
    fx->config->postgres.conninfo = wrong;
    step_run_t run = {0};
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, NULL);
    fx->config->postgres.conninfo = saved;
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "database alfresco");
    assert_false(path_exists(dest));
    assert_false(path_exists(partial));
    step_run_clear(&run);
}

/* Copies dump folder src to dst (flat), for tampering. */
static void copy_dump(const char *src, const char *dst)
{
    char *argv[] = {"/bin/cp", "-a", (char *)src, (char *)dst, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The biggest data file of a dump (the alf_content_url data). */
static void biggest_file(const char *dump, char *path, size_t len)
{
    DIR *dir = opendir(dump);
    assert_non_null(dir);
    off_t best = -1;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        struct stat st;
        if (strstr(entry->d_name, ".dat") && strcmp(entry->d_name, "toc.dat") != 0 &&
            fstatat(dirfd(dir), entry->d_name, &st, 0) == 0 && st.st_size > best) {
            best = st.st_size;
            int n = snprintf(path, len, "%s/%s", dump, entry->d_name);
            assert_true(n > 0 && (size_t)n < len);
        }
    }
    closedir(dir);
    assert_true(best > 0);
}

/* A corrupted dump fails and leaves no half-created database nor record behind. */
static void test_corrupt_dump(void **state)
{
    fixture_t *fx = *state;
    char dump[PATH_MAX], broken[PATH_MAX + 16], data[PATH_MAX + 256];
    backup_into(fx, "good-dump", dump, sizeof dump);
    snprintf(broken, sizeof broken, "%s-broken", dump);
    copy_dump(dump, broken);
    biggest_file(broken, data, sizeof data);
    static const char GARBAGE[] = "this is not a compressed table data stream\n";
    assert_int_equal(
        file_write_atomic(data, (const uint8_t *)GARBAGE, sizeof GARBAGE - 1, 0600, NULL), 0);

    step_run_t run = {0};
    run_step(&run, fx->config, "db-restore", "", "dump", broken, "database", "alfresco_corrupt",
             "source", "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "pg_restore");
    assert_false(db_test_database_exists(fx->admin, "alfresco_corrupt"));
    assert_false(db_test_guard_recorded(fx->state, "alfresco_corrupt"));
    step_run_clear(&run);
}

/* A row count, then a schema number, that does not match the recorded facts
 * fails naming the database, the table, what was found and what the dump
 * recorded; the half-restored database is removed. */
static void test_row_count_mismatch(void **state)
{
    fixture_t *fx = *state;
    char dump[PATH_MAX], facts_path[PATH_MAX + 32];
    backup_into(fx, "mismatch-dump", dump, sizeof dump);
    snprintf(facts_path, sizeof facts_path, "%s/%s", dump, DB_FACTS_FILE);
    db_facts_t facts = {0};
    assert_int_equal(db_facts_read(facts_path, &facts, NULL), 0);
    for (size_t i = 0; i < facts.table_count; i++)
        if (strcmp(facts.tables[i].table, "alf_node") == 0)
            facts.tables[i].rows += 1;
    assert_int_equal(db_facts_write(&facts, facts_path, NULL), 0);

    step_run_t run = {0};
    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database", "alfresco_mismatch",
             "source", "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "database alfresco_mismatch: table public.alf_node "
                                               "has 500 rows, the dump recorded 501");
    assert_true(db_test_log_mentions(&run.result,
                                     "removed the half-restored database alfresco_mismatch"));
    assert_false(db_test_database_exists(fx->admin, "alfresco_mismatch"));
    step_run_clear(&run);

    free(facts.schema_number);
    facts.schema_number = strdup("14002");
    assert_int_equal(db_facts_write(&facts, facts_path, NULL), 0);
    db_facts_clear(&facts);
    run_step(&run, fx->config, "db-restore", "", "dump", dump, "database", "alfresco_mismatch",
             "source", "alfresco", "owner", "alfresco", NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "database alfresco_mismatch: schema number "
                                               EXPECTED_SCHEMA ", the dump recorded 14002");
    assert_false(db_test_database_exists(fx->admin, "alfresco_mismatch"));
    step_run_clear(&run);
}

static void test_scratch_create_drop(void **state)
{
    fixture_t *fx = *state;
    step_run_t run = {0};
    run_step(&run, fx->config, "db-create-scratch", "", "database", "alf_scratch", "owner",
             "alf_new", "source", "alfresco", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recreated"), "no");
    step_run_clear(&run);
    assert_true(db_test_guard_recorded(fx->state, "alf_scratch"));
    assert_int_equal(db_test_number(fx->admin, "select count(*) from pg_database d join pg_roles r on "
                                               "r.oid = d.datdba where d.datname = 'alf_scratch' and "
                                               "r.rolname = 'alf_new'"),
                     1);
    run_step(&run, fx->config, "db-create-scratch", "", "database", "alf_scratch", "owner",
             "alf_new", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recreated"), "yes");
    step_run_clear(&run);
    run_step(&run, fx->config, "db-drop-scratch", "", "database", "alf_scratch", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "dropped"), "yes");
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, "alf_scratch"));
    assert_false(db_test_guard_recorded(fx->state, "alf_scratch"));
    run_step(&run, fx->config, "db-drop-scratch", "", "database", "alf_scratch", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "dropped"), "no");
    step_run_clear(&run);
    run_step(&run, fx->config, "db-create-scratch", "", "database", "alfresco", "owner", "alfresco",
             "source", "alfresco", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
}

static void test_decommission_needs_approval(void **state)
{
    fixture_t *fx = *state;
    db_test_sql(fx->admin, "create database old_alfresco owner alfresco");
    PGconn *session = connect_db(fx, "old_alfresco");
    step_run_t run = {0};
    run_step(&run, fx->config, "decommission-database", "", "database", "old_alfresco", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "approval");
    step_run_clear(&run);
    assert_true(db_test_database_exists(fx->admin, "old_alfresco"));
    run_step(&run, fx->config, "decommission-database", "op:alice@2026-11-25", "database",
             "old_alfresco", "keep", "alfresco", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "approval"), "op:alice@2026-11-25");
    assert_string_equal(db_test_output(&run.result, "dropped"), "yes");
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, "old_alfresco"));
    PQfinish(session);
}

static void test_params_refused(void **state)
{
    fixture_t *fx = *state;
    char outside[PATH_MAX], inside[PATH_MAX];
    snprintf(outside, sizeof outside, "%s/not-backup/dump", fx->work);
    snprintf(inside, sizeof inside, "%s/p", fx->backup);
    step_run_t run = {0};
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", outside, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "not inside the agent's backup_dir");
    step_run_clear(&run);
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", "/etc/dump", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", inside, "jobs",
             "17", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx->config, "db-backup", "", "database", "9lives", "dest", inside, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    assert_false(path_exists(inside));
}

/* Cancelling while rows are counted stops the backup and leaves nothing behind. */
static void test_backup_cancel(void **state)
{
    fixture_t *fx = *state;
    char dest[PATH_MAX], partial[PATH_MAX + 16];
    snprintf(dest, sizeof dest, "%s/cancelled", fx->backup);
    snprintf(partial, sizeof partial, "%s.partial", dest);
    step_run_t run = {.cancel_on_progress = 1};
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, NULL);
    assert_int_equal(run.status, STEP_CANCELLED);
    assert_false(path_exists(dest));
    assert_false(path_exists(partial));
    step_run_clear(&run);
}

/* Cancelling while pg_dump runs stops it and removes the partial dump folder. */
static void test_backup_cancel_during_dump(void **state)
{
    fixture_t *fx = *state;
    char dest[PATH_MAX], partial[PATH_MAX + 16];
    snprintf(dest, sizeof dest, "%s/cancelled-dump", fx->backup);
    snprintf(partial, sizeof partial, "%s.partial", dest);
    step_run_t run = {.blocker = connect_db(fx, "alfresco")};
    run_step(&run, fx->config, "db-backup", "", "database", "alfresco", "dest", dest, "jobs", "2",
             NULL);
    assert_int_equal(run.status, STEP_CANCELLED);
    assert_true(run.lock_sent);
    db_test_assert_error_mentions(&run.result, "pg_dump was cancelled");
    assert_false(path_exists(dest));
    assert_false(path_exists(partial));
    PGresult *res;
    while ((res = PQgetResult(run.blocker)) != NULL)
        PQclear(res);
    db_test_sql(run.blocker, "rollback");
    PQfinish(run.blocker);
    step_run_clear(&run);
}

/* The facts file round-trips and malformed files are refused with the line. */
static void test_facts_format(void **state)
{
    (void)state;
    db_facts_t facts = {.database = strdup("alfresco"),
                        .schema_number = strdup("14001"),
                        .db_size = 123,
                        .recorded_unix_ms = 42};
    assert_int_equal(db_facts_add_table(&facts, "public", "alf_node", 500, NULL), 0);
    assert_int_equal(db_facts_add_table(&facts, "public", "Odd Name%", 7, NULL), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(db_facts_format(&facts, &text, &len, NULL), 0);
    assert_non_null(strstr(text, "table public Odd%20Name%25 7\n"));
    db_facts_t parsed = {0};
    assert_int_equal(db_facts_parse(text, len, &parsed, NULL), 0);
    assert_string_equal(parsed.schema_number, "14001");
    assert_int_equal(parsed.table_count, 2);
    assert_int_equal(db_facts_find(&parsed, "public", "Odd Name%")->rows, 7);
    db_facts_clear(&parsed);

    static const char *const BAD[] = {
        "",
        "alfup-db-facts 2\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\ntables "
        "1\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number x\ndb_size 1\nrecorded_unix_ms 1\ntables "
        "0\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size -1\nrecorded_unix_ms 1\ntables "
        "0\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\ntables "
        "0\nend",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\ntables "
        "0\nend\nmore\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\ntables 1\n"
        "table public t%2 1\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\ntables 1\n"
        "table public t%00 1\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\ntables 2\n"
        "table public t 1\ntable public t 2\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 1\nrecorded_unix_ms 1\n"
        "tables 99999999999\nend\n",
        "alfup-db-facts 1\ndatabase a\nschema_number 1\ndb_size 99999999999999999999\n"
        "recorded_unix_ms 1\ntables 0\nend\n",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        alfup_err_t err;
        if (db_facts_parse(BAD[i], strlen(BAD[i]), &parsed, &err) == 0)
            fail_msg("malformed facts #%zu accepted", i);
        assert_int_equal(parsed.table_count, 0);
        assert_non_null(strstr(err.msg, "facts"));
    }
    free(text);
    db_facts_clear(&facts);
}

/* Names from the wire: only plain identifiers of at most 63 bytes. */
static void test_identifiers(void **state)
{
    (void)state;
    char longest[64], too_long[65];
    memset(longest, 'a', 63);
    longest[63] = '\0';
    memset(too_long, 'a', 64);
    too_long[64] = '\0';
    assert_true(db_ident_valid("alfresco_v2"));
    assert_true(db_ident_valid("_x9"));
    assert_true(db_ident_valid(longest));
    assert_false(db_ident_valid(too_long));
    assert_false(db_ident_valid(""));
    assert_false(db_ident_valid(NULL));
    assert_false(db_ident_valid("9lives"));
    assert_false(db_ident_valid("alf-new"));
    assert_false(db_ident_valid("a b"));
    assert_false(db_ident_valid("a\"b"));
    assert_true(db_ident_is_system_database("template0"));
    assert_false(db_ident_is_system_database("alfresco"));
}

/* Children get the config's connection with the database replaced and the
 * password moved out of argv into PGPASSWORD. */
static void test_child_conninfo(void **state)
{
    (void)state;
    agent_config_t config = {0};
    char *conninfo = NULL, *password_env = NULL;
    config.postgres.conninfo =
        "host=/run/pg port=5433 user=admin password='se\\'cr\\\\et' dbname=old";
    assert_int_equal(db_conninfo_for_child(&config, "alfresco_v2", &conninfo, &password_env, NULL),
                     0);
    assert_null(strstr(conninfo, "password"));
    assert_null(strstr(conninfo, "cr"));
    assert_null(strstr(conninfo, "old"));
    assert_non_null(strstr(conninfo, "dbname='alfresco_v2'"));
    assert_non_null(strstr(conninfo, "port='5433'"));
    assert_string_equal(password_env, "PGPASSWORD=se'cr\\et");
    free(conninfo);
    free(password_env);
    config.postgres.conninfo = "postgresql://admin@db.example.com:5434/olddb";
    assert_int_equal(db_conninfo_for_child(&config, "alfresco_v2", &conninfo, &password_env, NULL),
                     0);
    assert_null(password_env);
    assert_non_null(strstr(conninfo, "host='db.example.com'"));
    assert_non_null(strstr(conninfo, "port='5434'"));
    assert_null(strstr(conninfo, "olddb"));
    free(conninfo);
    config.postgres.conninfo = "host='unterminated";
    assert_int_not_equal(db_conninfo_for_child(&config, "x", &conninfo, &password_env, NULL), 0);
    assert_null(conninfo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facts_format),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_child_conninfo),
        cmocka_unit_test(test_backup_restore_round_trip),
        cmocka_unit_test(test_backup_interrupted),
        cmocka_unit_test(test_restore_guards),
        cmocka_unit_test(test_restore_terminates_sessions),
        cmocka_unit_test(test_unreachable_database),
        cmocka_unit_test(test_corrupt_dump),
        cmocka_unit_test(test_row_count_mismatch),
        cmocka_unit_test(test_scratch_create_drop),
        cmocka_unit_test(test_decommission_needs_approval),
        cmocka_unit_test(test_params_refused),
        cmocka_unit_test(test_backup_cancel),
        cmocka_unit_test(test_backup_cancel_during_dump),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
