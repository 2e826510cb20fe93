/* alfresco_standin.c -- a stand-in for an Alfresco repository (Tomcat) used by the tests: start, stop, run. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alfresco_standin_db.h"
#include "alfresco_standin_isolation.h"
#include "standin_daemon.h"
#include "standin_fault.h"
#include "standin_http.h"
#include "standin_log.h"
#include "standin_props.h"

#define PATH_LEN 4096
#define VERSION_LEN 32
#define READY_PATH "/alfresco/api/-default-/public/alfresco/versions/1/probes/-ready-"
#define LIVE_PATH "/alfresco/api/-default-/public/alfresco/versions/1/probes/-live-"
#define DEFAULT_BIND "127.0.0.1"
#define CRASH_DELAY_MS 300u
#define FOREVER_MS 1000u
#define CATALINA "org.apache.catalina.startup.Catalina"
#define CONTEXT "org.apache.catalina.core.StandardContext"

enum { REPO_STARTING = 0, REPO_READY = 1, REPO_FAILED = 2 };

typedef struct repo_standin {
    char home[PATH_LEN];
    char pidfile[PATH_LEN];
    char log_path[PATH_LEN];
    char props_path[PATH_LEN];
    char version[VERSION_LEN];
    char min_version[VERSION_LEN];
    int schema;
    int min_schema;
    standin_props_t *props;
    standin_props_t *overlay; /* --props FILE, or NULL */
    const char *overlay_path;
    repo_settings_t settings;
    char cluster_entry[REPO_CLUSTER_ENTRY_MAX];
    standin_fault_t fault;
    unsigned port;
    unsigned port_override;   /* --port N, or 0: standin.http.port */
    int log_fd;
    atomic_int state;
    sigset_t signals;
    int notify_fd;            /* -1, or the pipe `start` waits on */
    int interrupted;          /* SIGTERM came during the schema upgrade */
} repo_standin_t;

#define US_PER_ROW_MAX 1000000ul

static int usage(void)
{
    fprintf(stderr, "usage: alfresco-standin start|stop|run HOME [--port N] [--props FILE]\n");
    return 2;
}

static int set_paths(repo_standin_t *repo, const char *home)
{
    if (home[0] != '/' || strlen(home) > PATH_LEN - 128) {
        fprintf(stderr, "HOME must be an absolute path\n");
        return -1;
    }
    snprintf(repo->home, PATH_LEN, "%s", home);
    snprintf(repo->pidfile, PATH_LEN, "%s/tomcat/temp/catalina.pid", home);
    snprintf(repo->log_path, PATH_LEN, "%s/tomcat/logs/catalina.out", home);
    snprintf(repo->props_path, PATH_LEN, "%s/tomcat/shared/classes/alfresco-global.properties", home);
    return 0;
}

/* Reads HOME/standin-version: "VERSION SCHEMA [MIN_SCHEMA MIN_VERSION]". */
static int read_version(repo_standin_t *repo)
{
    char path[PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/standin-version", repo->home);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    int got = fscanf(f, "%31s %d %d %31s", repo->version, &repo->schema, &repo->min_schema,
                     repo->min_version);
    fclose(f);
    if (got < 2 || repo->schema <= 0) {
        fprintf(stderr, "%s: expected \"VERSION SCHEMA [MIN_SCHEMA MIN_VERSION]\"\n", path);
        return -1;
    }
    if (got < 3)
        repo->min_schema = 0;
    return 0;
}

/* Everything `start` checks before it detaches; errors go to stderr. */
static int load_settings(repo_standin_t *repo)
{
    char bad[80] = "";
    if (read_version(repo) != 0)
        return -1;
    if (standin_fault_read(repo->home, &repo->fault, bad, sizeof bad) != 0) {
        fprintf(stderr, "%s/standin-fault: unknown fault '%s'\n", repo->home, bad);
        return -1;
    }
    repo->props = standin_props_load(repo->props_path);
    if (repo->props == NULL) {
        fprintf(stderr, "%s: %s\n", repo->props_path, strerror(errno));
        return -1;
    }
    if (repo->overlay_path != NULL && (repo->overlay = standin_props_load(repo->overlay_path)) == NULL) {
        fprintf(stderr, "%s: %s\n", repo->overlay_path, strerror(errno));
        return -1;
    }
    repo->settings.home = repo->props;
    repo->settings.overlay = repo->overlay;
    if (repo->port_override != 0) {
        repo->port = repo->port_override;
        return 0;
    }
    if (standin_port_parse(repo_setting(&repo->settings, "standin.http.port"), &repo->port) != 0) {
        fprintf(stderr, "%s: standin.http.port must be a port number\n", repo->props_path);
        return -1;
    }
    return 0;
}

static int answer_probe(void *arg, const char *path, char *body, size_t body_max)
{
    repo_standin_t *repo = arg;
    int state = atomic_load(&repo->state);
    if (strcmp(path, READY_PATH) != 0 && strcmp(path, LIVE_PATH) != 0) {
        snprintf(body, body_max, "{\"error\":{\"statusCode\":404}}");
        return 404;
    }
    if (state == REPO_READY) {
        snprintf(body, body_max, "{\"entry\":{\"message\":\"readyProbe: Success - Tested\"}}");
        return 200;
    }
    if (state == REPO_FAILED) {
        snprintf(body, body_max, "{\"error\":{\"statusCode\":404,\"briefSummary\":\"not deployed\"}}");
        return 404;
    }
    snprintf(body, body_max, "{\"error\":{\"statusCode\":503,\"briefSummary\":\"starting\"}}");
    return 503;
}

/* Logs the webapp failure as Tomcat does; the process keeps running, the probe says 404. */
static void context_failed(repo_standin_t *repo)
{
    standin_log(repo->log_fd, "SEVERE", CONTEXT, "One or more listeners failed to start."
                " Full details will be found in the appropriate container log file");
    standin_log(repo->log_fd, "SEVERE", CONTEXT, "Context [/alfresco] startup failed due to previous errors");
    atomic_store(&repo->state, REPO_FAILED);
}

/* Creates dir.root/contentstore and contentstore.deleted when missing, as the
 * repository does on its first start. 0, or -1 (logged). */
static int ensure_content_folders(repo_standin_t *repo, const char *dir_root)
{
    static const char *const FOLDERS[] = {"", "/contentstore", "/contentstore.deleted"};
    for (size_t i = 0; i < sizeof FOLDERS / sizeof FOLDERS[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s", dir_root, FOLDERS[i]);
        if (mkdir(path, 0750) != 0 && errno != EEXIST) {
            standin_log(repo->log_fd, "ERROR", "repo.content", "cannot create the content store folder");
            return -1;
        }
    }
    return 0;
}

/* standin.schema.upgrade.us_per_row: how long the row patch takes per row (0 when unset or bad). */
static unsigned long us_per_row(repo_standin_t *repo)
{
    const char *text = repo_setting(&repo->settings, "standin.schema.upgrade.us_per_row");
    char *end = NULL;
    unsigned long value = text && text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
    if (end != NULL && *end != '\0')
        value = 0;
    return value > US_PER_ROW_MAX ? US_PER_ROW_MAX : value;
}

/* Schema, cluster and content checks; returns 0 when the repository may go ready. */
static int start_repository(repo_standin_t *repo, PGconn *db)
{
    const char *dir_root = repo_setting(&repo->settings, "dir.root");
    repo_schema_target_t target = {.version = repo->version, .schema = repo->schema,
                                   .min_schema = repo->min_schema,
                                   .min_version = repo->min_version[0] ? repo->min_version : NULL,
                                   .fail_patch = repo->fault.kind == FAULT_FAILED_PATCH,
                                   .fail_over = repo->fault.kind == FAULT_FAILED_PATCH_OVER,
                                   .fail_over_rows = repo->fault.rows,
                                   .us_per_row = us_per_row(repo),
                                   .signals = &repo->signals};
    if (repo_cluster_join(db, repo->log_fd, &repo->settings, repo->cluster_entry, sizeof repo->cluster_entry) != 0)
        return -1;
    repo_schema_outcome_t outcome = repo_db_schema(db, repo->log_fd, &target);
    repo->interrupted = outcome == REPO_SCHEMA_INTERRUPTED;
    if (outcome != REPO_SCHEMA_OK)
        return -1;
    standin_log(repo->log_fd, "INFO", "domain.schema.SchemaBootstrap",
                "Compared database schema with reference schema (all OK)");
    repo_subsystems_log(repo->log_fd, &repo->settings);
    if (dir_root == NULL || dir_root[0] != '/') {
        standin_log(repo->log_fd, "ERROR", "repo.content", "dir.root is not set to an absolute path");
        return -1;
    }
    if (ensure_content_folders(repo, dir_root) != 0)
        return -1;
    long bad = repo_db_check_content(db, repo->log_fd, dir_root);
    if (bad < 0 || (bad > 0 && repo->fault.kind != FAULT_MISSING_CONTENT_OK))
        return -1;
    if (bad > 0)
        standin_log(repo->log_fd, "WARN", "content.ContentStoreCheck",
                    "Starting although content is missing (standin-fault missing-content-ok)");
    return 0;
}

/* Waits for SIGTERM/SIGINT; returns after it came. */
static void wait_for_stop(repo_standin_t *repo)
{
    while (!standin_wait_signal(&repo->signals, FOREVER_MS))
        ;
}

static long long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* Connects, then upgrades and checks, or shows the configured fault. Returns
 * the connection (kept open while running, as the real repository's pool). */
static PGconn *repo_boot(repo_standin_t *repo, const struct timespec *since)
{
    PGconn *db = repo_db_connect(repo->log_fd, repo_setting(&repo->settings, "db.url"),
                                 repo_setting(&repo->settings, "db.username"),
                                 repo_setting(&repo->settings, "db.password"));
    if (repo->fault.kind == FAULT_CRASH_AFTER_START) {
        standin_wait_signal(&repo->signals, CRASH_DELAY_MS);
        standin_log(repo->log_fd, "FATAL", "jvm", "# A fatal error has been detected by the Java"
                    " Runtime Environment (standin-fault crash-after-start)");
        _exit(134);
    }
    if (repo->fault.kind == FAULT_HANG) {
        standin_log(repo->log_fd, "INFO", "management.subsystems.ChildApplicationContextFactory",
                    "Starting 'Repository' subsystem, ID: [Repository, default]");
        return db;
    }
    if (db == NULL || start_repository(repo, db) != 0) {
        context_failed(repo);
        return db;
    }
    standin_log(repo->log_fd, "INFO", "service.descriptor.DescriptorService",
                "Alfresco Content Services started (Enterprise). Current version: %s schema %d",
                repo->version, repo->schema);
    atomic_store(&repo->state, REPO_READY);
    standin_log(repo->log_fd, "INFO", CATALINA, "Server startup in %lld ms", elapsed_ms(since));
    return db;
}

/* The daemon's life: serve the probe, start, wait for SIGTERM, clean up. */
static int repo_main(repo_standin_t *repo)
{
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    if (standin_pidfile_write(repo->pidfile) != 0)
        return 1;
    if (repo->notify_fd >= 0)
        standin_daemon_up(repo->notify_fd);
    standin_log(repo->log_fd, "INFO", CATALINA, "Server version name: Apache Tomcat (alfup alfresco-standin)");
    char why[256], bind[64];
    const char *bind_key = repo_setting(&repo->settings, "standin.http.bind");
    snprintf(bind, sizeof bind, "%s", bind_key ? bind_key : DEFAULT_BIND);
    standin_http_t *http = standin_http_start(bind, repo->port, answer_probe, repo, why, sizeof why);
    if (http == NULL) {
        standin_log(repo->log_fd, "SEVERE", "org.apache.catalina.core.StandardService",
                    "Failed to initialize connector [Connector[HTTP/1.1-%u]]: %s", repo->port, why);
        unlink(repo->pidfile);
        return 1;
    }
    standin_log(repo->log_fd, "INFO", CATALINA, "Starting ProtocolHandler [\"http-nio-%s-%u\"]", bind, repo->port);
    PGconn *db = NULL;
    if (repo->fault.kind != FAULT_SLOW_START ||
        !standin_wait_signal(&repo->signals, repo->fault.seconds * 1000u)) {
        db = repo_boot(repo, &since);
        if (!repo->interrupted)
            wait_for_stop(repo);
    }
    repo_cluster_leave(repo->cluster_entry);
    standin_log(repo->log_fd, "INFO", "org.apache.catalina.core.StandardService", "Stopping service [Catalina]");
    standin_http_stop(&http);
    PQfinish(db);
    unlink(repo->pidfile);
    return 0;
}

static int open_log(repo_standin_t *repo)
{
    repo->log_fd = open(repo->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (repo->log_fd < 0)
        fprintf(stderr, "%s: %s\n", repo->log_path, strerror(errno));
    return repo->log_fd < 0 ? -1 : 0;
}

static int command_start(repo_standin_t *repo, int detach)
{
    pid_t running = standin_pidfile_read(repo->pidfile);
    if (standin_pid_alive(running)) {
        fprintf(stderr, "already running as process %d (%s)\n", (int)running, repo->pidfile);
        return 1;
    }
    if (load_settings(repo) != 0 || open_log(repo) != 0)
        return 1;
    standin_block_signals(&repo->signals);
    if (detach) {
        int role = standin_daemonize(repo->log_path, &repo->notify_fd);
        if (role <= 0)
            return role == 0 ? 0 : 1;
    }
    return repo_main(repo);
}

int main(int argc, char **argv)
{
    static repo_standin_t repo;
    memset(&repo, 0, sizeof repo);
    if (standin_args_repo(argc, argv, &repo.port_override, &repo.overlay_path) != 0)
        return usage();
    repo.log_fd = -1;
    repo.notify_fd = -1;
    if (set_paths(&repo, argv[2]) != 0)
        return 2;
    int rc;
    if (strcmp(argv[1], "start") == 0)
        rc = command_start(&repo, 1);
    else if (strcmp(argv[1], "run") == 0)
        rc = command_start(&repo, 0);
    else if (strcmp(argv[1], "stop") == 0)
        rc = standin_stop(repo.pidfile);
    else
        rc = usage();
    standin_props_destroy(&repo.props);
    standin_props_destroy(&repo.overlay);
    if (repo.log_fd >= 0)
        close(repo.log_fd);
    return rc;
}
