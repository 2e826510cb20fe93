/* test_db_copy.c -- the db-copy step against a real PostgreSQL (run by db_test.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_test_lib.h"
#include "file_util.h"
#include "step.h"

#define FIXTURE_PATH_MAX 1024
#define SOURCE "alf_old"
#define TARGET "alf_copy"
#define OLD_OWNER "alf_old_user"
#define OTHER_OWNER "alf_other"
#define NEW_OWNER "alf_new_user"
#define CLIENT_APP "copy-test-client"
#define EXPECTED_SCHEMA "14001"
/* alf_applied_patch 4, alf_node 500, alf_content_url 300, "Odd Name" 7, audit.alf_audit_entry 20,
 * alf_admin_only 3 */
#define EXPECTED_ROWS (4 + 500 + 300 + 7 + 20 + 3)
#define EXPECTED_TABLES 6

typedef struct fixture {
    char state[FIXTURE_PATH_MAX + 16];
    char same_conninfo[DB_TEST_CONNINFO_MAX]; /* the harness's server over TCP: another conninfo */
    const char *other_conninfo; /* DB_TEST_OTHER_CONNINFO: a second cluster (db_test.sh) */
    db_test_env_t env;
    agent_config_t *config;
    PGconn *admin; /* the test's own superuser connection */
} fixture_t;

/* What the progress callback does when the step reports its copy. */
typedef enum copy_hook {
    HOOK_NONE,
    HOOK_INSERT_ROW,       /* a writer slips a row into the source between count and copy */
    HOOK_HOLD_CLIENT,      /* a client connects to the source between check and copy */
    HOOK_HOLD_THEN_CANCEL, /* the same, then the step is cancelled while CREATE waits */
} copy_hook_t;

typedef struct step_run {
    msg_step_result_t result;
    step_status_t status;
    kv_list_t params;
    atomic_int cancel;
    int interrupted;
    int cancel_on_progress;
    copy_hook_t hook;
    const fixture_t *fx;
    PGconn *client; /* opened by a hook; closed by the test */
    int saw_start, saw_copied, saw_verified, saw_tick;
} step_run_t;

/* ---- helpers ---- */

static PGconn *connect_app(const fixture_t *fx, const char *dbname, const char *app)
{
    return db_test_connect(fx->env.conninfo, dbname, app);
}

static PGconn *connect_db(const fixture_t *fx, const char *dbname)
{
    return connect_app(fx, dbname, "test_db_copy");
}

static void sql_in(const fixture_t *fx, const char *dbname, const char *statement)
{
    PGconn *conn = connect_db(fx, dbname);
    db_test_sql(conn, statement);
    PQfinish(conn);
}

static long long number_in(const fixture_t *fx, const char *dbname, const char *query)
{
    PGconn *conn = connect_db(fx, dbname);
    long long value = db_test_number(conn, query);
    PQfinish(conn);
    return value;
}

static long long database_oid(const fixture_t *fx, const char *name)
{
    char query[256];
    snprintf(query, sizeof query, "select oid from pg_database where datname = '%s'", name);
    return db_test_number(fx->admin, query);
}


static int starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

static void on_progress(void *arg, const step_progress_t *progress)
{
    step_run_t *run = arg;
    if (run->cancel_on_progress)
        atomic_store(&run->cancel, 1);
    const char *msg = progress->message ? progress->message : "";
    run->saw_start |= starts_with(msg, "copying database " SOURCE " to " TARGET);
    run->saw_copied |= starts_with(msg, "copied " SOURCE " to " TARGET);
    run->saw_verified |= starts_with(msg, "verified " TARGET);
    if (starts_with(msg, "copying " SOURCE " to " TARGET ": ")) { /* once a second in CREATE */
        run->saw_tick = 1;
        if (run->hook == HOOK_HOLD_THEN_CANCEL && run->client != NULL)
            atomic_store(&run->cancel, 1);
    }
    if (!starts_with(msg, "copying " SOURCE " to " TARGET " (template copy"))
        return; /* reported after the client check and the count, just before CREATE */
    if (run->hook == HOOK_INSERT_ROW)
        sql_in(run->fx, SOURCE, "insert into alf_node values (100000, 'written late')");
    else if (run->hook == HOOK_HOLD_CLIENT || run->hook == HOOK_HOLD_THEN_CANCEL)
        run->client = connect_app(run->fx, SOURCE, CLIENT_APP);
}

/* Runs kind with "key", "value", ... NULL params. */
static void run_step(step_run_t *run, const fixture_t *fx, const char *kind, ...)
{
    va_list ap;
    va_start(ap, kind);
    db_test_add_params(&run->params, ap);
    va_end(ap);
    run->fx = fx;
    step_context_t ctx = {.config = fx->config,
                          .step_id = "copy-1",
                          .params = &run->params,
                          .approval = "",
                          .result = &run->result,
                          .progress = on_progress,
                          .progress_arg = run,
                          .cancel = &run->cancel,
                          .interrupted = run->interrupted};
    run->status = db_test_run_step(kind, &ctx);
}

static void run_copy(step_run_t *run, const fixture_t *fx)
{
    run_step(run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", NEW_OWNER, NULL);
}

static void step_run_clear(step_run_t *run)
{
    if (run->client != NULL)
        PQfinish(run->client);
    msg_step_result_clear(&run->result);
    kv_list_clear(&run->params);
    memset(run, 0, sizeof *run);
}

static void drop_target(step_run_t *run, const fixture_t *fx)
{
    run_step(run, fx, "db-drop-scratch", "database", TARGET, NULL);
    assert_int_equal(run->status, STEP_SUCCEEDED);
    step_run_clear(run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
}

/* Every schema, relation, routine and type outside the system schemas with its
 * owner, one string, so two databases' ownership can be compared. */
static char *owner_listing(const fixture_t *fx, const char *dbname)
{
    static const char LISTING[] =
        "with ns as (select oid, nspname, nspowner from pg_namespace "
        "  where nspname !~ '^pg_' and nspname <> 'information_schema') "
        "select string_agg(k || ' ' || n || ' ' || o, E'\\n' order by k, n) from ("
        "select 'schema' k, nspname n, pg_get_userbyid(nspowner) o from ns "
        "union all select 'rel ' || c.relkind::text, ns.nspname || '.' || c.relname, "
        "  pg_get_userbyid(c.relowner) from pg_class c join ns on ns.oid = c.relnamespace "
        "union all select 'proc', ns.nspname || '.' || p.proname, pg_get_userbyid(p.proowner) "
        "  from pg_proc p join ns on ns.oid = p.pronamespace "
        "union all select 'type ' || t.typtype::text, ns.nspname || '.' || t.typname, "
        "  pg_get_userbyid(t.typowner) from pg_type t join ns on ns.oid = t.typnamespace) x";
    PGconn *conn = connect_db(fx, dbname);
    PGresult *res = PQexec(conn, LISTING);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("owner listing of %s: %s", dbname, PQerrorMessage(conn));
    char *listing = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return listing;
}

/* ---- the source database: several tables and owners ---- */

static void create_source_database(fixture_t *fx)
{
    db_test_sql(fx->admin, "create role " OLD_OWNER " login");
    db_test_sql(fx->admin, "create role " OTHER_OWNER " nologin");
    db_test_sql(fx->admin, "create role " NEW_OWNER " login");
    db_test_sql(fx->admin, "create database " SOURCE " owner " OLD_OWNER);
    PGconn *db = connect_db(fx, SOURCE);
    db_test_sql(db, "set role " OLD_OWNER);
    db_test_sql(db, "create table alf_applied_patch (id varchar(64) primary key, "
                    "applied_to_schema integer not null)");
    db_test_sql(db, "insert into alf_applied_patch values ('patch.a', -1), ('patch.b', 14001), "
                    "('patch.c', 15000), ('patch.d', 16000)");
    db_test_sql(db, "create sequence hibernate_sequence");
    db_test_sql(db, "create table alf_node (id bigint primary key, uuid text)");
    db_test_sql(db, "insert into alf_node select g, md5(g::text) from generate_series(1, 500) g");
    db_test_sql(db, "create table alf_content_url (id serial primary key, content_url text)");
    db_test_sql(db, "insert into alf_content_url (content_url) select 'store://' || g "
                    "from generate_series(1, 300) g");
    db_test_sql(db, "create table \"Odd Name\" (x integer)");
    db_test_sql(db, "insert into \"Odd Name\" select generate_series(1, 7)");
    db_test_sql(db, "create view alf_node_ids as select id from alf_node");
    db_test_sql(db, "create function alf_node_count() returns bigint language sql "
                    "as 'select count(*) from alf_node'");
    db_test_sql(db, "create type alf_state as enum ('live', 'archived')");
    db_test_sql(db, "reset role");
    db_test_sql(db, "create schema audit authorization " OTHER_OWNER);
    db_test_sql(db, "set role " OTHER_OWNER);
    db_test_sql(db, "create table audit.alf_audit_entry (id integer, state text)");
    db_test_sql(db, "insert into audit.alf_audit_entry select g, 'x' from generate_series(1, 20) g");
    db_test_sql(db, "reset role");
    db_test_sql(db, "create table alf_admin_only (x integer)"); /* owned by the superuser */
    db_test_sql(db, "insert into alf_admin_only values (1), (2), (3)");
    PQfinish(db);
}

/* postgres.servers: "same" (the harness's server by TCP) and, when db_test.sh started a second
 * cluster, "other" with the new owner's role made there. */
static void add_servers(fixture_t *fx)
{
    const char *port = getenv("PGPORT"), *user = getenv("PG_HARNESS_SUPERUSER");
    snprintf(fx->same_conninfo, sizeof fx->same_conninfo, "host=127.0.0.1 port=%s user=%s",
             port ? port : "", user ? user : "");
    fx->other_conninfo = getenv("DB_TEST_OTHER_CONNINFO");
    agent_postgres_t *pg = &fx->config->postgres;
    pg->servers = calloc(2, sizeof *pg->servers);
    pg->servers[0].name = strdup("same");
    pg->servers[0].conninfo = strdup(fx->same_conninfo);
    pg->server_count = 1;
    if (fx->other_conninfo == NULL)
        return;
    pg->servers[1].name = strdup("other");
    pg->servers[1].conninfo = strdup(fx->other_conninfo);
    pg->server_count = 2;
    PGconn *other = db_test_connect(fx->other_conninfo, "postgres", NULL);
    db_test_sql(other, "create role " NEW_OWNER " login");
    PQfinish(other);
}

static int setup(void **state)
{
    db_test_env_t env;
    if (db_test_env_read(&env) != 0)
        return -1;
    fixture_t *fx = calloc(1, sizeof *fx);
    fx->env = env;
    char work[FIXTURE_PATH_MAX];
    snprintf(work, sizeof work, "%.900s/dbcopy", fx->env.work);
    snprintf(fx->state, sizeof fx->state, "%s/state", work);
    if (file_mkdir_p(fx->state, 0700, NULL) != 0 ||
        (fx->config = db_test_agent_config(&fx->env, fx->state, NULL, work)) == NULL)
        return -1;
    fx->admin = connect_db(fx, "postgres");
    create_source_database(fx);
    add_servers(fx);
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

/* ---- tests ---- */

/* The copy has every row and the schema number, and the new owner owns the
 * database and every object in it, exactly as after db-backup + db-restore;
 * the source is left exactly as it was. */
static void test_copy_round_trip(void **state)
{
    fixture_t *fx = *state;
    char *source_before = owner_listing(fx, SOURCE);
    step_run_t run = {0};
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "database"), TARGET);
    assert_string_equal(db_test_output(&run.result, "owner"), NEW_OWNER);
    assert_string_equal(db_test_output(&run.result, "schema"), EXPECTED_SCHEMA);
    assert_string_equal(db_test_output(&run.result, "strategy"), "file_copy");
    assert_string_equal(db_test_output(&run.result, "recovered"), "no");
    assert_int_equal(atoi(db_test_output(&run.result, "tables")), EXPECTED_TABLES);
    assert_int_equal(atoll(db_test_output(&run.result, "rows")), EXPECTED_ROWS);
    assert_true(atoll(db_test_output(&run.result, "bytes")) > 0);
    assert_true(atoll(db_test_output(&run.result, "reassigned")) >= 10);
    assert_non_null(strchr(db_test_output(&run.result, "seconds"), '.'));
    assert_true(run.saw_start && run.saw_copied && run.saw_verified);
    step_run_clear(&run);
    assert_true(db_test_guard_recorded(fx->state, TARGET));

    /* Checked independently of the step: rows, schema number, owners. */
    static const char *const COUNTS[] = {
        "select count(*) from alf_applied_patch", "select count(*) from alf_node",
        "select count(*) from alf_content_url",   "select count(*) from \"Odd Name\"",
        "select count(*) from audit.alf_audit_entry", "select count(*) from alf_admin_only"};
    for (size_t i = 0; i < sizeof COUNTS / sizeof COUNTS[0]; i++)
        assert_int_equal(number_in(fx, TARGET, COUNTS[i]), number_in(fx, SOURCE, COUNTS[i]));
    assert_int_equal(number_in(fx, TARGET, "select min(applied_to_schema) from alf_applied_patch "
                                           "where applied_to_schema > -1"),
                     14001);
    assert_int_equal(number_in(fx, TARGET, "select count(*) from pg_tables where schemaname not "
                                           "in ('pg_catalog', 'information_schema')"),
                     EXPECTED_TABLES);
    assert_int_equal(number_in(fx, TARGET, "select count(*) from pg_tables where schemaname not "
                                           "in ('pg_catalog', 'information_schema') "
                                           "and tableowner <> '" NEW_OWNER "'"),
                     0);
    assert_int_equal(db_test_number(fx->admin, "select count(*) from pg_database d join pg_roles r on "
                                               "r.oid = d.datdba where d.datname = '" TARGET
                                               "' and r.rolname = '" NEW_OWNER "'"),
                     1);
    /* The sequence behind the serial column still works, now the new owner's. */
    assert_int_equal(number_in(fx, TARGET, "select nextval('alf_content_url_id_seq')"), 301);

    /* Ownership equal to db-restore's: back up the source and restore it beside the copy. */
    char dump[PATH_MAX];
    snprintf(dump, sizeof dump, "%s/dump-for-owners", fx->config->backup_dir);
    run_step(&run, fx, "db-backup", "database", SOURCE, "dest", dump, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    run_step(&run, fx, "db-restore", "dump", dump, "database", "alf_restored", "source", SOURCE,
             "owner", NEW_OWNER, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    char *copied = owner_listing(fx, TARGET), *restored = owner_listing(fx, "alf_restored");
    assert_string_equal(copied, restored);
    assert_null(strstr(copied, OLD_OWNER));
    char *source_after = owner_listing(fx, SOURCE);
    assert_string_equal(source_after, source_before); /* the source is never written */
    assert_non_null(strstr(source_after, "rel r audit.alf_audit_entry " OTHER_OWNER));
    free(copied);
    free(restored);
    free(source_before);
    free(source_after);
    assert_int_equal(db_test_number(fx->admin, "select count(*) from pg_database d join pg_roles r on "
                                               "r.oid = d.datdba where d.datname = '" SOURCE
                                               "' and r.rolname = '" OLD_OWNER "'"),
                     1);
    run_step(&run, fx, "db-drop-scratch", "database", "alf_restored", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    drop_target(&run, fx);
}

/* A client on the source: refused before anything is created, the client named. */
static void test_copy_refuses_connected_client(void **state)
{
    fixture_t *fx = *state;
    PGconn *client = connect_app(fx, SOURCE, CLIENT_APP);
    db_test_sql(client, "select 1");
    step_run_t run = {0};
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, CLIENT_APP);
    char user[128];
    snprintf(user, sizeof user, "user %s", getenv("PG_HARNESS_SUPERUSER"));
    db_test_assert_error_mentions(&run.result, user);
    db_test_assert_error_mentions(&run.result, "does not end them");
    assert_true(db_test_log_mentions(&run.result, CLIENT_APP));
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));
    /* Never terminated: the client still works. */
    assert_int_equal(db_test_number(client, "select count(*) from \"Odd Name\""), 7);
    PQfinish(client);
}

/* A client that connects after the check but before the copy: CREATE fails,
 * and the error names it the same way; nothing is left. */
static void test_copy_client_races_in(void **state)
{
    fixture_t *fx = *state;
    step_run_t run = {.hook = HOOK_HOLD_CLIENT};
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(run.client);
    db_test_assert_error_mentions(&run.result, CLIENT_APP);
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));
}

/* A target alfup did not create is never dropped; bad names never reach SQL. */
static void test_copy_refuses_foreign_target(void **state)
{
    fixture_t *fx = *state;
    db_test_sql(fx->admin, "create database alf_precious owner " OLD_OWNER);
    sql_in(fx, "alf_precious", "create table keep_me (x int)");
    step_run_t run = {0};
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", "alf_precious", "owner", NEW_OWNER,
             NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "not created by alfup");
    step_run_clear(&run);
    assert_int_equal(
        number_in(fx, "alf_precious", "select count(*) from pg_tables where tablename = 'keep_me'"),
        1);
    db_test_sql(fx->admin, "drop database alf_precious");

    run_step(&run, fx, "db-copy", "source", SOURCE, "database", SOURCE, "owner", NEW_OWNER, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "target database " SOURCE " is the source database; "
                                               "the source is never dropped or written");
    step_run_clear(&run);
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", "template1", "owner", NEW_OWNER,
             NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", "x\"; drop database alf_old; --",
             "owner", NEW_OWNER, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", "no_such_role",
             NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "no_such_role");
    step_run_clear(&run);
    run_step(&run, fx, "db-copy", "source", "no_such_db", "database", TARGET, "owner", NEW_OWNER,
             NULL);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "no_such_db");
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));
    assert_true(db_test_database_exists(fx->admin, SOURCE));
}

/* A row written into the source after it was counted and before the copy: the
 * copy does not match the count, so it is dropped and the step fails naming the table. */
static void test_copy_verification_fails(void **state)
{
    fixture_t *fx = *state;
    step_run_t run = {.hook = HOOK_INSERT_ROW};
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_FAILED);
    db_test_assert_error_mentions(&run.result, "database " TARGET ": table public.alf_node has 501 "
                                               "rows, the source " SOURCE " had 500");
    assert_true(run.saw_copied);
    assert_true(db_test_log_mentions(&run.result, "removed the unfinished copy"));
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));
    sql_in(fx, SOURCE, "delete from alf_node where id = 100000");
}

/* Cancelled while CREATE DATABASE runs (waiting for a client to leave): the
 * statement is cancelled on the server and nothing is left. */
static void test_copy_cancel(void **state)
{
    fixture_t *fx = *state;
    step_run_t run = {.hook = HOOK_HOLD_THEN_CANCEL};
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_CANCELLED);
    assert_true(run.saw_tick);
    db_test_assert_error_mentions(&run.result, "canceling statement");
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));

    run.cancel_on_progress = 1; /* at the first report, before anything is created */
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_CANCELLED);
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));
}

/* Asked again after the agent died: a verified copy is kept; a copy whose
 * owners were not all given yet is dropped and made again; without the
 * interrupted flag a recorded target is made again. */
static void test_copy_interrupted(void **state)
{
    fixture_t *fx = *state;
    step_run_t run = {0};
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    long long first = database_oid(fx, TARGET);

    run.interrupted = 1;
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recovered"), "yes");
    assert_int_equal(atoll(db_test_output(&run.result, "rows")), EXPECTED_ROWS);
    assert_string_equal(db_test_output(&run.result, "schema"), EXPECTED_SCHEMA);
    step_run_clear(&run);
    assert_int_equal(database_oid(fx, TARGET), first); /* kept, not copied again */

    /* As if the agent died after CREATE and before the owners were given. */
    sql_in(fx, TARGET, "alter table alf_node owner to " OLD_OWNER);
    run.interrupted = 1;
    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recovered"), "no");
    assert_true(db_test_log_mentions(&run.result, "copied again"));
    step_run_clear(&run);
    long long second = database_oid(fx, TARGET);
    assert_true(second != first);
    assert_int_equal(number_in(fx, TARGET, "select count(*) from pg_tables where tableowner <> '"
                                           NEW_OWNER "' and schemaname <> 'pg_catalog' and "
                                           "schemaname <> 'information_schema'"),
                     0);

    run_copy(&run, fx);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "recovered"), "no");
    step_run_clear(&run);
    assert_true(database_oid(fx, TARGET) != second);
    drop_target(&run, fx);
}

static long long number_on(const char *conninfo, const char *dbname, const char *query)
{
    PGconn *conn = db_test_connect(conninfo, dbname, NULL);
    long long value = db_test_number(conn, query);
    PQfinish(conn);
    return value;
}

/* server names the harness's own server by another conninfo: the same-server test says so and
 * the copy is a template copy; an unknown server is refused before anything is done. */
static void test_copy_same_server_by_another_name(void **state)
{
    fixture_t *fx = *state;
    step_run_t run = {0};
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", NEW_OWNER, "server",
             "same", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "method"), "template");
    assert_string_equal(db_test_output(&run.result, "server"), "same");
    assert_true(db_test_log_mentions(&run.result, "the same server (template copy)"));
    step_run_clear(&run);
    /* recorded as that server's: db-drop-scratch drops it there, not as the agent's own */
    char same_state[PATH_MAX];
    snprintf(same_state, sizeof same_state, "%s/servers/same", fx->state);
    assert_true(db_test_guard_recorded(same_state, TARGET));
    run_step(&run, fx, "db-drop-scratch", "database", TARGET, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    step_run_clear(&run);
    run_step(&run, fx, "db-drop-scratch", "database", TARGET, "server", "same", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));

    run_step(&run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", NEW_OWNER, "server",
             "nas", NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    db_test_assert_error_mentions(&run.result, "not one of this agent's postgres.servers");
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));
}

/* The new database on another server: pg_dump -Fd -j of the source, pg_restore -j into the other
 * server, checked (schema number, every table's row count), owned by the new owner as a restore
 * gives it; the dump stays in backup_dir; nothing is made on the source's server. */
static void test_copy_to_another_server(void **state)
{
    fixture_t *fx = *state;
    if (fx->other_conninfo == NULL)
        skip();
    step_run_t run = {0};
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", NEW_OWNER, "server",
             "other", NULL);
    assert_int_equal(run.status, STEP_REFUSED); /* another server needs somewhere to dump */
    db_test_assert_error_mentions(&run.result, "needs param dump");
    step_run_clear(&run);

    char dump[PATH_MAX];
    snprintf(dump, sizeof dump, "%s/copy-to-other.dump", fx->config->backup_dir);
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", NEW_OWNER, "server",
             "other", "dump", dump, "jobs", "2", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(db_test_output(&run.result, "method"), "dump-restore");
    assert_string_equal(db_test_output(&run.result, "schema"), EXPECTED_SCHEMA);
    assert_int_equal(atoi(db_test_output(&run.result, "tables")), EXPECTED_TABLES);
    assert_int_equal(atoll(db_test_output(&run.result, "rows")), EXPECTED_ROWS);
    assert_true(atoll(db_test_output(&run.result, "dump_bytes")) > 0);
    assert_true(db_test_log_mentions(&run.result, "another server (dump and restore)"));
    step_run_clear(&run);
    assert_false(db_test_database_exists(fx->admin, TARGET));

    /* Checked independently: rows and owners on the other server. */
    static const char *const COUNTS[] = {"select count(*) from alf_node",
                                         "select count(*) from audit.alf_audit_entry",
                                         "select count(*) from alf_admin_only"};
    for (size_t i = 0; i < sizeof COUNTS / sizeof COUNTS[0]; i++)
        assert_int_equal(number_on(fx->other_conninfo, TARGET, COUNTS[i]),
                         number_in(fx, SOURCE, COUNTS[i]));
    assert_int_equal(number_on(fx->other_conninfo, TARGET,
                               "select count(*) from pg_tables where schemaname not in "
                               "('pg_catalog', 'information_schema') and tableowner <> '" NEW_OWNER "'"),
                     0);
    assert_int_equal(number_on(fx->other_conninfo, "postgres",
                               "select count(*) from pg_database d join pg_roles r on r.oid = d.datdba "
                               "where d.datname = '" TARGET "' and r.rolname = '" NEW_OWNER "'"),
                     1);
    /* The guard of the other server is its own: the same name here is not alfup's. */
    char other_state[PATH_MAX];
    snprintf(other_state, sizeof other_state, "%s/servers/other", fx->state);
    assert_true(db_test_guard_recorded(other_state, TARGET));
    assert_false(db_test_guard_recorded(fx->state, TARGET));

    /* db-create-scratch / db-drop-scratch with the same server param work there too. */
    run_step(&run, fx, "db-create-scratch", "database", "alf_scratch_other", "owner", NEW_OWNER,
             "server", "other", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    assert_int_equal(number_on(fx->other_conninfo, "postgres",
                               "select count(*) from pg_database where datname = 'alf_scratch_other'"),
                     1);
    assert_false(db_test_database_exists(fx->admin, "alf_scratch_other"));
    run_step(&run, fx, "db-drop-scratch", "database", "alf_scratch_other", "server", "other", NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);

    /* Again (a resumed cutover): the recorded target on the other server is replaced. */
    snprintf(dump, sizeof dump, "%s/copy-to-other-2.dump", fx->config->backup_dir);
    run_step(&run, fx, "db-copy", "source", SOURCE, "database", TARGET, "owner", NEW_OWNER, "server",
             "other", "dump", dump, NULL);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    step_run_clear(&run);
    PGconn *other = db_test_connect(fx->other_conninfo, "postgres", NULL);
    db_test_sql(other, "drop database " TARGET);
    PQfinish(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_round_trip),
        cmocka_unit_test(test_copy_refuses_connected_client),
        cmocka_unit_test(test_copy_client_races_in),
        cmocka_unit_test(test_copy_refuses_foreign_target),
        cmocka_unit_test(test_copy_verification_fails),
        cmocka_unit_test(test_copy_cancel),
        cmocka_unit_test(test_copy_interrupted),
        cmocka_unit_test(test_copy_same_server_by_another_name),
        cmocka_unit_test(test_copy_to_another_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
