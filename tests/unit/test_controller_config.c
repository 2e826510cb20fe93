/* test_controller_config.c -- the controller's config: good files, defaults and every refusal. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "text_edit.h"

#include "controller_config.h"

static const char FULL[] = "listen: tcp://0.0.0.0:7411\n"                  /* 1 */
                           "admin: /run/alfup/admin.sock\n"                /* 2 */
                           "tls:\n"                                        /* 3 */
                           "  ca: /etc/alfup/ca.pem\n"                     /* 4 */
                           "  cert: /etc/alfup/ctl.pem\n"                  /* 5 */
                           "  key: /etc/alfup/ctl.key\n"                   /* 6 */
                           "  crl: /etc/alfup/crl.pem\n"                   /* 7 */
                           "journal: /var/lib/alfup/journal.db\n"          /* 8 */
                           "heartbeat_timeout_s: 30\n"                     /* 9 */
                           "max_pending_handshakes: 64\n"                  /* 10 */
                           "handshake_timeout_s: 5\n";                     /* 11 */

static controller_config_t *parse(const char *text, alfup_err_t *err)
{
    return controller_config_parse(text, strlen(text), "ctl.yaml", err);
}

/* FULL with line (1-based) replaced by replacement (NULL: removed; may hold several lines). */
static char *edited(int line, const char *replacement)
{
    char *text = text_replace_line(FULL, line, replacement);
    assert_non_null(text);
    return text;
}

static void test_full_config(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    controller_config_t *config = parse(FULL, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(config->path, "ctl.yaml");
    assert_string_equal(config->listen, "tcp://0.0.0.0:7411");
    assert_string_equal(config->admin, "/run/alfup/admin.sock");
    assert_string_equal(config->tls.ca, "/etc/alfup/ca.pem");
    assert_string_equal(config->tls.cert, "/etc/alfup/ctl.pem");
    assert_string_equal(config->tls.key, "/etc/alfup/ctl.key");
    assert_string_equal(config->tls.crl, "/etc/alfup/crl.pem");
    assert_string_equal(config->journal, "/var/lib/alfup/journal.db");
    assert_int_equal(config->heartbeat_timeout_s, 30);
    assert_int_equal(config->max_pending_handshakes, 64);
    assert_int_equal(config->handshake_timeout_s, 5);
    controller_config_destroy(&config);
    assert_null(config);
    controller_config_destroy(&config);
}

static void test_defaults(void **state)
{
    (void)state;
    const char *text = "listen: tcp://*:7411\nadmin: /run/a.sock\n"
                       "tls: {ca: /c/ca.pem, cert: /c/ctl.pem, key: /c/ctl.key}\n"
                       "journal: /var/lib/alfup/journal.db\n";
    alfup_err_t err = {{0}};
    controller_config_t *config = parse(text, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_null(config->tls.crl);
    assert_int_equal(config->heartbeat_timeout_s, CONTROLLER_DEFAULT_HEARTBEAT_TIMEOUT_S);
    assert_int_equal(config->heartbeat_timeout_s, 15);
    assert_int_equal(config->max_pending_handshakes, 256);
    assert_int_equal(config->handshake_timeout_s, 10);
    controller_config_destroy(&config);
}

/* api: its TLS files default to the tls: section's; no api: section, no API. */
static void test_api_section(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    char text[1024];
    snprintf(text, sizeof text, "%sapi: {listen: \"127.0.0.1:8443\", plans_dir: /etc/alfup/plans, key: /k/api.key}\n",
             FULL);
    controller_config_t *config = parse(text, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(config->api.listen, "127.0.0.1:8443");
    assert_string_equal(config->api.plans_dir, "/etc/alfup/plans");
    assert_string_equal(config->api.ca, "/etc/alfup/ca.pem");
    assert_string_equal(config->api.cert, "/etc/alfup/ctl.pem");
    assert_string_equal(config->api.key, "/k/api.key");
    assert_string_equal(config->api.crl, "/etc/alfup/crl.pem");
    assert_int_equal(config->api.idle_timeout_s, CONTROLLER_API_DEFAULT_IDLE_TIMEOUT_S);
    assert_false(config->api.four_eyes);
    controller_config_destroy(&config);
    config = parse(FULL, &err);
    assert_non_null(config);
    assert_null(config->api.listen);
    controller_config_destroy(&config);
    const char *refused[] = {"api: {plans_dir: /p}\n", "api: {listen: \"x:1\", plans_dir: plans}\n",
                             "api: {listen: \"x:1\", idle_timeout_s: 0}\n", "api: {listen: \"x:1\", user: a}\n",
                             "api: {listen: \"x:1\", four_eyes: maybe}\n", NULL};
    for (size_t i = 0; refused[i]; i++) {
        snprintf(text, sizeof text, "%s%s", FULL, refused[i]);
        config = parse(text, &err);
        if (config != NULL)
            fail_msg("accepted: %s", refused[i]);
        assert_non_null(strstr(err.msg, "ctl.yaml:12"));
    }
}

/* webhooks: each with its secret file read; bad URLs, short or missing secrets, duplicates refused. */
static void test_webhooks_section(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    char dir[] = "/tmp/alfup-hooks-XXXXXX", secret[64], short_secret[64], text[2048];
    assert_non_null(mkdtemp(dir));
    snprintf(secret, sizeof secret, "%s/secret", dir);
    snprintf(short_secret, sizeof short_secret, "%s/short", dir);
    FILE *f = fopen(secret, "w");
    assert_non_null(f);
    fputs("0123456789abcdef0123\n", f);
    fclose(f);
    f = fopen(short_secret, "w");
    assert_non_null(f);
    fputs("tooshort\n", f);
    fclose(f);
    snprintf(text, sizeof text, "%swebhooks:\n  - {url: \"https://hooks.example.com/a\", secret_file: %s, ca: /c.pem}\n"
             "  - {url: \"http://127.0.0.1:9/b\", secret_file: %s}\n", FULL, secret, secret);
    controller_config_t *config = parse(text, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(config->webhooks.count, 2);
    assert_string_equal(config->webhooks.items[0].url, "https://hooks.example.com/a");
    assert_string_equal(config->webhooks.items[0].secret, "0123456789abcdef0123");
    assert_int_equal(config->webhooks.items[0].secret_len, 20);
    assert_string_equal(config->webhooks.items[0].ca, "/c.pem");
    assert_null(config->webhooks.items[1].ca);
    controller_config_destroy(&config);
    static const struct {
        const char *url, *secret_suffix, *extra; /* secret_suffix NULL: no secret_file */
    } refused[] = {{"ftp://x/a", "", ""}, {"http://x/a", ".none", ""}, {"http://x/a", NULL, ""},
                   {"http://x/a b", "", ""}, {"http://x/a", "", ", token: t"}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char secret_key[128] = "";
        if (refused[i].secret_suffix)
            snprintf(secret_key, sizeof secret_key, ", secret_file: %s%s", secret, refused[i].secret_suffix);
        snprintf(text, sizeof text, "%swebhooks:\n  - {url: \"%s\"%s%s}\n", FULL, refused[i].url, secret_key,
                 refused[i].extra);
        if ((config = parse(text, &err)) != NULL)
            fail_msg("accepted: %s", text);
        assert_non_null(strstr(err.msg, "ctl.yaml:1"));
    }
    snprintf(text, sizeof text, "%swebhooks:\n  - {url: \"http://x/a\", secret_file: %s}\n", FULL, short_secret);
    assert_null(parse(text, &err));
    assert_non_null(strstr(err.msg, "16 to 4096 bytes"));
    snprintf(text, sizeof text, "%swebhooks:\n  - {url: \"http://x/a\", secret_file: %s}\n", FULL, dir);
    assert_null(parse(text, &err)); /* a folder (or a FIFO, a device) is not read */
    assert_non_null(strstr(err.msg, "not a regular file"));
    snprintf(text, sizeof text, "%swebhooks:\n  - {url: \"http://x/a\", secret_file: %s}\n  - {url: \"http://x/a\", "
             "secret_file: %s}\n", FULL, secret, secret);
    assert_null(parse(text, &err));
    assert_non_null(strstr(err.msg, "listed twice"));
    unlink(secret);
    unlink(short_secret);
    rmdir(dir);
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *replacement;
        unsigned expect_line;
        const char *fragment;
    } cases[] = {
        {1, NULL, 1, "missing required key 'listen'"},
        {1, "listen: 0.0.0.0:7411", 1, "key 'listen': '0.0.0.0:7411' is not a tcp://HOST:PORT"},
        {1, "listen: ipc:///run/x", 1, "key 'listen'"},
        {1, "listen: tcp://0.0.0.0:port", 1, "key 'listen'"},
        {2, NULL, 1, "missing required key 'admin'"},
        {2, "admin: admin.sock", 2, "key 'admin': 'admin.sock' is not an absolute path"},
        {2, "admin: /run/../admin.sock", 2, "key 'admin'"},
        {4, NULL, 3, "key 'tls': missing required key 'ca'"},
        {5, NULL, 3, "key 'tls': missing required key 'cert'"},
        {6, NULL, 3, "key 'tls': missing required key 'key'"},
        {4, "  ca: ca.pem", 4, "key 'tls.ca': 'ca.pem' is not an absolute path"},
        {5, "  cert: c.pem", 5, "key 'tls.cert'"},
        {6, "  key: k.key", 6, "key 'tls.key'"},
        {7, "  crl: crl.pem", 7, "key 'tls.crl'"},
        {7, "  crls: /x", 7, "key 'tls.crls': unknown key"},
        {8, NULL, 1, "missing required key 'journal'"},
        {8, "journal: journal.db", 8, "key 'journal'"},
        {9, "heartbeat_timeout_s: 2", 9, "key 'heartbeat_timeout_s': 2 is out of range (3..600)"},
        {9, "heartbeat_timeout_s: 601", 9, "out of range (3..600)"},
        {10, "max_pending_handshakes: 0", 10, "key 'max_pending_handshakes'"},
        {10, "max_pending_handshakes: 65537", 10, "out of range (1..65536)"},
        {11, "handshake_timeout_s: 0", 11, "key 'handshake_timeout_s'"},
        {11, "handshake_timeout_s: 301", 11, "out of range (1..300)"},
        {11, "handshake_timeout_s: ten", 11, "expected a whole number"},
        {11, "listen: tcp://0.0.0.0:7412", 11, "key 'listen': duplicate key (first at line 1)"},
        {11, "agents: [a]", 11, "key 'agents': unknown key"},
        {11, "  bad indentation: 1", 11, "YAML syntax error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = edited(cases[i].line, cases[i].replacement);
        alfup_err_t err = {{0}};
        controller_config_t *config = parse(text, &err);
        if (config != NULL)
            fail_msg("case %zu accepted", i);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "ctl.yaml:%u: ", cases[i].expect_line);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
            strstr(err.msg, cases[i].fragment) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\" or \"%s\"", i, err.msg, prefix,
                     cases[i].fragment);
        free(text);
    }
}

static void test_root_must_be_mapping(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    assert_null(parse("- listen\n", &err));
    assert_string_equal(err.msg, "ctl.yaml:1: expected a mapping");
    assert_null(parse("listen: tcp://h:1\nadmin: /a\ntls: /etc/alfup\njournal: /j\n", &err));
    assert_string_equal(err.msg, "ctl.yaml:3: key 'tls': expected a mapping");
    assert_null(parse("", &err));
    assert_string_equal(err.msg, "ctl.yaml:1: no YAML document");
}

/* deploy/examples/controller.yaml always loads, from the file. */
static void test_example_loads(void **state)
{
    (void)state;
    const char *source = getenv("ALFUP_SOURCE_DIR");
    assert_non_null(source);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/deploy/examples/controller.yaml", source);
    alfup_err_t err = {{0}};
    controller_config_t *config = controller_config_load(path, &err);
    if (config == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(config->listen, "tcp://0.0.0.0:7411");
    assert_string_equal(config->path, path);
    controller_config_destroy(&config);
    assert_null(controller_config_load("/nonexistent/controller.yaml", &err));
    assert_string_equal(err.msg, "/nonexistent/controller.yaml: no such file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),   cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_refusals),      cmocka_unit_test(test_root_must_be_mapping),
        cmocka_unit_test(test_example_loads),  cmocka_unit_test(test_api_section), cmocka_unit_test(test_webhooks_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
