/* test_service_steps.c -- service-start / service-stop against the stand-ins, a real PostgreSQL and real processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_probe.h"
#include "log_follow.h"
#include "proc_children.h"
#include "proc_run.h"
#include "service_state.h"
#include "step.h"
#include "test_util.h"

#define PATH_LEN 1024
#define READY_PATH "/alfresco/api/-default-/public/alfresco/versions/1/probes/-ready-"
#define STARTED_PATTERN "Alfresco Content Services started"
#define PATCH_FAILED_LINE "=== Failed to apply patch ==="
#define NORMAL_START_TIMEOUT_S 30u
#define SHORT_TIMEOUT_S 3u
#define STOP_TIMEOUT_S 10u
#define KILL_STOP_TIMEOUT_S 2u

typedef struct fixture {
    char dir[256];
    char home[PATH_LEN];
    char db[64];
    unsigned port;
    agent_config_t *config;
} fixture_t;

typedef struct step_run {
    msg_step_result_t result;
    step_status_t status;
    unsigned progress_calls;
    int cancel_after;             /* cancel at this progress call (0: never) */
    int saw_command_progress;     /* a progress message while the start/stop argv ran */
    atomic_int cancel;
    uint64_t took_ms;
} step_run_t;

static const char *env_required(const char *name)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set (run through service_steps.sh)\n", name);
        exit(1);
    }
    return value;
}

static void write_textf(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void write_textf(const char *path, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&text, fmt, ap) >= 0);
    va_end(ap);
    test_write_text(path, text);
    free(text);
}

static void mkdirs(const char *base, const char *rel)
{
    char path[PATH_LEN * 2];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    for (char *p = path + strlen(base) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
        *p = '/';
    }
    assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

/* Runs sql as the harness superuser in database db (libpq reads PGHOST/PGPORT/PGUSER). */
static PGresult *db_exec(const char *db, const char *sql)
{
    const char *keys[] = {"dbname", NULL};
    const char *values[] = {db, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 0);
    assert_int_equal(PQstatus(conn), CONNECTION_OK);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQfinish(conn);
    return res;
}

static void db_run(const char *db, const char *sql)
{
    PQclear(db_exec(db, sql));
}

static int db_table_exists(const char *db, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql, "select to_regclass('%s') is not null", table);
    PGresult *res = db_exec(db, sql);
    int found = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return found;
}

static void db_fresh(const char *db)
{
    char sql[256];
    snprintf(sql, sizeof sql, "drop database if exists %s with (force)", db);
    db_run("postgres", sql);
    snprintf(sql, sizeof sql, "create database %s owner alfresco", db);
    db_run("postgres", sql);
}

static agent_service_t *add_service(agent_config_t *config, const char *name)
{
    agent_service_t *grown = realloc(config->services, (config->service_count + 1) * sizeof *grown);
    assert_non_null(grown);
    config->services = grown;
    agent_service_t *service = &config->services[config->service_count++];
    memset(service, 0, sizeof *service);
    service->name = strdup(name);
    return service;
}

static void argv3(str_list_t *argv, const char *program, const char *verb, const char *home)
{
    assert_int_equal(str_list_add(argv, program), 0);
    if (verb != NULL) {
        assert_int_equal(str_list_add(argv, verb), 0);
        assert_int_equal(str_list_add(argv, home), 0);
    }
}

/* The repository service "alfresco-v1" as an operator would configure it. */
static void add_repo_service(fixture_t *fx, unsigned start_timeout_s, const char *stop_program)
{
    const char *bin = env_required("ALFUP_BIN");
    char program[PATH_LEN], path[PATH_LEN * 2];
    snprintf(program, sizeof program, "%s/alfresco-standin", bin);
    agent_service_t *service = add_service(fx->config, "alfresco-v1");
    argv3(&service->start_argv, program, "start", fx->home);
    if (stop_program == NULL)
        argv3(&service->stop_argv, program, "stop", fx->home);
    else
        argv3(&service->stop_argv, stop_program, NULL, NULL);
    snprintf(path, sizeof path, "%s/tomcat/temp/catalina.pid", fx->home);
    service->pidfile = strdup(path);
    snprintf(path, sizeof path, "%s/tomcat/logs/catalina.out", fx->home);
    service->log = strdup(path);
    snprintf(path, sizeof path, "http://127.0.0.1:%u%s", fx->port, READY_PATH);
    service->ready_url = strdup(path);
    service->started = strdup(STARTED_PATTERN);
    assert_int_equal(str_list_add(&service->failed, PATCH_FAILED_LINE), 0);
    assert_int_equal(str_list_add(&service->failed, "SEVERE"), 0);
    service->start_timeout_s = start_timeout_s;
    service->stop_timeout_s = stop_program ? KILL_STOP_TIMEOUT_S : STOP_TIMEOUT_S;
}

/* A repository home: version, settings pointing at database db, empty dir.root. */
static void make_repo_home(fixture_t *fx, const char *db, const char *version)
{
    char path[PATH_LEN * 2];
    snprintf(fx->db, sizeof fx->db, "%s", db);
    mkdirs(fx->home, "tomcat/temp");
    mkdirs(fx->home, "tomcat/logs");
    mkdirs(fx->home, "tomcat/shared/classes");
    mkdirs(fx->home, "alf_data/contentstore");
    snprintf(path, sizeof path, "%s/standin-version", fx->home);
    test_write_text(path, version);
    snprintf(path, sizeof path, "%s/tomcat/shared/classes/alfresco-global.properties", fx->home);
    write_textf(path, "dir.root=%s/alf_data\ndb.url=jdbc:postgresql://127.0.0.1:%s/%s\n"
                "db.username=alfresco\ndb.password=alfresco\nstandin.http.port=%u\n",
                fx->home, env_required("PGPORT"), db, fx->port);
    db_fresh(db);
}

static void set_fault(const fixture_t *fx, const char *fault)
{
    char path[PATH_LEN * 2];
    snprintf(path, sizeof path, "%s/standin-fault", fx->home);
    if (fault == NULL)
        unlink(path);
    else
        test_write_text(path, fault);
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/alfup-svc-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->home, sizeof fx->home, "%s/alfresco-v1", fx->dir);
    assert_int_equal(mkdir(fx->home, 0755), 0);
    fx->port = test_free_port();
    fx->config = calloc(1, sizeof *fx->config);
    assert_non_null(fx->config);
    fx->config->name = strdup("repo1");
    *state = fx;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void wait_gone(pid_t pid)
{
    for (int i = 0; i < 100 && service_pid_alive(pid); i++)
        usleep(50000);
}

/* Kills whatever a test left running, then removes its files. */
static int teardown(void **state)
{
    fixture_t *fx = *state;
    for (size_t i = 0; i < fx->config->service_count; i++) {
        pid_t pid = service_pid_read(fx->config->services[i].pidfile, NULL);
        if (pid > 0 && service_pid_alive(pid)) {
            kill(pid, SIGKILL);
            wait_gone(pid);
        }
    }
    agent_config_destroy(&fx->config);
    nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static void on_progress(void *arg, const step_progress_t *progress)
{
    step_run_t *run = arg;
    assert_non_null(progress->message);
    run->progress_calls++;
    if (strstr(progress->message, "running the") != NULL)
        run->saw_command_progress = 1;
    if (run->cancel_after > 0 && run->progress_calls >= (unsigned)run->cancel_after)
        atomic_store(&run->cancel, 1);
}

/* Runs step kind (looked up like the agent does) on service; run keeps the result. */
static void run_step(fixture_t *fx, const char *kind, const char *service, step_run_t *run)
{
    const step_kind_t *step = step_kind_find(kind);
    assert_non_null(step);
    kv_list_t params = {0};
    if (service != NULL)
        assert_int_equal(kv_list_add(&params, "service", service), 0);
    step_context_t ctx = {.config = fx->config, .step_id = "svc-test", .params = &params,
                          .approval = "", .result = &run->result, .progress = on_progress,
                          .progress_arg = run, .cancel = &run->cancel};
    uint64_t t0 = alfup_now_mono_ms();
    run->status = step->run(&ctx);
    run->took_ms = alfup_now_mono_ms() - t0;
    kv_list_clear(&params);
}

static const char *output(const step_run_t *run, const char *key)
{
    const char *value = kv_list_get(&run->result.outputs, key);
    assert_non_null(value);
    return value;
}

static int lines_contain(const step_run_t *run, const char *text)
{
    for (size_t i = 0; i < run->result.log_lines.count; i++)
        if (strstr(run->result.log_lines.items[i], text) != NULL)
            return 1;
    return 0;
}

static void dump(const char *what, const step_run_t *run)
{
    fprintf(stderr, "-- %s: %s error=%s (%llu ms)\n", what, step_status_name(run->status),
            run->result.error ? run->result.error : "-", (unsigned long long)run->took_ms);
    for (size_t i = 0; i < run->result.outputs.count; i++)
        fprintf(stderr, "   %s=%s\n", run->result.outputs.items[i].key, run->result.outputs.items[i].value);
    for (size_t i = 0; i < run->result.log_lines.count; i++)
        fprintf(stderr, "   | %s\n", run->result.log_lines.items[i]);
}

static int probe_status(const fixture_t *fx)
{
    long status = 0;
    char url[PATH_LEN];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", fx->port, READY_PATH);
    return http_probe_get(url, 1000, &status, NULL) == ALFUP_OK ? (int)status : -1;
}

/* Starts the repository service and asserts it came up. */
static void start_ok(fixture_t *fx)
{
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    msg_step_result_clear(&run.result);
}

static void stop_named(fixture_t *fx, const char *name)
{
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", name, &run);
    dump("stop", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    msg_step_result_clear(&run.result);
}

static void stop_ok(fixture_t *fx)
{
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "alfresco-v1", &run);
    dump("stop", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    msg_step_result_clear(&run.result);
}

/* A fresh database is bootstrapped; the step sees the started line and the probe's 200. */
static void test_start_stop_cycle(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_cycle", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(output(&run, "already_running"), "no");
    assert_non_null(strstr(output(&run, "started_line"), "Current version: 7.4.1 schema 19100"));
    pid_t pid = (pid_t)atoi(output(&run, "pid"));
    assert_true(pid > 1 && service_pid_alive(pid));
    assert_true(lines_contain(&run, "Connected to database"));
    assert_true(lines_contain(&run, "Compared database schema with reference schema (all OK)"));
    assert_int_equal(probe_status(fx), 200);
    assert_false(db_table_exists("svc_cycle", "alf_bootstrap_lock"));
    assert_true(db_table_exists("svc_cycle", "alf_content_url"));
    msg_step_result_clear(&run.result);

    step_run_t again = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &again);
    assert_int_equal(again.status, STEP_SUCCEEDED);
    assert_string_equal(output(&again, "already_running"), "yes");
    assert_int_equal(atoi(output(&again, "pid")), pid);
    msg_step_result_clear(&again.result);

    step_run_t stop = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "alfresco-v1", &stop);
    dump("stop", &stop);
    assert_int_equal(stop.status, STEP_SUCCEEDED);
    assert_string_equal(output(&stop, "killed"), "no");
    assert_string_equal(output(&stop, "already_stopped"), "no");
    assert_int_equal(atoi(output(&stop, "pid")), pid);
    assert_false(service_pid_alive(pid));
    assert_int_equal(probe_status(fx), -1);
    msg_step_result_clear(&stop.result);

    step_run_t stop_again = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "alfresco-v1", &stop_again);
    assert_int_equal(stop_again.status, STEP_SUCCEEDED);
    assert_string_equal(output(&stop_again, "already_stopped"), "yes");
    msg_step_result_clear(&stop_again.result);
}

/* An upgrade whose patch fails: the step fails on the failure line, the lock stays,
 * and the next start refuses to run. */
static void test_failed_patch_leaves_lock(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_patch", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    start_ok(fx);
    stop_ok(fx);
    char path[PATH_LEN * 2];
    snprintf(path, sizeof path, "%s/standin-version", fx->home);
    test_write_text(path, "23.1.0 19200");
    set_fault(fx, "failed-patch");

    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (failed-patch)", &run);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(strstr(run.result.error, PATCH_FAILED_LINE));
    assert_true(lines_contain(&run, PATCH_FAILED_LINE));
    assert_true(lines_contain(&run, "Applying patch"));
    /* A failed start leaves nothing running: the last line says the service was stopped again. */
    assert_string_equal(run.result.log_lines.items[run.result.log_lines.count - 1],
                        "alfup: stopped alfresco-v1 after its failed start");
    assert_int_equal(probe_status(fx), -1);
    assert_true(db_table_exists("svc_patch", "alf_bootstrap_lock"));
    msg_step_result_clear(&run.result);
    stop_ok(fx);

    set_fault(fx, NULL);
    step_run_t refused = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &refused);
    dump("start (lock left)", &refused);
    assert_int_equal(refused.status, STEP_FAILED);
    assert_true(lines_contain(&refused, "A previous schema upgrade failed or was not completed"));
    msg_step_result_clear(&refused.result);
}

/* A repository that never logs its started line: the timeout fires with the log tail. */
static void test_hang_times_out(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_hang", "7.4.1 19100");
    add_repo_service(fx, SHORT_TIMEOUT_S, NULL);
    set_fault(fx, "hang");
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (hang)", &run);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(strstr(run.result.error, "did not log its startup line within 3 s"));
    assert_true(run.took_ms >= SHORT_TIMEOUT_S * 1000u && run.took_ms < SHORT_TIMEOUT_S * 1000u + 3000u);
    assert_true(lines_contain(&run, "Connected to database"));
    assert_true(lines_contain(&run, "Starting 'Repository' subsystem"));
    assert_true(run.progress_calls >= SHORT_TIMEOUT_S - 1);
    assert_true(lines_contain(&run, "alfup: stopped alfresco-v1 after its failed start"));
    assert_int_equal(probe_status(fx), -1); /* the hung process was stopped, not left behind */
    msg_step_result_clear(&run.result);
}

/* The started line alone is not enough: the probe must answer 200 too. */
static void test_started_line_without_probe_times_out(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_noprobe", "7.4.1 19100");
    add_repo_service(fx, SHORT_TIMEOUT_S, NULL);
    agent_service_t *service = &fx->config->services[0];
    char url[PATH_LEN];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", test_free_port(), READY_PATH);
    free(service->ready_url);
    service->ready_url = strdup(url);
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (probe elsewhere)", &run);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(strstr(run.result.error, "not ready within 3 s (readiness probe)"));
    assert_true(lines_contain(&run, STARTED_PATTERN));
    assert_true(lines_contain(&run, "alfup: stopped alfresco-v1 after its failed start"));
    assert_int_equal(probe_status(fx), -1);
    msg_step_result_clear(&run.result);
}

/* The port is taken: the service logs why and exits; the step fails quickly with that line. */
static void test_port_taken_fails_start(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_port", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    int taken = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                               .sin_port = htons((uint16_t)fx->port)};
    assert_int_equal(bind(taken, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(taken, 1), 0);
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (port taken)", &run);
    close(taken);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(strstr(run.result.error, "Failed to initialize connector"));
    assert_true(run.took_ms < 5000u);
    msg_step_result_clear(&run.result);
}

/* The start command itself fails: its output comes back in the result. */
static void test_start_command_failure_carries_output(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_badcmd", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    set_fault(fx, "no-such-fault");
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (bad command)", &run);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(strstr(run.result.error, "exited with status 1"));
    assert_true(lines_contain(&run, "unknown fault 'no-such-fault'"));
    msg_step_result_clear(&run.result);
}

/* The process dies during startup: the step fails at once, not at the timeout. */
static void test_crash_fails_on_exit(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_crash", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    set_fault(fx, "crash-after-start");
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (crash)", &run);
    assert_int_equal(run.status, STEP_FAILED);
    assert_non_null(strstr(run.result.error, "exited during startup"));
    assert_true(run.took_ms < 10000u);
    assert_true(lines_contain(&run, "A fatal error has been detected"));
    msg_step_result_clear(&run.result);
}

/* A stop command that does nothing (/bin/true): the step kills the process itself. */
static void test_stop_kills_when_stop_command_fails(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_kill", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, "/bin/true");
    start_ok(fx);
    pid_t pid = service_pid_read(fx->config->services[0].pidfile, NULL);
    assert_true(pid > 1);
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "alfresco-v1", &run);
    dump("stop (/bin/true)", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(output(&run, "killed"), "yes");
    assert_true(run.took_ms >= KILL_STOP_TIMEOUT_S * 1000u);
    assert_false(service_pid_alive(pid));
    assert_int_equal(probe_status(fx), -1);
    assert_true(lines_contain(&run, "SIGTERM"));
    msg_step_result_clear(&run.result);
}

/* A stop command that itself hangs is cut at stop_timeout_s, with progress while it runs. */
static void test_slow_stop_command_reports_progress(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_slow_stop", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, "/bin/sleep");
    agent_service_t *service = &fx->config->services[0];
    assert_int_equal(str_list_add(&service->stop_argv, "30"), 0);
    start_ok(fx);
    pid_t pid = service_pid_read(service->pidfile, NULL);
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "alfresco-v1", &run);
    dump("stop (sleep 30)", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(output(&run, "killed"), "yes");
    assert_true(run.saw_command_progress);
    assert_true(run.took_ms < 10000u);
    assert_false(service_pid_alive(pid));
    assert_true(lines_contain(&run, "timed out after 2 s"));
    msg_step_result_clear(&run.result);
}

/* A pidfile whose pid now belongs to a later process is stale: nothing is signalled. */
static void test_stale_pidfile_never_signalled(void **state)
{
    fixture_t *fx = *state;
    add_repo_service(fx, SHORT_TIMEOUT_S, NULL);
    const agent_service_t *service = &fx->config->services[0];
    mkdirs(fx->home, "tomcat/temp");
    pid_t other = fork();
    assert_true(other >= 0);
    if (other == 0) {
        execl("/bin/sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    write_textf(service->pidfile, "%d\n", (int)other);
    assert_int_equal(service_pid_read(service->pidfile, NULL), other);
    struct timespec old[2] = {{.tv_sec = 946684800}, {.tv_sec = 946684800}};   /* 2000-01-01 */
    assert_int_equal(utimensat(AT_FDCWD, service->pidfile, old, 0), 0);
    assert_int_equal(service_pid_read(service->pidfile, NULL), 0);
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "alfresco-v1", &run);
    dump("stop (stale pidfile)", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_string_equal(output(&run, "already_stopped"), "yes");
    assert_string_equal(output(&run, "pidfile_removed"), "yes");   /* the next start would balk at it */
    assert_int_equal(access(service->pidfile, F_OK), -1);
    assert_true(service_pid_alive(other));
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
    msg_step_result_clear(&run.result);
}

/* A service shaped like Tomcat under catalina.sh: its stop command sends
 * SIGTERM, waits 1 s (catalina.sh: 5 s), says it gave up and exits 0 while
 * the service takes 3 s more to exit; its start command refuses while the
 * pidfile names any process, a zombie included (catalina.sh's `ps -p`). */
static const char SLOW_STOP_SCRIPT[] =
    "#!/bin/sh\n"
    "pidfile=$2\n"
    "case $1 in\n"
    "start)\n"
    "  if [ -s \"$pidfile\" ] && ps -p \"$(cat \"$pidfile\")\" >/dev/null 2>&1; then\n"
    "    echo \"Existing PID file found during start. Still running with PID $(cat \"$pidfile\"). Start aborted.\"\n"
    "    ps -o pid=,stat=,comm= -p \"$(cat \"$pidfile\")\"\n"
    "    exit 1\n"
    "  fi\n"
    "  /bin/sh -c 'trap \"sleep 3; exit 0\" TERM; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1 &\n"
    "  echo $! >\"$pidfile\"\n"
    "  exit 0;;\n"
    "stop)\n"
    "  pid=$(cat \"$pidfile\")\n"
    "  kill -TERM \"$pid\"\n"
    "  for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 \"$pid\" 2>/dev/null || exit 0; sleep 0.1; done\n"
    "  echo 'Service did not stop in time.'; echo 'PID file was not removed.'\n"
    "  exit 0;;\n"
    "esac\n";

static void add_script_service(fixture_t *fx, const char *name, const char *script)
{
    char path[PATH_LEN * 2], pidfile[PATH_LEN * 2];
    snprintf(path, sizeof path, "%s/%s.sh", fx->dir, name);
    test_write_text(path, script);
    snprintf(pidfile, sizeof pidfile, "%s/%s.pid", fx->dir, name);
    agent_service_t *service = add_service(fx->config, name);
    const char *verbs[] = {"start", "stop"};
    str_list_t *argvs[] = {&service->start_argv, &service->stop_argv};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(str_list_add(argvs[i], "/bin/sh"), 0);
        assert_int_equal(str_list_add(argvs[i], path), 0);
        assert_int_equal(str_list_add(argvs[i], verbs[i]), 0);
        assert_int_equal(str_list_add(argvs[i], pidfile), 0);
    }
    service->pidfile = strdup(pidfile);
    service->start_timeout_s = SHORT_TIMEOUT_S;
    service->stop_timeout_s = STOP_TIMEOUT_S;
}

/* A stop whose own command gives up before the service has exited, then a
 * start at once: the stop waits for the exit, reaps the process (this test
 * adopts orphans as the agent does) and removes the pidfile that still names
 * it, so the start command does not refuse. */
static void test_start_right_after_slow_stop(void **state)
{
    fixture_t *fx = *state;
    add_script_service(fx, "slowstop", SLOW_STOP_SCRIPT);
    const agent_service_t *service = &fx->config->services[0];
    step_run_t start = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "slowstop", &start);
    dump("start", &start);
    assert_int_equal(start.status, STEP_SUCCEEDED);
    pid_t first = service_pid_read(service->pidfile, NULL);
    assert_true(first > 1 && service_pid_alive(first));
    step_run_t stop = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "slowstop", &stop);
    dump("stop (slower than its stop command)", &stop);
    assert_int_equal(stop.status, STEP_SUCCEEDED);
    step_run_t again = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "slowstop", &again);
    dump("start right after", &again);
    assert_int_equal(again.status, STEP_SUCCEEDED);
    pid_t second = service_pid_read(service->pidfile, NULL);
    assert_true(second > 1 && second != first && service_pid_alive(second));
    assert_string_equal(output(&stop, "stop_command_gave_up"), "yes");
    assert_string_equal(output(&stop, "pidfile_removed"), "yes");
    assert_string_equal(output(&stop, "killed"), "no");
    assert_true(strtoull(output(&stop, "stop_ms"), NULL, 10) >= 2500u);
    assert_true(strtoull(output(&stop, "stop_command_ms"), NULL, 10) < strtoull(output(&stop, "stop_ms"), NULL, 10));
    assert_true(lines_contain(&stop, "did not stop in time"));
    assert_true(lines_contain(&stop, "still running; waiting for it to exit"));
    errno = 0;
    assert_int_equal(waitpid(first, NULL, WNOHANG), -1);   /* reaped: no zombie left */
    assert_int_equal(errno, ECHILD);
    msg_step_result_clear(&start.result);
    msg_step_result_clear(&stop.result);
    msg_step_result_clear(&again.result);
    stop_named(fx, "slowstop");
    assert_int_equal(access(service->pidfile, F_OK), -1);
}

#define REAP_RACE_RUNS 40

static void *exit_three_loop(void *arg)
{
    int *wrong = arg;
    char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
    for (int i = 0; i < REAP_RACE_RUNS; i++) {
        proc_spec_t spec = {.argv = argv, .timeout_s = 10};
        proc_outcome_t outcome;
        alfup_err_t err;
        if (proc_run(&spec, &outcome, &err) != ALFUP_OK || !outcome.exited || outcome.exit_code != 3)
            (*wrong)++;
        proc_outcome_clear(&outcome);
    }
    return NULL;
}

static char proc_state_letter(pid_t pid)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *paren = strrchr(text, ')');
    return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

/* The orphan reaper the agent runs in its loop takes adopted orphans, never
 * the exit status of a program proc_run waits for. */
static void test_orphans_reaped_not_proc_run_children(void **state)
{
    (void)state;
    int wrong = 0;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, exit_three_loop, &wrong), 0);
    char *argv[] = {"/bin/sh", "-c", "/bin/sleep 0.2 & echo $!", NULL};
    proc_spec_t spec = {.argv = argv, .timeout_s = 10, .keep_lines = 1};
    proc_outcome_t outcome;
    alfup_err_t err;
    assert_int_equal(proc_run(&spec, &outcome, &err), ALFUP_OK);
    assert_int_equal(outcome.output_tail.count, 1);
    pid_t orphan = (pid_t)atoi(outcome.output_tail.items[0]);
    proc_outcome_clear(&outcome);
    assert_true(orphan > 1);
    unsigned reaped = 0;
    for (int i = 0; i < 400 && proc_state_letter(orphan) != 0; i++) {
        reaped += proc_children_reap_orphans();
        usleep(10000);
    }
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(proc_state_letter(orphan), 0);   /* not left a zombie */
    assert_true(reaped >= 1);
    assert_int_equal(wrong, 0);
}

/* Names not in the agent's config, or no name at all, are refused before anything runs. */
static void test_unknown_service_refused(void **state)
{
    fixture_t *fx = *state;
    add_repo_service(fx, SHORT_TIMEOUT_S, NULL);
    const char *kinds[] = {"service-start", "service-stop"};
    for (size_t i = 0; i < 2; i++) {
        step_run_t run = {.status = STEP_UNSPECIFIED};
        run_step(fx, kinds[i], "../../bin/sh", &run);
        assert_int_equal(run.status, STEP_REFUSED);
        assert_non_null(strstr(run.result.error, "not in this agent's config"));
        msg_step_result_clear(&run.result);
        step_run_t missing = {.status = STEP_UNSPECIFIED};
        run_step(fx, kinds[i], NULL, &missing);
        assert_int_equal(missing.status, STEP_REFUSED);
        msg_step_result_clear(&missing.result);
    }
    char log[PATH_LEN * 2];
    snprintf(log, sizeof log, "%s/tomcat/logs/catalina.out", fx->home);
    assert_int_equal(access(log, F_OK), -1);
}

/* Cancel stops the watching and leaves the service running. */
static void test_cancel_leaves_service_running(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_cancel", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    set_fault(fx, "slow-start:20");
    step_run_t run = {.status = STEP_UNSPECIFIED, .cancel_after = 2};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (cancelled)", &run);
    assert_int_equal(run.status, STEP_CANCELLED);
    assert_true(run.took_ms < 5000u);
    pid_t pid = service_pid_read(fx->config->services[0].pidfile, NULL);
    assert_true(pid > 1 && service_pid_alive(pid));
    assert_int_equal(probe_status(fx), 503);
    msg_step_result_clear(&run.result);
}

/* Content rows whose files are missing stop the start, unless the fault says to go on. */
static void test_missing_content_fails_start(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_content", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    start_ok(fx);
    stop_ok(fx);
    mkdirs(fx->home, "alf_data/contentstore/2024/1/2/3/4");
    char path[PATH_LEN * 2];
    snprintf(path, sizeof path, "%s/alf_data/contentstore/2024/1/2/3/4/present.bin", fx->home);
    test_write_text(path, "12345");
    db_run("svc_content", "insert into alf_content_url (content_url, content_size) values"
                          " ('store://2024/1/2/3/4/present.bin', 5), ('store://2024/1/2/3/4/gone.bin', 7)");
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "alfresco-v1", &run);
    dump("start (missing content)", &run);
    assert_int_equal(run.status, STEP_FAILED);
    assert_true(lines_contain(&run, "store://2024/1/2/3/4/gone.bin: file missing"));
    assert_false(lines_contain(&run, "present.bin"));
    msg_step_result_clear(&run.result);
    stop_ok(fx);
    set_fault(fx, "missing-content-ok");
    start_ok(fx);
}

/* A Solr home: two cores with their data under HOME/data, SOLR_PORT = fx->port. */
static void make_solr_home(const fixture_t *fx)
{
    char path[PATH_LEN * 2];
    for (int i = 0; i < 2; i++) {
        const char *core = i == 0 ? "alfresco" : "archive";
        char rel[64];
        snprintf(rel, sizeof rel, "solrhome/%s/conf", core);
        mkdirs(fx->home, rel);
        snprintf(path, sizeof path, "%s/solrhome/%s/conf/solrcore.properties", fx->home, core);
        write_textf(path, "data.dir.root=%s/data\nalfresco.host=127.0.0.1\nalfresco.port=8080\n", fx->home);
    }
    snprintf(path, sizeof path, "%s/solr.in.sh", fx->home);
    write_textf(path, "SOLR_PORT=%u\n", fx->port);
}

/* The Solr stand-in as a service: started line plus the cores STATUS URL. */
static void test_solr_start_stop(void **state)
{
    fixture_t *fx = *state;
    char program[PATH_LEN], path[PATH_LEN * 2];
    snprintf(program, sizeof program, "%s/solr-standin", env_required("ALFUP_BIN"));
    make_solr_home(fx);
    agent_service_t *service = add_service(fx->config, "solr-v1");
    argv3(&service->start_argv, program, "start", fx->home);
    argv3(&service->stop_argv, program, "stop", fx->home);
    snprintf(path, sizeof path, "%s/solr/bin/solr-%u.pid", fx->home, fx->port);
    service->pidfile = strdup(path);
    snprintf(path, sizeof path, "%s/logs/solr.log", fx->home);
    service->log = strdup(path);
    snprintf(path, sizeof path, "http://127.0.0.1:%u/solr/admin/cores?action=STATUS", fx->port);
    service->ready_url = strdup(path);
    service->started = strdup("Started Solr server");
    assert_int_equal(str_list_add(&service->failed, " ERROR "), 0);
    service->start_timeout_s = NORMAL_START_TIMEOUT_S;
    service->stop_timeout_s = STOP_TIMEOUT_S;

    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", "solr-v1", &run);
    dump("solr start", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    assert_true(lines_contain(&run, "[archive] Registered new searcher"));
    snprintf(path, sizeof path, "%s/data/alfresco/index/segments_1", fx->home);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/solrhome/alfrescoModels", fx->home);
    assert_int_equal(access(path, F_OK), 0);
    msg_step_result_clear(&run.result);
    step_run_t stop = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", "solr-v1", &stop);
    assert_int_equal(stop.status, STEP_SUCCEEDED);
    assert_string_equal(output(&stop, "killed"), "no");
    snprintf(path, sizeof path, "http://127.0.0.1:%u/solr/admin/cores?action=STATUS", fx->port);
    long status = 0;
    assert_int_equal(http_probe_get(path, 1000, &status, NULL), ALFUP_ERR);
    msg_step_result_clear(&stop.result);
}

/* Appends "--port N" to a start or stop command line (a staging service: same home, other port). */
static void add_port_arg(str_list_t *argv, unsigned port)
{
    char text[16];
    snprintf(text, sizeof text, "%u", port);
    assert_int_equal(str_list_add(argv, "--port"), 0);
    assert_int_equal(str_list_add(argv, text), 0);
}

static int url_answers(const char *url)
{
    long status = 0;
    return http_probe_get(url, 1000, &status, NULL) == ALFUP_OK ? (int)status : -1;
}

/* Starts service name, checks ready_url answers 200 and production_url nothing; stops it (SIGTERM, no
 * kill) and checks nothing answers and the pidfile is gone. */
static void staging_start_stop(fixture_t *fx, const char *name, const char *production_url)
{
    const agent_service_t *service = &fx->config->services[fx->config->service_count - 1];
    step_run_t run = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-start", name, &run);
    dump("staging start", &run);
    assert_int_equal(run.status, STEP_SUCCEEDED);
    msg_step_result_clear(&run.result);
    assert_int_equal(url_answers(service->ready_url), 200);
    assert_int_equal(url_answers(production_url), -1);
    assert_int_equal(access(service->pidfile, F_OK), 0);
    step_run_t stop = {.status = STEP_UNSPECIFIED};
    run_step(fx, "service-stop", name, &stop);
    dump("staging stop", &stop);
    assert_int_equal(stop.status, STEP_SUCCEEDED);
    assert_string_equal(output(&stop, "killed"), "no");
    msg_step_result_clear(&stop.result);
    assert_int_equal(url_answers(service->ready_url), -1);
    assert_int_equal(access(service->pidfile, F_OK), -1);
}

/* The repository home started on a staging port (start/stop ... --port N), the pidfile unchanged. */
static void test_repo_staging_port(void **state)
{
    fixture_t *fx = *state;
    make_repo_home(fx, "svc_staging", "7.4.1 19100");
    add_repo_service(fx, NORMAL_START_TIMEOUT_S, NULL);
    agent_service_t *service = &fx->config->services[0];
    unsigned staging = test_free_port();
    while (staging == fx->port)
        staging = test_free_port();
    free(service->name);
    service->name = strdup("alfresco-v1-staging");
    add_port_arg(&service->start_argv, staging);
    add_port_arg(&service->stop_argv, staging);
    char url[PATH_LEN];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", staging, READY_PATH);
    free(service->ready_url);
    service->ready_url = strdup(url);
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", fx->port, READY_PATH);
    staging_start_stop(fx, "alfresco-v1-staging", url);
}

/* The Solr home started on a staging port; its pidfile keeps SOLR_PORT's name, so stop finds it. */
static void test_solr_staging_port(void **state)
{
    fixture_t *fx = *state;
    char program[PATH_LEN], path[PATH_LEN * 2];
    snprintf(program, sizeof program, "%s/solr-standin", env_required("ALFUP_BIN"));
    make_solr_home(fx);
    unsigned staging = test_free_port();
    while (staging == fx->port)
        staging = test_free_port();
    agent_service_t *service = add_service(fx->config, "solr-v1-staging");
    argv3(&service->start_argv, program, "start", fx->home);
    add_port_arg(&service->start_argv, staging);
    argv3(&service->stop_argv, program, "stop", fx->home);
    add_port_arg(&service->stop_argv, staging);
    snprintf(path, sizeof path, "%s/solr/bin/solr-%u.pid", fx->home, fx->port);
    service->pidfile = strdup(path);
    snprintf(path, sizeof path, "%s/logs/solr.log", fx->home);
    service->log = strdup(path);
    snprintf(path, sizeof path, "http://127.0.0.1:%u/solr/admin/cores?action=STATUS", staging);
    service->ready_url = strdup(path);
    service->started = strdup("Started Solr server");
    assert_int_equal(str_list_add(&service->failed, " ERROR "), 0);
    service->start_timeout_s = NORMAL_START_TIMEOUT_S;
    service->stop_timeout_s = STOP_TIMEOUT_S;
    snprintf(path, sizeof path, "http://127.0.0.1:%u/solr/admin/cores?action=STATUS", fx->port);
    staging_start_stop(fx, "solr-v1-staging", path);
}

/* Runs PROGRAM start HOME --port PORT with stderr closed; returns its exit code (-1: no exit). */
static int start_with_port(const char *program, const char *home, const char *port)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(STDERR_FILENO);
        execl(program, program, "start", home, "--port", port, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A bad --port is refused before anything starts (usage, exit 2). */
static void test_staging_port_refused(void **state)
{
    fixture_t *fx = *state;
    char solr[PATH_LEN], repo[PATH_LEN];
    snprintf(solr, sizeof solr, "%s/solr-standin", env_required("ALFUP_BIN"));
    snprintf(repo, sizeof repo, "%s/alfresco-standin", env_required("ALFUP_BIN"));
    make_solr_home(fx);
    const char *bad[] = {"0", "65536", "80x", "", "-1", "+80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(start_with_port(solr, fx->home, bad[i]), 2);
        assert_int_equal(start_with_port(repo, fx->home, bad[i]), 2);
    }
}

typedef struct seen_lines {
    str_list_t lines;
} seen_lines_t;

static int keep_line(void *arg, const char *line)
{
    seen_lines_t *seen = arg;
    assert_int_equal(str_list_add(&seen->lines, line), 0);
    return 0;
}

static void append_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void poll_expect(log_follow_t *follow, seen_lines_t *seen, int count, const char *last)
{
    str_list_clear(&seen->lines);
    int got = 0;
    for (int i = 0; i < 3; i++) {   /* rotation takes a second poll */
        int n = log_follow_poll(follow, keep_line, seen, NULL);
        assert_true(n >= 0);
        got += n;
    }
    assert_int_equal(got, count);
    if (last != NULL)
        assert_string_equal(seen->lines.items[seen->lines.count - 1], last);
}

/* The follower: a file created later, partial lines, truncation, rotation, over-long lines. */
static void test_log_follow(void **state)
{
    fixture_t *fx = *state;
    char path[PATH_LEN * 2], rotated[PATH_LEN * 2];
    snprintf(path, sizeof path, "%s/follow.log", fx->dir);
    snprintf(rotated, sizeof rotated, "%s/follow.log.1", fx->dir);
    uint64_t size = 99;
    assert_int_equal(log_follow_size(path, &size, NULL), ALFUP_OK);
    assert_int_equal(size, 0);
    log_follow_t *follow = log_follow_new(path, size);
    seen_lines_t seen = {{0}};
    poll_expect(follow, &seen, 0, NULL);
    append_text(path, "a\nb\npart");
    poll_expect(follow, &seen, 2, "b");
    append_text(path, "ial\n");
    poll_expect(follow, &seen, 1, "partial");
    test_write_text(path, "c\n");                 /* copytruncate: shorter than what was read */
    poll_expect(follow, &seen, 1, "c");
    assert_int_equal(rename(path, rotated), 0);
    append_text(rotated, "d\n");              /* written after the rename, before the new file */
    test_write_text(path, "e\n");
    poll_expect(follow, &seen, 2, "e");
    assert_string_equal(seen.lines.items[0], "d");
    char *long_line = malloc(LOG_FOLLOW_LINE_MAX * 3);
    memset(long_line, 'x', LOG_FOLLOW_LINE_MAX * 3 - 1);
    long_line[LOG_FOLLOW_LINE_MAX * 3 - 1] = '\0';
    append_text(path, long_line);
    append_text(path, "\nf\n");
    poll_expect(follow, &seen, 2, "f");
    assert_int_equal(strlen(seen.lines.items[0]), LOG_FOLLOW_LINE_MAX);
    free(long_line);
    str_list_clear(&seen.lines);
    log_follow_destroy(&follow);
    assert_null(follow);
}

/* Serves one canned HTTP answer on a fresh port from a child process; returns its pid. */
static pid_t serve_once(unsigned *port, const char *head, size_t body_len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int client = accept(fd, NULL, NULL);
        char request[4096];
        ssize_t got = read(client, request, sizeof request);
        (void)got;
        ssize_t sent = write(client, head, strlen(head));
        char chunk[4096];
        memset(chunk, 'y', sizeof chunk);
        for (size_t done = 0; sent >= 0 && done < body_len; done += sizeof chunk)
            sent = write(client, chunk, sizeof chunk);
        close(client);
        _exit(0);
    }
    close(fd);
    return pid;
}

/* The probe: no redirects followed, no protocols but http(s), bounded answers. */
static void test_http_probe_limits(void **state)
{
    (void)state;
    long status = 0;
    alfup_err_t err = {{0}};
    assert_int_equal(http_probe_get("file:///etc/passwd", 1000, &status, &err), ALFUP_ERR);
    assert_int_equal(http_probe_get("ftp://127.0.0.1/", 1000, &status, &err), ALFUP_ERR);
    unsigned port = 0;
    char url[128];
    pid_t pid = serve_once(&port, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n", 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/probe", port);
    assert_int_equal(http_probe_get(url, 2000, &status, &err), ALFUP_OK);
    assert_int_equal(status, 302);
    waitpid(pid, NULL, 0);
    pid = serve_once(&port, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", HTTP_PROBE_BODY_MAX * 2);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/probe", port);
    assert_int_equal(http_probe_get(url, 2000, &status, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "too large"));
    waitpid(pid, NULL, 0);
}

int main(void)
{
    /* as the agent daemon does: services a start command leaves running are ours to reap */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) != 0) {
        perror("prctl(PR_SET_CHILD_SUBREAPER)");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_follow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_probe_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_service_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_stop_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_patch_leaves_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hang_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_started_line_without_probe_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_taken_fails_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_command_failure_carries_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_fails_on_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_kills_when_stop_command_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_stop_command_reports_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_pidfile_never_signalled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_right_after_slow_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphans_reaped_not_proc_run_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_leaves_service_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_content_fails_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solr_start_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repo_staging_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solr_staging_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staging_port_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
