/* main.c -- alfup-agent: runs the agent daemon in the foreground (or, with --restore-set, one local restore). */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "agent_config.h"
#include "agent_daemon.h"
#include "log.h"
#include "restore_set.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop_requested;
static atomic_int restore_cancel; /* --restore-set: SIGTERM or SIGINT cancel the restore */

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
    atomic_store(&restore_cancel, 1);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alfup-agent --config FILE     run the agent in the foreground\n"
            "       alfup-agent --check-config FILE  validate FILE and its certificate, then exit\n"
            "       alfup-agent --config FILE --restore-set --base ARCHIVE [--delta ARCHIVE] --into DIR\n"
            "                        rebuild a backup set's trees (base, then its delta) into the empty\n"
            "                        or absent folder DIR on this host, every file checked (docs/runs.md)\n"
            "       alfup-agent --version | --help\n"
            "\n"
            "The agent connects to the controller named in its config over mutually\n"
            "authenticated TLS 1.3, and runs only the step kinds it knows, with the\n"
            "services, tools and paths its own config allows. SIGTERM or SIGINT stop it.\n");
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    int check_only = 0, restore = 0;
    restore_set_request_t request = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("alfup-agent %s\n", ALFUP_VERSION);
            return 0;
        } else if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--check-config") == 0) && i + 1 < argc) {
            check_only = strcmp(argv[i], "--check-config") == 0;
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--restore-set") == 0) {
            restore = 1;
        } else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc) {
            request.base = argv[++i];
        } else if (strcmp(argv[i], "--delta") == 0 && i + 1 < argc) {
            request.delta = argv[++i];
        } else if (strcmp(argv[i], "--into") == 0 && i + 1 < argc) {
            request.into = argv[++i];
        } else {
            fprintf(stderr, "alfup-agent: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    int restore_args = request.base != NULL || request.delta != NULL || request.into != NULL;
    if (config_path == NULL || restore_args != restore || (restore && (check_only || !request.base || !request.into))) {
        usage(stderr);
        return EXIT_USAGE;
    }
    alfup_err_t err;
    agent_config_t *config = agent_config_load(config_path, &err);
    if (config == NULL) {
        fprintf(stderr, "alfup-agent: %s\n", err.msg);
        return 1;
    }
    if (check_only) {
        printf("%s: ok (agent %s, %zu services, %zu tools)\n", config_path, config->name,
               config->service_count, config->tool_count);
        agent_config_destroy(&config);
        return 0;
    }
    struct sigaction action = {.sa_handler = on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (restore) {
        int restored = restore_set_run(config, &request, &restore_cancel, stdout);
        agent_config_destroy(&config);
        return restored;
    }
    int rc = agent_daemon_run(config, &stop_requested, &err);
    if (rc != 0)
        alfup_log(LOG_LEVEL_ERROR, "agent", "%s", err.msg);
    agent_config_destroy(&config);
    return rc == 0 ? 0 : 1;
}
