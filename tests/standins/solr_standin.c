/* solr_standin.c -- a stand-in for Alfresco Search Services (Solr) used by the tests: start, stop, run. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "standin_daemon.h"
#include "standin_fault.h"
#include "standin_http.h"
#include "standin_log.h"
#include "standin_props.h"

#define PATH_LEN 4096
#define CORE_COUNT 2
#define STATUS_PATH "/solr/admin/cores?action=STATUS"
#define STATUS_PREFIX "/solr/admin/cores?"
#define BIND_ADDR "127.0.0.1"
#define CRASH_DELAY_MS 300u
#define FOREVER_MS 1000u
#define DIR_MODE 0755
#define SRC_CORE "o.a.s.c.SolrCore"
#define SRC_MAIN "o.e.j.s.Server"

static const char *const CORE_NAMES[CORE_COUNT] = {"alfresco", "archive"};

typedef struct solr_core {
    int loaded;
    char data_dir[PATH_LEN];   /* data.dir.root/NAME */
    char failure[PATH_LEN + 256]; /* why it did not load */
} solr_core_t;

typedef struct solr_standin {
    char home[PATH_LEN];
    char solr_home[PATH_LEN];
    char pidfile[PATH_LEN];
    char log_path[PATH_LEN];
    unsigned port;            /* the port it listens on: --port N, else SOLR_PORT */
    unsigned port_override;   /* --port N, or 0 */
    standin_fault_t fault;
    solr_core_t cores[CORE_COUNT];
    int log_fd;
    atomic_int ready;
    sigset_t signals;
    int notify_fd;            /* -1, or the pipe `start` waits on */
} solr_standin_t;

static int usage(void)
{
    fprintf(stderr, "usage: solr-standin start|stop|run HOME [--port N]\n");
    return 2;
}

/* SOLR_PORT from HOME/solr.in.sh; the pidfile name depends on it (not on --port: a home runs one
 * instance at a time, and `stop` finds it whichever port it was started on). */
static int read_port(solr_standin_t *solr)
{
    char path[PATH_LEN + 16];
    snprintf(path, sizeof path, "%s/solr.in.sh", solr->home);
    standin_props_t *props = standin_props_load(path);
    if (props == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = standin_port_parse(standin_props_get(props, "SOLR_PORT"), &solr->port) == 0;
    standin_props_destroy(&props);
    if (!ok) {
        fprintf(stderr, "%s: SOLR_PORT must be a port number\n", path);
        return -1;
    }
    return 0;
}

static int set_paths(solr_standin_t *solr, const char *home)
{
    if (home[0] != '/' || strlen(home) > PATH_LEN - 128) {
        fprintf(stderr, "HOME must be an absolute path\n");
        return -1;
    }
    snprintf(solr->home, PATH_LEN, "%s", home);
    snprintf(solr->solr_home, PATH_LEN, "%s/solrhome", home);
    snprintf(solr->log_path, PATH_LEN, "%s/logs/solr.log", home);
    if (read_port(solr) != 0)
        return -1;
    snprintf(solr->pidfile, PATH_LEN, "%s/solr/bin/solr-%u.pid", home, solr->port);
    if (solr->port_override != 0)
        solr->port = solr->port_override;
    return 0;
}

static int make_dir(const char *path)
{
    return mkdir(path, DIR_MODE) == 0 || errno == EEXIST ? 0 : -1;
}

/* Creates DIR/index/segments_1 when the index is empty (as a new index does). */
static int keep_index(const char *data_dir)
{
    char index[PATH_LEN + 16], segments[PATH_LEN + 32];
    snprintf(index, sizeof index, "%s/index", data_dir);
    snprintf(segments, sizeof segments, "%s/segments_1", index);
    if (make_dir(data_dir) != 0 || make_dir(index) != 0)
        return -1;
    int fd = open(segments, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    ssize_t n = write(fd, "standin-index\n", 14);
    close(fd);
    return n == 14 ? 0 : -1;
}

/* Loads core i from SOLRHOME/NAME/conf/solrcore.properties. */
static void load_core(solr_standin_t *solr, int i)
{
    const char *name = CORE_NAMES[i];
    solr_core_t *core = &solr->cores[i];
    char path[PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/%s/conf/solrcore.properties", solr->solr_home, name);
    standin_props_t *props = standin_props_load(path);
    const char *root = props ? standin_props_get(props, "data.dir.root") : NULL;
    const char *host = props ? standin_props_get(props, "alfresco.host") : NULL;
    const char *port = props ? standin_props_get(props, "alfresco.port") : NULL;
    if (props == NULL)
        snprintf(core->failure, sizeof core->failure, "%.4000s: %s", path, strerror(errno));
    else if (root == NULL || root[0] != '/' || strlen(root) > PATH_LEN - 64)
        snprintf(core->failure, sizeof core->failure, "%.4000s: data.dir.root must be an absolute path", path);
    else {
        snprintf(core->data_dir, PATH_LEN, "%s/%s", root, name);
        if (make_dir(root) != 0 || keep_index(core->data_dir) != 0)
            snprintf(core->failure, sizeof core->failure, "cannot create the index under %s: %s", root, strerror(errno));
        else
            core->loaded = 1;
    }
    if (core->loaded)
        standin_log(solr->log_fd, "INFO", SRC_CORE, "[%s] Opening new SolrCore at [%s/%s], dataDir=[%s],"
                    " tracking alfresco.host=%s alfresco.port=%s", name, solr->solr_home, name,
                    core->data_dir, host ? host : "(unset)", port ? port : "(unset)");
    else
        standin_log(solr->log_fd, "ERROR", "o.a.s.c.CoreContainer", "Error creating core [%s]: %s",
                    name, core->failure);
    standin_props_destroy(&props);
}

/* Appends "s" to buf as JSON string content (quotes and backslashes escaped). */
static size_t json_text(char *buf, size_t used, size_t max, const char *s)
{
    for (; *s && used + 2 < max; s++) {
        if (*s == '"' || *s == '\\')
            buf[used++] = '\\';
        buf[used++] = (unsigned char)*s < 0x20 ? ' ' : *s;
    }
    buf[used] = '\0';
    return used;
}

static size_t json_raw(char *buf, size_t used, size_t max, const char *s)
{
    int n = snprintf(buf + used, max - used, "%s", s);
    return n < 0 || used + (size_t)n >= max ? max - 1 : used + (size_t)n;
}

/* {"responseHeader":{"status":0},"initFailures":{...},"status":{...}} */
static void status_json(const solr_standin_t *solr, char *body, size_t max)
{
    size_t used = json_raw(body, 0, max, "{\"responseHeader\":{\"status\":0,\"QTime\":0},\"initFailures\":{");
    for (int i = 0, first = 1; i < CORE_COUNT; i++) {
        if (solr->cores[i].loaded)
            continue;
        used = json_raw(body, used, max, first ? "\"" : ",\"");
        used = json_raw(body, used, max, CORE_NAMES[i]);
        used = json_raw(body, used, max, "\":\"");
        used = json_text(body, used, max, solr->cores[i].failure);
        used = json_raw(body, used, max, "\"");
        first = 0;
    }
    used = json_raw(body, used, max, "},\"status\":{");
    for (int i = 0, first = 1; i < CORE_COUNT; i++) {
        if (!solr->cores[i].loaded)
            continue;
        used = json_raw(body, used, max, first ? "\"" : ",\"");
        used = json_raw(body, used, max, CORE_NAMES[i]);
        used = json_raw(body, used, max, "\":{\"name\":\"");
        used = json_raw(body, used, max, CORE_NAMES[i]);
        used = json_raw(body, used, max, "\",\"dataDir\":\"");
        used = json_text(body, used, max, solr->cores[i].data_dir);
        used = json_raw(body, used, max, "/\"}");
        first = 0;
    }
    json_raw(body, used, max, "}}");
}

static int answer(void *arg, const char *path, char *body, size_t body_max)
{
    solr_standin_t *solr = arg;
    if (strncmp(path, STATUS_PREFIX, strlen(STATUS_PREFIX)) != 0 || strstr(path, "action=STATUS") == NULL) {
        snprintf(body, body_max, "{\"error\":{\"code\":404}}");
        return 404;
    }
    if (!atomic_load(&solr->ready)) {
        snprintf(body, body_max, "{\"error\":{\"msg\":\"SolrCore is loading\",\"code\":503}}");
        return 503;
    }
    status_json(solr, body, body_max);
    return 200;
}

/* Models folder, cores, then ready (or the configured fault). */
static void solr_boot(solr_standin_t *solr)
{
    char models[PATH_LEN + 32];
    snprintf(models, sizeof models, "%s/alfrescoModels", solr->solr_home);
    if (make_dir(solr->solr_home) != 0 || make_dir(models) != 0)
        standin_log(solr->log_fd, "ERROR", "o.a.s.c.CoreContainer", "Cannot create %s: %s", models, strerror(errno));
    for (int i = 0; i < CORE_COUNT; i++)
        load_core(solr, i);
    if (solr->fault.kind == FAULT_CRASH_AFTER_START) {
        standin_wait_signal(&solr->signals, CRASH_DELAY_MS);
        standin_log(solr->log_fd, "FATAL", "jvm", "# A fatal error has been detected by the Java"
                    " Runtime Environment (standin-fault crash-after-start)");
        _exit(134);
    }
    if (solr->fault.kind == FAULT_HANG)
        return;
    for (int i = 0; i < CORE_COUNT; i++)
        if (solr->cores[i].loaded)
            standin_log(solr->log_fd, "INFO", SRC_CORE, "[%s] Registered new searcher", CORE_NAMES[i]);
    atomic_store(&solr->ready, 1);
    standin_log(solr->log_fd, "INFO", SRC_MAIN, "Started Solr server on port %u (alfup solr-standin)", solr->port);
}

static int solr_main(solr_standin_t *solr)
{
    if (standin_pidfile_write(solr->pidfile) != 0)
        return 1;
    if (solr->notify_fd >= 0)
        standin_daemon_up(solr->notify_fd);
    standin_log(solr->log_fd, "INFO", "o.a.s.c.SolrResourceLoader", "Using Solr home: %s", solr->solr_home);
    char why[256];
    standin_http_t *http = standin_http_start(BIND_ADDR, solr->port, answer, solr, why, sizeof why);
    if (http == NULL) {
        standin_log(solr->log_fd, "ERROR", SRC_MAIN, "Failed to start Solr: %s", why);
        unlink(solr->pidfile);
        return 1;
    }
    if (solr->fault.kind != FAULT_SLOW_START ||
        !standin_wait_signal(&solr->signals, solr->fault.seconds * 1000u)) {
        solr_boot(solr);
        while (!standin_wait_signal(&solr->signals, FOREVER_MS))
            ;
    }
    standin_log(solr->log_fd, "INFO", "o.a.s.c.CoreContainer", "Shutting down CoreContainer");
    standin_http_stop(&http);
    unlink(solr->pidfile);
    return 0;
}

static int command_start(solr_standin_t *solr, int detach)
{
    char bad[80] = "", dir[PATH_LEN + 16];
    pid_t running = standin_pidfile_read(solr->pidfile);
    if (standin_pid_alive(running)) {
        fprintf(stderr, "already running as process %d (%s)\n", (int)running, solr->pidfile);
        return 1;
    }
    if (standin_fault_read(solr->home, &solr->fault, bad, sizeof bad) != 0) {
        fprintf(stderr, "%s/standin-fault: unknown fault '%s'\n", solr->home, bad);
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/logs", solr->home);
    make_dir(dir);
    snprintf(dir, sizeof dir, "%s/solr", solr->home);
    make_dir(dir);
    snprintf(dir, sizeof dir, "%s/solr/bin", solr->home);
    make_dir(dir);
    solr->log_fd = open(solr->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (solr->log_fd < 0) {
        fprintf(stderr, "%s: %s\n", solr->log_path, strerror(errno));
        return 1;
    }
    standin_block_signals(&solr->signals);
    if (detach) {
        int role = standin_daemonize(solr->log_path, &solr->notify_fd);
        if (role <= 0)
            return role == 0 ? 0 : 1;
    }
    return solr_main(solr);
}

int main(int argc, char **argv)
{
    static solr_standin_t solr;
    memset(&solr, 0, sizeof solr);
    if (standin_args_port(argc, argv, &solr.port_override) != 0)
        return usage();
    solr.log_fd = -1;
    solr.notify_fd = -1;
    if (set_paths(&solr, argv[2]) != 0)
        return 2;
    int rc;
    if (strcmp(argv[1], "start") == 0)
        rc = command_start(&solr, 1);
    else if (strcmp(argv[1], "run") == 0)
        rc = command_start(&solr, 0);
    else if (strcmp(argv[1], "stop") == 0)
        rc = standin_stop(solr.pidfile);
    else
        rc = usage();
    if (solr.log_fd >= 0)
        close(solr.log_fd);
    return rc;
}
