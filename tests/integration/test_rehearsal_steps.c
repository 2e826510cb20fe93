/* test_rehearsal_steps.c -- the rehearsal's agent steps against a real PostgreSQL and the repository stand-in:
 * db-rehearsal-copy (while a production client stays connected), rehearsal-tree (hard links from the base,
 * copies of what the base lacks), rehearsal-start (overrides written, isolation required, the measures read
 * from the log, a patch failing only on a large database). Run by db_test.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_test_lib.h"
#include "service_state.h"
#include "step.h"
#include "test_util.h"

#define PATH_LEN 1024
#define PROD "alf_prod"
#define REHEARSAL_DB "alf_rehearsal"
#define OLD_OWNER "alf_old_user"
#define NEW_OWNER "alfresco"
#define PROD_NODES 800
#define US_PER_ROW 2000 /* 2 ms a row: 800+ rows take >= 1.6 s */
#define READY_PATH "/alfresco/api/-default-/public/alfresco/versions/1/probes/-ready-"

typedef struct fixture {
    char work[PATH_LEN];
    char state[PATH_LEN + 16];
    char home[PATH_LEN + 16];
    unsigned port;
    db_test_env_t env;
    agent_config_t *config;
    PGconn *admin;
} fixture_t;

typedef struct step_run {
    msg_step_result_t result;
    step_status_t status;
    kv_list_t params;
    atomic_int cancel;
} step_run_t;

static void mkdirs(const char *path)
{
    char cmd_path[PATH_LEN * 2];
    snprintf(cmd_path, sizeof cmd_path, "%s", path);
    for (char *p = cmd_path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(cmd_path, 0755);
            *p = '/';
        }
    mkdir(cmd_path, 0755);
}

static void run_step(step_run_t *run, const fixture_t *fx, const char *kind, ...)
{
    va_list ap;
    va_start(ap, kind);
    db_test_add_params(&run->params, ap);
    va_end(ap);
    step_context_t ctx = {.config = fx->config, .step_id = "rh-1", .params = &run->params, .approval = "",
                          .result = &run->result, .cancel = &run->cancel};
    run->status = db_test_run_step(kind, &ctx);
}

static void run_clear(step_run_t *run)
{
    msg_step_result_clear(&run->result);
    kv_list_clear(&run->params);
    memset(run, 0, sizeof *run);
}

static void sql_in(const fixture_t *fx, const char *db, const char *statement)
{
    PGconn *conn = db_test_connect(fx->env.conninfo, db, "test_rehearsal");
    db_test_sql(conn, statement);
    PQfinish(conn);
}

static long long number_in(const fixture_t *fx, const char *db, const char *query)
{
    PGconn *conn = db_test_connect(fx->env.conninfo, db, "test_rehearsal");
    long long value = db_test_number(conn, query);
    PQfinish(conn);
    return value;
}

/* The repository service "alfresco-rehearsal": the stand-in on the fixture's home with --props. */
static void add_rehearsal_service(fixture_t *fx)
{
    agent_config_t *config = fx->config;
    agent_service_t *grown = realloc(config->services, (config->service_count + 1) * sizeof *grown);
    assert_non_null(grown);
    config->services = grown;
    agent_service_t *service = &config->services[config->service_count++];
    memset(service, 0, sizeof *service);
    char program[PATH_LEN], path[PATH_LEN * 2], port[16];
    snprintf(program, sizeof program, "%s/alfresco-standin", getenv("ALFUP_BIN"));
    snprintf(port, sizeof port, "%u", fx->port);
    snprintf(path, sizeof path, "%s/rehearsal.properties", fx->work);
    service->name = strdup("alfresco-rehearsal");
    service->properties_file = strdup(path);
    const char *start[] = {program, "start", fx->home, "--port", port, "--props", path};
    for (size_t i = 0; i < sizeof start / sizeof start[0]; i++)
        assert_int_equal(str_list_add(&service->start_argv, start[i]), 0);
    const char *stop[] = {program, "stop", fx->home};
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++)
        assert_int_equal(str_list_add(&service->stop_argv, stop[i]), 0);
    snprintf(path, sizeof path, "%s/tomcat/temp/catalina.pid", fx->home);
    service->pidfile = strdup(path);
    snprintf(path, sizeof path, "%s/tomcat/logs/catalina.out", fx->home);
    service->log = strdup(path);
    snprintf(path, sizeof path, "http://127.0.0.1:%u%s", fx->port, READY_PATH);
    service->ready_url = strdup(path);
    service->started = strdup("Alfresco Content Services started");
    assert_int_equal(str_list_add(&service->failed, "=== Failed to apply patch ==="), 0);
    assert_int_equal(str_list_add(&service->failed, "SEVERE"), 0);
    service->start_timeout_s = 60;
    service->stop_timeout_s = 20;
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_int_equal(db_test_env_read(&fx->env), 0);
    snprintf(fx->work, sizeof fx->work, "%s/rh", fx->env.work);
    mkdirs(fx->work);
    snprintf(fx->state, sizeof fx->state, "%s/state", fx->work);
    mkdirs(fx->state);
    snprintf(fx->home, sizeof fx->home, "%s/home", fx->work);
    fx->config = db_test_agent_config(&fx->env, fx->state, NULL, fx->work);
    assert_non_null(fx->config);
    fx->port = test_free_port();
    fx->admin = db_test_connect(fx->env.conninfo, "postgres", "test_rehearsal");
    db_test_sql(fx->admin, "drop database if exists " REHEARSAL_DB " with (force)");
    db_test_sql(fx->admin, "drop database if exists " PROD " with (force)");
    if (db_test_number(fx->admin, "select count(*) from pg_roles where rolname = '" OLD_OWNER "'") == 0)
        db_test_sql(fx->admin, "create role " OLD_OWNER " login");
    if (db_test_number(fx->admin, "select count(*) from pg_roles where rolname = '" NEW_OWNER "'") == 0)
        db_test_sql(fx->admin, "create role " NEW_OWNER " login password 'alfresco'");
    db_test_sql(fx->admin, "create database " PROD " owner " OLD_OWNER);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < fx->config->service_count; i++) {
        pid_t pid = service_pid_read(fx->config->services[i].pidfile, NULL);
        if (pid > 0)
            kill(pid, SIGKILL);
    }
    PQfinish(fx->admin);
    agent_config_destroy(&fx->config);
    free(fx);
    return 0;
}

/* production's schema at 7.4.1 (19100), as the stand-in bootstraps it, and PROD_NODES more nodes. */
static void seed_production(fixture_t *fx)
{
    sql_in(fx, PROD, "create table alf_applied_patch (id varchar(64) primary key, description varchar(1024),"
                     " fixes_from_schema integer, fixes_to_schema integer, applied_to_schema integer,"
                     " target_schema integer, applied_on_date timestamp, applied_to_server varchar(64),"
                     " was_executed boolean, succeeded boolean, report varchar(1024))");
    sql_in(fx, PROD, "insert into alf_applied_patch values ('patch.db-V7.4.1-Bootstrap', 'b', 0, 19100, 19100,"
                     " 19100, now(), '7.4.1', true, true, 'seed')");
    sql_in(fx, PROD, "create table alf_node (id bigserial primary key, store_id bigint, uuid varchar(36),"
                     " audit_created varchar(30))");
    sql_in(fx, PROD, "create table alf_content_url (id bigserial primary key, content_url varchar(255) not null"
                     " unique, content_size bigint not null, orphan_time bigint)");
    char insert[256];
    snprintf(insert, sizeof insert, "insert into alf_node (store_id, uuid) select 1, md5(g::text)::uuid::text"
             " from generate_series(1, %d) g", PROD_NODES);
    sql_in(fx, PROD, insert);
    sql_in(fx, PROD, "alter table alf_node owner to " OLD_OWNER);
    sql_in(fx, PROD, "alter table alf_applied_patch owner to " OLD_OWNER);
    sql_in(fx, PROD, "alter table alf_content_url owner to " OLD_OWNER);
}

/* The dump of one snapshot restored while a production client stays connected; owned by the new user;
 * run again (a resumed run), the recorded rehearsal database is dropped and taken again. */
static void test_db_copy_while_production_serves(void **state)
{
    fixture_t *fx = *state;
    seed_production(fx);
    PGconn *client = db_test_connect(fx->env.conninfo, PROD, "production-client");
    char dump[PATH_LEN * 2];
    snprintf(dump, sizeof dump, "%s/rehearsal-db.dump", fx->work);
    for (int attempt = 0; attempt < 2; attempt++) {
        step_run_t run = {0};
        run_step(&run, fx, "db-rehearsal-copy", "source", PROD, "database", REHEARSAL_DB, "owner", NEW_OWNER,
                 "dump", dump, "jobs", "2", NULL);
        assert_int_equal(run.status, STEP_SUCCEEDED);
        assert_true(atoll(db_test_output(&run.result, "db_bytes")) > 0);
        assert_true(atoll(db_test_output(&run.result, "copy_ms")) > 0);
        assert_int_equal(atoll(db_test_output(&run.result, "total_rows")), PROD_NODES + 1);
        run_clear(&run);
        assert_int_equal(number_in(fx, REHEARSAL_DB, "select count(*) from alf_node"), PROD_NODES);
        assert_int_equal(number_in(fx, REHEARSAL_DB, "select count(*) from pg_tables where schemaname = 'public'"
                                                    " and tableowner <> '" NEW_OWNER "'"), 0);
        assert_int_equal(db_test_number(fx->admin, "select count(*) from pg_database d join pg_roles r on"
                                                   " r.oid = d.datdba where d.datname = '" REHEARSAL_DB "'"
                                                   " and r.rolname = '" NEW_OWNER "'"), 1);
        assert_int_equal(access(dump, F_OK), -1); /* the dump is gone */
        assert_true(db_test_guard_recorded(fx->state, REHEARSAL_DB));
    }
    PQfinish(client);
}

static void write_sized(const char *root, const char *rel, size_t size, char fill)
{
    char path[PATH_LEN * 2], text[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdirs(path);
    *slash = '/';
    memset(text, fill, size);
    text[size] = '\0';
    test_write_text(path, text);
}

static ino_t inode_of(const char *root, const char *rel)
{
    char path[PATH_LEN * 4];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_true(n > 0 && (size_t)n < sizeof path);
    assert_int_equal(stat(path, &st), 0);
    return st.st_ino;
}

/* Base files are linked, a file the base lacks or has at another size is copied from production. */
static void test_tree_links_the_base(void **state)
{
    fixture_t *fx = *state;
    char source[PATH_LEN * 2], base[PATH_LEN * 2], target[PATH_LEN * 2], inside[PATH_LEN * 3];
    snprintf(source, sizeof source, "%s/old/contentstore", fx->work);
    snprintf(base, sizeof base, "%s/new/contentstore", fx->work);
    snprintf(target, sizeof target, "%s/rehearsal/contentstore", fx->work);
    write_sized(source, "2024/1/1/a.bin", 100, 'a');
    write_sized(source, "2024/1/1/b.bin", 200, 'b');
    write_sized(source, "2024/1/2/c.bin", 300, 'c');
    write_sized(base, "2024/1/1/a.bin", 100, 'a');
    write_sized(base, "2024/1/1/b.bin", 150, 'b');
    for (int attempt = 0; attempt < 2; attempt++) {
        step_run_t run = {0};
        run_step(&run, fx, "rehearsal-tree", "source", source, "base", base, "target", target, NULL);
        assert_int_equal(run.status, STEP_SUCCEEDED);
        assert_string_equal(db_test_output(&run.result, "files_linked"), "1");
        assert_string_equal(db_test_output(&run.result, "files_copied"), "2");
        assert_string_equal(db_test_output(&run.result, "bytes_copied"), "500");
        run_clear(&run);
        assert_int_equal(inode_of(target, "2024/1/1/a.bin"), inode_of(base, "2024/1/1/a.bin"));
        assert_true(inode_of(target, "2024/1/2/c.bin") != inode_of(source, "2024/1/2/c.bin"));
    }
    snprintf(inside, sizeof inside, "%s/rehearsal", base);
    step_run_t run = {0};
    run_step(&run, fx, "rehearsal-tree", "source", source, "base", base, "target", inside, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    run_clear(&run);
    /* rehearsal-remove: never what it must keep; then the rehearsal's folder, links and all (the base stays) */
    char rehearsal[PATH_LEN * 2], old_root[PATH_LEN * 2], backups[PATH_LEN * 2];
    snprintf(backups, sizeof backups, "%s/backups", fx->work); /* not the root: that would contain the folder */
    mkdirs(backups);
    free(fx->config->backup_dir);
    fx->config->backup_dir = strdup(backups);
    snprintf(rehearsal, sizeof rehearsal, "%s/rehearsal", fx->work);
    snprintf(old_root, sizeof old_root, "%s/old", fx->work);
    run_step(&run, fx, "rehearsal-remove", "path", old_root, "keep", source, NULL);
    assert_int_equal(run.status, STEP_REFUSED);
    run_clear(&run);
    assert_int_equal(access(source, F_OK), 0);
    for (int attempt = 0; attempt < 2; attempt++) { /* the second finds nothing to do */
        run_step(&run, fx, "rehearsal-remove", "path", rehearsal, "keep", source, "keep", base, NULL);
        assert_int_equal(run.status, STEP_SUCCEEDED);
        run_clear(&run);
    }
    assert_int_equal(access(rehearsal, F_OK), -1);
    assert_int_equal(inode_of(base, "2024/1/1/a.bin") != 0, 1);
}

static void make_home(fixture_t *fx, const char *db, const char *fault)
{
    char path[PATH_LEN * 2], text[PATH_LEN * 3];
    snprintf(path, sizeof path, "%s/tomcat/temp", fx->home);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/tomcat/logs", fx->home);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/tomcat/shared/classes", fx->home);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/standin-version", fx->home);
    test_write_text(path, "23.1.0 19200 19000 7.4.1\n");
    snprintf(path, sizeof path, "%s/standin-fault", fx->home);
    if (fault != NULL)
        test_write_text(path, fault);
    else
        unlink(path);
    snprintf(path, sizeof path, "%s/tomcat/shared/classes/alfresco-global.properties", fx->home);
    snprintf(text, sizeof text, "dir.root=%s/new-alf-data\ndb.url=jdbc:postgresql://127.0.0.1:%s/nowhere\n"
             "db.username=alfresco\ndb.password=alfresco\nstandin.http.port=%u\n", fx->work, getenv("PGPORT"),
             fx->port);
    test_write_text(path, text);
    (void)db;
}

/* Overrides written, isolation required, measures reported; a failed patch leaves the lock and its lines. */
static void test_start_measures_and_fails(void **state)
{
    fixture_t *fx = *state;
    seed_production(fx);
    add_rehearsal_service(fx);
    make_home(fx, REHEARSAL_DB, NULL);
    char db_url[256], dir_root[PATH_LEN * 2], props[PATH_LEN * 2], dump[PATH_LEN * 2];
    snprintf(db_url, sizeof db_url, "jdbc:postgresql://127.0.0.1:%s/" REHEARSAL_DB, getenv("PGPORT"));
    snprintf(dir_root, sizeof dir_root, "%s/rehearsal-alf-data", fx->work);
    snprintf(props, sizeof props, "%s/rehearsal.properties", fx->work);
    snprintf(dump, sizeof dump, "%s/rehearsal-db.dump", fx->work);
    step_run_t run = {0};
    run_step(&run, fx, "rehearsal-start", "service", "alfresco-rehearsal", "set.dir.root", dir_root,
             "set.db.url", db_url, "set.index.subsystem.name", "noindex", NULL);
    assert_int_equal(run.status, STEP_REFUSED); /* no alfresco.cluster.enabled=false */
    run_clear(&run);
    run_step(&run, fx, "rehearsal-start", "service", "alfresco-rehearsal", "set.alfresco.cluster.enabled", "false",
             "set.index.subsystem.name", "noindex", "property", "alfresco.cluster.enabled=true", NULL);
    assert_int_equal(run.status, STEP_REFUSED); /* a plan's property may not undo the isolation */
    run_clear(&run);
    run_step(&run, fx, "rehearsal-start", "service", "alfresco-rehearsal", "set.alfresco.cluster.enabled", "false",
             "set.index.subsystem.name", "noindex", "set.alfresco.cluster.enabled", "true", NULL);
    assert_int_equal(run.status, STEP_REFUSED); /* nor a second line of a required key */
    run_clear(&run);
    char path_props[PATH_LEN * 2];
    snprintf(path_props, sizeof path_props, "%s/rehearsal.properties", fx->work);
    assert_int_equal(access(path_props, F_OK), -1); /* refused before anything was written */
    for (int pass = 0; pass < 2; pass++) {
        run_step(&run, fx, "db-rehearsal-copy", "source", PROD, "database", REHEARSAL_DB, "owner", NEW_OWNER,
                 "dump", dump, NULL);
        assert_int_equal(run.status, STEP_SUCCEEDED);
        run_clear(&run);
        make_home(fx, REHEARSAL_DB, pass == 0 ? NULL : "failed-patch-over:100");
        char rate[32];
        snprintf(rate, sizeof rate, "%d", US_PER_ROW);
        run_step(&run, fx, "rehearsal-start", "service", "alfresco-rehearsal", "set.dir.root", dir_root,
                 "set.db.url", db_url, "set.alfresco.cluster.enabled", "false", "set.index.subsystem.name",
                 "noindex", "set.standin.schema.upgrade.us_per_row", rate, NULL);
        if (pass == 0) {
            assert_int_equal(run.status, STEP_SUCCEEDED);
            assert_true(atoll(db_test_output(&run.result, "schema_update_ms")) >= PROD_NODES * US_PER_ROW / 1000);
            assert_string_equal(db_test_output(&run.result, "patches_applied"), "3");
            assert_true(atoll(db_test_output(&run.result, "start_to_ready_ms")) >=
                        atoll(db_test_output(&run.result, "schema_update_ms")));
            assert_string_equal(db_test_output(&run.result, "overrides"), "5");
            assert_int_equal(access(path_props, F_OK), 0);
            run_clear(&run);
            /* A second start while it runs is refused: its settings would not be known. */
            run_step(&run, fx, "rehearsal-start", "service", "alfresco-rehearsal", "set.alfresco.cluster.enabled",
                     "false", "set.index.subsystem.name", "noindex", NULL);
            assert_int_equal(run.status, STEP_FAILED);
            run_clear(&run);
            run_step(&run, fx, "service-stop", "service", "alfresco-rehearsal", NULL);
            assert_int_equal(run.status, STEP_SUCCEEDED);
        } else {
            assert_int_equal(run.status, STEP_FAILED);
            db_test_assert_error_mentions(&run.result, "Failed to apply patch");
            assert_true(db_test_log_mentions(&run.result, "rows to upgrade"));
            assert_int_equal(number_in(fx, REHEARSAL_DB, "select count(*) from pg_tables where tablename ="
                                                        " 'alf_bootstrap_lock'"), 1);
        }
        run_clear(&run);
    }
    assert_int_equal(number_in(fx, PROD, "select count(*) from pg_tables where tablename = 'alf_bootstrap_lock'"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_copy_while_production_serves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree_links_the_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_measures_and_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
