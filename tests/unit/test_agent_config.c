/* test_agent_config.c -- agent config: good files, defaults, canonical roots, every refusal. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "yaml_doc.h"

/* A full config; the line numbers are what the refusal table below edits. */
static const char *const BASE[] = {
    "name: repo1",                                              /* 1 */
    "controller: tcp://ctl.example.com:7411",                   /* 2 */
    "tls:",                                                     /* 3 */
    "  ca: /etc/alfup/ca.pem",                                  /* 4 */
    "  cert: /etc/alfup/repo1.pem",                             /* 5 */
    "  key: /etc/alfup/repo1.key",                              /* 6 */
    "  crl: /etc/alfup/crl.pem",                                /* 7 */
    "state_dir: /var/lib/alfup-agent",                          /* 8 */
    "backup_dir: /srv/alfup-test-backups",                      /* 9 */
    "allowed_roots: [/opt/alfup-test-v1, /srv/alfup-test-backups]", /* 10 */
    "services:",                                                /* 11 */
    "  alfresco-v1:",                                           /* 12 */
    "    start: [/opt/alfup-test-v1/alfresco.sh, start]",       /* 13 */
    "    stop: [/opt/alfup-test-v1/alfresco.sh, stop]",         /* 14 */
    "    pidfile: /opt/alfup-test-v1/catalina.pid",             /* 15 */
    "    log: /opt/alfup-test-v1/catalina.out",                 /* 16 */
    "    ready_url: http://127.0.0.1:8080/ready",               /* 17 */
    "    started: \"Alfresco Content Services started\"",       /* 18 */
    "    failed: [\"=== Failed to apply patch ===\", SEVERE]",  /* 19 */
    "    start_timeout_s: 1200",                                /* 20 */
    "    stop_timeout_s: 60",                                   /* 21 */
    "tools:",                                                   /* 22 */
    "  apply_amps: [/opt/alfup-test-v1/bin/apply_amps.sh, -force]", /* 23 */
    "postgres:",                                                /* 24 */
    "  conninfo: \"host=/var/run/postgresql user=postgres\"",   /* 25 */
    "  bin_dir: /usr/lib/postgresql/15/bin",                    /* 26 */
    "heartbeat_s: 7",                                           /* 27 */
    NULL};

/* BASE with lines first..last (1-based) replaced by replacement (NULL: removed). */
static char *edited(int first, int last, const char *replacement)
{
    size_t size = 1;
    for (int i = 0; BASE[i] != NULL; i++)
        size += strlen(BASE[i]) + 1;
    size += replacement ? strlen(replacement) + 1 : 0;
    char *text = malloc(size);
    assert_non_null(text);
    size_t used = 0;
    for (int i = 0; BASE[i] != NULL; i++) {
        int line = i + 1;
        const char *put = line < first || line > last ? BASE[i]
                          : line == first            ? replacement
                                                     : NULL;
        if (put != NULL)
            used += (size_t)snprintf(text + used, size - used, "%s\n", put);
    }
    return text;
}

static agent_config_t *parse(const char *text, alfup_err_t *err)
{
    return agent_config_parse(text, strlen(text), "cfg.yaml", err);
}

typedef struct refusal {
    int first, last;         /* lines of BASE replaced */
    const char *replacement; /* NULL removes them */
    unsigned line;           /* expected in "cfg.yaml:LINE: " */
    const char *key;         /* expected in the message */
    const char *problem;     /* expected in the message */
} refusal_t;

static void assert_refusals(const refusal_t *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const refusal_t *c = &cases[i];
        char *text = edited(c->first, c->last, c->replacement);
        alfup_err_t err = {{0}};
        agent_config_t *config = parse(text, &err);
        if (config != NULL)
            fail_msg("case %zu (%s) accepted", i, c->replacement ? c->replacement : "removal");
        char prefix[32];
        snprintf(prefix, sizeof prefix, "cfg.yaml:%u: ", c->line);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || strstr(err.msg, c->key) == NULL ||
            strstr(err.msg, c->problem) == NULL)
            fail_msg("case %zu (%s): \"%s\" lacks \"%s\", \"%s\" or \"%s\"", i,
                     c->replacement ? c->replacement : "removal", err.msg, prefix, c->key,
                     c->problem);
        free(text);
    }
}

static void test_full_config(void **state)
{
    (void)state;
    char *text = edited(0, 0, NULL);
    alfup_err_t err = {{0}};
    agent_config_t *config = parse(text, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(config->path, "cfg.yaml");
    assert_string_equal(config->name, "repo1");
    assert_string_equal(config->controller, "tcp://ctl.example.com:7411");
    assert_string_equal(config->tls.ca, "/etc/alfup/ca.pem");
    assert_string_equal(config->tls.cert, "/etc/alfup/repo1.pem");
    assert_string_equal(config->tls.key, "/etc/alfup/repo1.key");
    assert_string_equal(config->tls.crl, "/etc/alfup/crl.pem");
    assert_string_equal(config->state_dir, "/var/lib/alfup-agent");
    assert_string_equal(config->backup_dir, "/srv/alfup-test-backups");
    assert_int_equal(config->allowed_roots.count, 2);
    assert_string_equal(config->allowed_roots.items[0], "/opt/alfup-test-v1");
    assert_int_equal(config->heartbeat_s, 7);

    const agent_service_t *service = agent_config_service(config, "alfresco-v1");
    assert_non_null(service);
    assert_int_equal(service->start_argv.count, 2);
    assert_string_equal(service->start_argv.items[0], "/opt/alfup-test-v1/alfresco.sh");
    assert_string_equal(service->stop_argv.items[1], "stop");
    assert_null(service->stop_argv.items[2]);
    assert_string_equal(service->pidfile, "/opt/alfup-test-v1/catalina.pid");
    assert_string_equal(service->log, "/opt/alfup-test-v1/catalina.out");
    assert_string_equal(service->ready_url, "http://127.0.0.1:8080/ready");
    assert_string_equal(service->started, "Alfresco Content Services started");
    assert_int_equal(service->failed.count, 2);
    assert_string_equal(service->failed.items[1], "SEVERE");
    assert_int_equal(service->start_timeout_s, 1200);
    assert_int_equal(service->stop_timeout_s, 60);
    assert_null(agent_config_service(config, "alfresco-v2"));

    const agent_tool_t *tool = agent_config_tool(config, "apply_amps");
    assert_non_null(tool);
    assert_int_equal(tool->argv.count, 2);
    assert_string_equal(tool->argv.items[1], "-force");
    assert_null(agent_config_tool(config, "rm"));
    assert_string_equal(config->postgres.conninfo, "host=/var/run/postgresql user=postgres");
    assert_string_equal(config->postgres.bin_dir, "/usr/lib/postgresql/15/bin");
    agent_config_destroy(&config);
    assert_null(config);
    agent_config_destroy(&config);
    free(text);
}

static void test_minimal_config_defaults(void **state)
{
    (void)state;
    const char *text = "name: db1\n"
                       "controller: tcp://[::1]:7411\n"
                       "tls: {ca: /c/ca.pem, cert: /c/db1.pem, key: /c/db1.key}\n"
                       "state_dir: /var/lib/alfup-agent\n"
                       "backup_dir: /srv/alfup-test-b//\n"
                       "allowed_roots: [/srv/alfup-test-b/, /srv/alfup-test-b]\n"
                       "services:\n"
                       "  pg:\n"
                       "    start: [/usr/bin/pg_ctlcluster, '15', main, start]\n"
                       "    stop: [/usr/bin/pg_ctlcluster, '15', main, stop]\n"
                       "    log: /var/log/pg.log\n"
                       "    failed: FATAL\n";
    alfup_err_t err = {{0}};
    agent_config_t *config = parse(text, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_null(config->tls.crl);
    assert_int_equal(config->heartbeat_s, AGENT_DEFAULT_HEARTBEAT_S);
    assert_int_equal(config->tool_count, 0);
    assert_null(config->postgres.conninfo);
    assert_null(config->postgres.bin_dir);
    /* trailing and repeated slashes dropped, duplicates kept once */
    assert_int_equal(config->allowed_roots.count, 1);
    assert_string_equal(config->allowed_roots.items[0], "/srv/alfup-test-b");
    assert_string_equal(config->backup_dir, "/srv/alfup-test-b");
    assert_int_equal(config->service_count, 1);
    const agent_service_t *service = &config->services[0];
    assert_int_equal(service->start_timeout_s, AGENT_DEFAULT_START_TIMEOUT_S);
    assert_int_equal(service->stop_timeout_s, AGENT_DEFAULT_STOP_TIMEOUT_S);
    assert_null(service->pidfile);
    assert_null(service->ready_url);
    assert_null(service->started);
    assert_int_equal(service->failed.count, 1); /* a single pattern is a list of one */
    assert_string_equal(service->failed.items[0], "FATAL");
    assert_string_equal(service->start_argv.items[1], "15");
    agent_config_destroy(&config);
}

static void test_refuses_identity_and_tls(void **state)
{
    (void)state;
    static const refusal_t cases[] = {
        {1, 1, NULL, 1, "", "missing required key 'name'"},
        {1, 1, "name: bad name", 1, "key 'name'", "not a valid name"},
        {1, 1, "name: -lead", 1, "key 'name'", "not a valid name"},
        {1, 1, "name: a/b", 1, "key 'name'", "not a valid name"},
        {1, 1, "name: a12345678901234567890123456789012345678901234567890123456789012345", 1,
         "key 'name'", "not a valid name"},
        {1, 1, "name: [a]", 1, "key 'name'", "expected a string"},
        {1, 1, "name:", 1, "key 'name'", "a value is required"},
        {2, 2, NULL, 1, "", "missing required key 'controller'"},
        {2, 2, "controller: http://ctl:7411", 2, "key 'controller'", "tcp://HOST:PORT"},
        {2, 2, "controller: tcp://ctl", 2, "key 'controller'", "tcp://HOST:PORT"},
        {2, 2, "controller: tcp://ctl:0", 2, "key 'controller'", "tcp://HOST:PORT"},
        {2, 2, "controller: tcp://ctl:65536", 2, "key 'controller'", "tcp://HOST:PORT"},
        {2, 2, "controller: tcp://:7411", 2, "key 'controller'", "tcp://HOST:PORT"},
        {3, 7, NULL, 1, "", "missing required key 'tls'"},
        {3, 7, "tls: /etc/alfup", 3, "key 'tls'", "expected a mapping"},
        {4, 4, NULL, 3, "key 'tls'", "missing required key 'ca'"},
        {5, 5, NULL, 3, "key 'tls'", "missing required key 'cert'"},
        {6, 6, NULL, 3, "key 'tls'", "missing required key 'key'"},
        {4, 4, "  ca: ca.pem", 4, "key 'tls.ca'", "is not an absolute path"},
        {5, 5, "  cert: ./repo1.pem", 5, "key 'tls.cert'", "is not an absolute path"},
        {6, 6, "  key: /etc/alfup/../repo1.key", 6, "key 'tls.key'", "'..' components"},
        {7, 7, "  crl: crl.pem", 7, "key 'tls.crl'", "is not an absolute path"},
        {7, 7, "  cat: /etc/alfup/cat.pem", 7, "key 'tls.cat'", "unknown key"},
        {27, 27, "colour: blue", 27, "key 'colour'", "unknown key"},
        {27, 27, "name: other", 27, "key 'name'", "duplicate key (first at line 1)"},
        {9, 9, "backup_dir: &b /srv/alfup-test-backups", 9, "", "anchors and aliases"},
        {1, 27, "- a list", 1, "", "expected a mapping"},
        {8, 8, "\tstate_dir: /x", 8, "", "YAML syntax error"},
    };
    assert_refusals(cases, sizeof cases / sizeof cases[0]);
}

static void test_refuses_paths_and_roots(void **state)
{
    (void)state;
    static const refusal_t cases[] = {
        {8, 8, NULL, 1, "", "missing required key 'state_dir'"},
        {8, 8, "state_dir: var/lib/alfup", 8, "key 'state_dir'", "is not an absolute path"},
        {8, 8, "state_dir: /var/lib/./alfup", 8, "key 'state_dir'", "'.' or '..' components"},
        {9, 9, NULL, 1, "", "missing required key 'backup_dir'"},
        {9, 9, "backup_dir: srv/b", 9, "key 'backup_dir'", "is not an absolute path"},
        {9, 9, "backup_dir: /var/backups", 9, "key 'backup_dir'", "is not inside allowed_roots"},
        /* a sibling that shares the prefix is not inside */
        {9, 9, "backup_dir: /srv/alfup-test-backups2", 9, "key 'backup_dir'",
         "is not inside allowed_roots"},
        {10, 10, NULL, 1, "", "missing required key 'allowed_roots'"},
        {10, 10, "allowed_roots: []", 10, "key 'allowed_roots'", "may not be empty"},
        {10, 10, "allowed_roots: /srv", 10, "key 'allowed_roots'", "expected a list of strings"},
        {10, 10, "allowed_roots: [/]", 10, "key 'allowed_roots[0]'", "\"/\""},
        {10, 10, "allowed_roots: [//]", 10, "key 'allowed_roots[0]'", "\"/\""},
        {10, 10, "allowed_roots: [/srv, opt]", 10, "key 'allowed_roots[1]'", "not an absolute"},
        {10, 10, "allowed_roots: [/srv, /opt/a/../b]", 10, "key 'allowed_roots[1]'", "'..'"},
        {10, 10, "allowed_roots: [/srv, /opt/./b]", 10, "key 'allowed_roots[1]'", "'.'"},
        {10, 10, "allowed_roots: [/srv, /opt/..]", 10, "key 'allowed_roots[1]'", "'..'"},
        {10, 10, "allowed_roots:\n  - /srv\n  - [/x]", 12, "key 'allowed_roots[1]'",
         "expected a string"},
        {26, 26, "  bin_dir: bin", 26, "key 'postgres.bin_dir'", "is not an absolute path"},
    };
    assert_refusals(cases, sizeof cases / sizeof cases[0]);
}

static void test_refuses_services(void **state)
{
    (void)state;
    static const refusal_t cases[] = {
        {11, 21, "services: [a]", 11, "key 'services'", "expected a mapping"},
        {12, 21, "  alfresco-v1: /opt/x", 12, "key 'services.alfresco-v1'", "expected a mapping"},
        {12, 12, "  bad/name:", 12, "key 'services.bad/name'", "not a valid name"},
        {12, 12, "  .hidden:", 12, "key 'services..hidden'", "not a valid name"},
        {13, 13, NULL, 12, "key 'services.alfresco-v1'", "missing required key 'start'"},
        {14, 14, NULL, 12, "key 'services.alfresco-v1'", "missing required key 'stop'"},
        {13, 13, "    start: []", 13, "key 'services.alfresco-v1.start'", "may not be empty"},
        {13, 13, "    start: /opt/alfup-test-v1/alfresco.sh start", 13,
         "key 'services.alfresco-v1.start'", "expected a list of strings"},
        {13, 13, "    start: [alfresco.sh, start]", 13, "key 'services.alfresco-v1.start[0]'",
         "is not an absolute path"},
        {14, 14, "    stop: [bin/alfresco.sh, stop]", 14, "key 'services.alfresco-v1.stop[0]'",
         "is not an absolute path"},
        {14, 14, "    stop: [/x, {a: b}]", 14, "key 'services.alfresco-v1.stop[1]'",
         "expected a string"},
        {15, 15, "    pid: /x.pid", 15, "key 'services.alfresco-v1.pid'", "unknown key"},
        {15, 15, "    pidfile: catalina.pid", 15, "key 'services.alfresco-v1.pidfile'",
         "is not an absolute path"},
        {16, 16, "    log: logs/catalina.out", 16, "key 'services.alfresco-v1.log'",
         "is not an absolute path"},
        {16, 16, NULL, 17, "key 'services.alfresco-v1.started'", "needs 'log'"},
        {16, 18, NULL, 16, "key 'services.alfresco-v1.failed'", "needs 'log'"},
        {17, 17, "    ready_url: file:///etc/passwd", 17, "key 'services.alfresco-v1.ready_url'",
         "not an http:// or https:// URL"},
        {18, 18, "    started: \"(unclosed\"", 18, "key 'services.alfresco-v1.started'",
         "not a valid extended regex"},
        {18, 18, "    started: \"\"", 18, "key 'services.alfresco-v1.started'",
         "empty pattern"},
        {19, 19, "    failed: [ok, \"[z-a]\"]", 19, "key 'services.alfresco-v1.failed[1]'",
         "not a valid extended regex"},
        {19, 19, "    failed: \"a**(\"", 19, "key 'services.alfresco-v1.failed'",
         "not a valid extended regex"},
        {19, 19, "    failed: {a: b}", 19, "key 'services.alfresco-v1.failed'",
         "expected a string or a list of strings"},
        {20, 20, "    start_timeout_s: 0", 20, "key 'services.alfresco-v1.start_timeout_s'",
         "out of range (1..86400)"},
        {20, 20, "    start_timeout_s: 86401", 20, "key 'services.alfresco-v1.start_timeout_s'",
         "out of range"},
        {20, 20, "    start_timeout_s: 15m", 20, "key 'services.alfresco-v1.start_timeout_s'",
         "expected a whole number"},
        {21, 21, "    stop_timeout_s: -5", 21, "key 'services.alfresco-v1.stop_timeout_s'",
         "expected a whole number"},
        {21, 21, "    start_timeout_s: 5", 21, "key 'services.alfresco-v1.start_timeout_s'",
         "duplicate key (first at line 20)"},
    };
    assert_refusals(cases, sizeof cases / sizeof cases[0]);
}

/* postgres.servers: the other servers db-copy may copy into, looked up by name only. */
static void test_postgres_servers(void **state)
{
    (void)state;
    alfup_err_t err;
    char *text = edited(26, 26, "  servers:\n    pg2: \"host=pg2.example.com port=5433\"\n    pg3: host=pg3");
    agent_config_t *config = parse(text, &err);
    free(text);
    assert_non_null(config);
    assert_int_equal(config->postgres.server_count, 2);
    const agent_pg_server_t *pg2 = agent_config_pg_server(config, "pg2");
    assert_non_null(pg2);
    assert_string_equal(pg2->conninfo, "host=pg2.example.com port=5433");
    assert_string_equal(agent_config_pg_server(config, "pg3")->conninfo, "host=pg3");
    assert_null(agent_config_pg_server(config, "pg4"));
    assert_null(agent_config_pg_server(config, NULL));
    agent_config_destroy(&config);
}

static void test_refuses_tools_postgres_heartbeat(void **state)
{
    (void)state;
    static const refusal_t cases[] = {
        {22, 23, "tools: [a]", 22, "key 'tools'", "expected a mapping"},
        {23, 23, "  apply_amps: []", 23, "key 'tools.apply_amps'", "may not be empty"},
        {23, 23, "  apply_amps: /bin/true", 23, "key 'tools.apply_amps'", "expected a list"},
        {23, 23, "  apply_amps: [apply_amps.sh]", 23, "key 'tools.apply_amps[0]'",
         "is not an absolute path"},
        {23, 23, "  -x: [/bin/true]", 23, "key 'tools.-x'", "not a valid name"},
        {24, 26, "postgres: host=/tmp", 24, "key 'postgres'", "expected a mapping"},
        {25, 25, NULL, 24, "key 'postgres'", "missing required key 'conninfo'"},
        {26, 26, "  port: 5432", 26, "key 'postgres.port'", "unknown key"},
        {26, 26, "  servers: [pg2]", 26, "key 'postgres.servers'", "expected a mapping"},
        {26, 26, "  servers: {pg2: [host=pg2]}", 26, "key 'postgres.servers.pg2'", "expected a single value"},
        {26, 26, "  servers: {bad/name: host=pg2}", 26, "key 'postgres.servers.bad/name'", "not a valid name"},
        {27, 27, "heartbeat_s: 0", 27, "key 'heartbeat_s'", "out of range (1..300)"},
        {27, 27, "heartbeat_s: 301", 27, "key 'heartbeat_s'", "out of range (1..300)"},
        {27, 27, "heartbeat_s: yes", 27, "key 'heartbeat_s'", "expected a whole number"},
    };
    assert_refusals(cases, sizeof cases / sizeof cases[0]);
}

/* A temporary folder with real/, link -> real, rootlink -> / and real/escape -> /var. */
typedef struct fixture {
    char dir[64];
    char canonical[PATH_MAX]; /* realpath(dir): /tmp may itself be a link */
} fixture_t;

static int make_fixture(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/alfup-cfg-XXXXXX");
    if (mkdtemp(f->dir) == NULL || realpath(f->dir, f->canonical) == NULL)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/real", f->dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/link", f->dir);
    if (symlink("real", path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/rootlink", f->dir);
    if (symlink("/", path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/real/escape", f->dir);
    if (symlink("/var", path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/afile", f->dir);
    FILE *file = fopen(path, "w");
    if (file == NULL || fclose(file) != 0)
        return -1;
    *state = f;
    return 0;
}

static int remove_fixture(void **state)
{
    fixture_t *f = *state;
    const char *names[] = {"real/escape", "afile", "rootlink", "link", "real", ""};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, names[i]);
        if (unlink(path) != 0)
            rmdir(path);
    }
    free(f);
    return 0;
}

/* A config whose roots and backup_dir are the given lines. */
static agent_config_t *parse_roots(const char *roots, const char *backup_dir, alfup_err_t *err)
{
    char *text = NULL;
    int n = asprintf(&text,
                     "name: solr1\ncontroller: tcp://ctl:7411\n"
                     "tls: {ca: /c/ca.pem, cert: /c/s.pem, key: /c/s.key}\n"
                     "state_dir: /var/lib/alfup-agent\n"
                     "backup_dir: %s\nallowed_roots: %s\n",
                     backup_dir, roots);
    assert_true(n > 0);
    agent_config_t *config = parse(text, err);
    free(text);
    return config;
}

static void test_roots_are_canonical(void **state)
{
    fixture_t *f = *state;
    char roots[3 * PATH_MAX], backup[PATH_MAX], expect[PATH_MAX + 32];
    snprintf(roots, sizeof roots, "[%s/link/, %s//real/not-yet/there]", f->dir, f->dir);
    snprintf(backup, sizeof backup, "%s/link/backups", f->dir);
    alfup_err_t err = {{0}};
    agent_config_t *config = parse_roots(roots, backup, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(config->allowed_roots.count, 2);
    snprintf(expect, sizeof expect, "%s/real", f->canonical);
    assert_string_equal(config->allowed_roots.items[0], expect);
    snprintf(expect, sizeof expect, "%s/real/not-yet/there", f->canonical);
    assert_string_equal(config->allowed_roots.items[1], expect);
    snprintf(expect, sizeof expect, "%s/real/backups", f->canonical);
    assert_string_equal(config->backup_dir, expect);
    agent_config_destroy(&config);

    /* the same folder named twice (through the link) is kept once */
    snprintf(roots, sizeof roots, "[%s/real, %s/link]", f->dir, f->dir);
    snprintf(backup, sizeof backup, "%s/real", f->dir);
    config = parse_roots(roots, backup, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(config->allowed_roots.count, 1);
    agent_config_destroy(&config);
}

static void test_roots_refuse_links_out(void **state)
{
    fixture_t *f = *state;
    char roots[2 * PATH_MAX], backup[PATH_MAX];
    alfup_err_t err = {{0}};
    /* a root that is a link to "/" */
    snprintf(roots, sizeof roots, "[%s/real, %s/rootlink]", f->dir, f->dir);
    snprintf(backup, sizeof backup, "%s/real/b", f->dir);
    assert_null(parse_roots(roots, backup, &err));
    assert_non_null(strstr(err.msg, "cfg.yaml:6: key 'allowed_roots[1]'"));
    assert_non_null(strstr(err.msg, "resolves to) \"/\""));
    /* a backup_dir that leaves the roots through a link */
    snprintf(roots, sizeof roots, "[%s/real]", f->dir);
    snprintf(backup, sizeof backup, "%s/real/escape/backups", f->dir);
    assert_null(parse_roots(roots, backup, &err));
    assert_non_null(strstr(err.msg, "cfg.yaml:5: key 'backup_dir'"));
    assert_non_null(strstr(err.msg, "(resolved to /var/backups) is not inside allowed_roots"));
    /* a root under a regular file cannot be resolved */
    snprintf(roots, sizeof roots, "[%s/afile/x]", f->dir);
    snprintf(backup, sizeof backup, "%s/afile/x", f->dir);
    assert_null(parse_roots(roots, backup, &err));
    assert_non_null(strstr(err.msg, "cfg.yaml:6: key 'allowed_roots[0]'"));
    assert_non_null(strstr(err.msg, "Not a directory"));
}

static void test_load_file(void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/agent.yaml", f->dir);
    char *text = edited(0, 0, NULL);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(fputs(text, out) >= 0, 1);
    assert_int_equal(fclose(out), 0);
    free(text);
    alfup_err_t err = {{0}};
    agent_config_t *config = agent_config_load(path, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(config->path, path);
    agent_config_destroy(&config);

    /* a file over the size limit is refused before parsing */
    out = fopen(path, "w");
    assert_non_null(out);
    static const char padding[] = "# padding to go over the size limit\n";
    for (size_t written = 0; written <= YAML_DOC_MAX_BYTES; written += sizeof padding - 1)
        fputs(padding, out);
    assert_int_equal(fclose(out), 0);
    assert_null(agent_config_load(path, &err));
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "at most 1048576 bytes"));
    unlink(path);
    assert_null(agent_config_load(path, &err));
    assert_non_null(strstr(err.msg, "no such file"));
}

/* The shipped examples always load (deploy/examples/agent-*.yaml). */
static void test_examples_load(void **state)
{
    (void)state;
    const char *source = getenv("ALFUP_SOURCE_DIR");
    assert_non_null(source);
    const char *names[] = {"agent-repo.yaml", "agent-db.yaml", "agent-solr.yaml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/deploy/examples/%s", source, names[i]);
        alfup_err_t err = {{0}};
        agent_config_t *config = agent_config_load(path, &err);
        if (config == NULL)
            fail_msg("%s", err.msg);
        agent_config_destroy(&config);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_minimal_config_defaults),
        cmocka_unit_test(test_refuses_identity_and_tls),
        cmocka_unit_test(test_refuses_paths_and_roots),
        cmocka_unit_test(test_refuses_services),
        cmocka_unit_test(test_postgres_servers),
        cmocka_unit_test(test_refuses_tools_postgres_heartbeat),
        cmocka_unit_test_setup_teardown(test_roots_are_canonical, make_fixture, remove_fixture),
        cmocka_unit_test_setup_teardown(test_roots_refuse_links_out, make_fixture, remove_fixture),
        cmocka_unit_test_setup_teardown(test_load_file, make_fixture, remove_fixture),
        cmocka_unit_test(test_examples_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
