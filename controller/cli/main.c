/* main.c -- alfup-controller: the daemon (serve) and the command line that talks to it. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin_client.h"
#include "controller_config.h"
#include "controller_daemon.h"
#include "fleet_cli.h"
#include "fleet_remote_cli.h"
#include "log.h"
#include "plan_cli.h"
#include "remote_cli.h"
#include "run_cli.h"

#define DEFAULT_CONFIG "/etc/alfup/controller.yaml"
#define EXIT_USAGE 2
#define ARGS_MAX 16

static volatile sig_atomic_t stop_requested;

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: alfup-controller [--config FILE] COMMAND [ARGS]\n"
            "       alfup-controller --api URL --cert FILE --key FILE [--ca FILE] COMMAND [ARGS]\n"
            "\n"
            "  serve                 run the controller daemon in the foreground\n"
            "  agents [--json]       every agent seen: name, roles (from its certificate),\n"
            "                        online, address, version, last seen\n"
            "  ping [--json] [--hold-ms=N]\n"
            "                        round trip of a ping step to every online agent;\n"
            "                        exit 0 only when every online agent answered\n"
            "                        (--hold-ms makes each agent hold its answer N ms)\n"
            "  plan check PLAN [--workflows DIR]\n"
            "                        check a plan against its workflow (no daemon needed);\n"
            "                        every error as FILE:LINE: message, exit 1 if any; when\n"
            "                        the controller is reachable, also that every agent of\n"
            "                        the plan is online with the roles the plan gives it\n"
            "  plan show PLAN [--json] [--workflows DIR]\n"
            "                        the dry run: every step in order with its stage, phase,\n"
            "                        host, kind, parameters and procedure step; gates, rollback\n"
            "                        (workflows: --workflows, $ALFUP_WORKFLOWS_DIR, the build\n"
            "                        tree's deploy/workflows, /usr/share/alfup/workflows)\n"
            "  fleet check FLEET [--workflows DIR]\n"
            "                        check a fleet file and every plan it names (docs/fleet.md)\n"
            "  fleet show FLEET [--json] [--from ISO8601] [--windows N] [--workflows DIR]\n"
            "                        the fleet's timeline: usable windows, which wave cuts over\n"
            "                        in which window and when its deployments prepare\n"
            "  fleet start FLEET [--approve-cutovers]\n"
            "                        start a fleet in the controller: it prepares, cuts over\n"
            "                        in its windows when the estimate fits, halts at its\n"
            "                        failure threshold (--approve-cutovers: approve_cutovers)\n"
            "  fleet status [NAME] [--json]\n"
            "                        every deployment's state and, when it waits, why\n"
            "  fleet pause|resume|cancel NAME\n"
            "                        stop starting new work / continue / stop for good\n"
            "  drain | undrain       no new run, prepare or cutover starts controller-wide;\n"
            "                        running work finishes / starts are allowed again\n"
            "  run PLAN [--wait]     start an upgrade run and print its id; --wait follows it\n"
            "                        (live on a terminal) until it settles\n"
            "  status [RUN] [--json] [--wait]\n"
            "                        one run (default: the latest): phases, steps per host,\n"
            "                        progress, errors with their log lines, the rollback\n"
            "  runs [--json]         every run, newest first\n"
            "  approve RUN [GATE]    let a run past an approval gate (default: the one it waits at)\n"
            "  resume RUN [--wait]   continue a paused, failed or rolled-back run (docs/runs.md)\n"
            "  rollback RUN [--wait] stop the new services, start the old ones\n"
            "  cancel RUN            stop a run; the old system is started again if it was stopped\n"
            "  --version, --help\n"
            "\n"
            "  audit [--json]        (--api only) the audit trail: who did what, on which run\n"
            "  metrics               (--api only) the Prometheus metrics\n"
            "\n"
            "--config names the controller's config (default " DEFAULT_CONFIG ").\n"
            "--api runs agents, runs, status, run, approve, resume, rollback, cancel, audit\n"
            "and metrics against a remote controller's HTTPS API (docs/api.md) with an\n"
            "operator's certificate (--cert, --key), checking the controller's against --ca\n"
            "(default: the system's CAs); run takes a plan's name in its api.plans_dir;\n"
            "--wait polls the run every second and prints its status once it settles;\n"
            "status and agents print the same text as on the controller's host.\n"
            "Exit codes: 0 success, 1 failure, 2 usage error, 3 daemon unreachable;\n"
            "with --wait also 4 rolled back, 5 waiting at a gate, 6 cancelled, 7 paused.\n");
}

static int serve(const char *config_path)
{
    alfup_err_t err;
    controller_config_t *config = controller_config_load(config_path, &err);
    if (config == NULL) {
        fprintf(stderr, "alfup-controller: %s\n", err.msg);
        return 1;
    }
    struct sigaction action = {.sa_handler = on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = controller_daemon_run(config, &stop_requested, &err);
    if (rc != 0)
        alfup_log(LOG_LEVEL_ERROR, "controller", "%s", err.msg);
    controller_config_destroy(&config);
    return rc == 0 ? 0 : 1;
}

typedef int (*admin_command_fn)(const char *admin_socket, int count, char **words);

/* Loads the config for its admin socket and runs fn against the daemon there. */
static int with_admin_socket(const char *config_path, admin_command_fn fn, int count, char **words)
{
    alfup_err_t err;
    controller_config_t *config = controller_config_load(config_path, &err);
    if (config == NULL) {
        fprintf(stderr, "alfup-controller: %s\n", err.msg);
        return 1;
    }
    int rc = fn(config->admin, count, words);
    controller_config_destroy(&config);
    return rc;
}

/* agents and ping: the daemon's answer goes to stdout as it is. */
static int plain_command(const char *admin_socket, int count, char **words)
{
    return admin_client_call(admin_socket, count, words, stdout);
}

/* plan check also asks a reachable daemon about the agents' certificates. */
static int plan_command(const char *config_path, int count, char **words)
{
    int rc = plan_cli_main(count, words, stdout, stderr);
    if (rc != 0 || count < 3 || strcmp(words[1], "check") != 0 || access(config_path, R_OK) != 0)
        return rc;
    alfup_err_t err;
    controller_config_t *config = controller_config_load(config_path, &err);
    if (config == NULL)
        return rc;
    rc = run_cli_check_agents(config->admin, words[2]);
    controller_config_destroy(&config);
    return rc;
}

/* --api: the command through a remote controller's HTTPS API. */
static int remote_command(const api_client_t *remote, int count, char **words)
{
    if (remote->base == NULL || remote->cert == NULL || remote->key == NULL) {
        fprintf(stderr, "alfup-controller: --api needs --cert and --key (and --ca unless the system's CAs vouch "
                        "for the controller)\n");
        return EXIT_USAGE;
    }
    if (!remote_cli_is_command(words[0])) {
        fprintf(stderr, "alfup-controller: %s is not a command over --api\n", words[0]);
        return EXIT_USAGE;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "alfup-controller: libcurl cannot start\n");
        return 1;
    }
    int rc = remote_cli_main(remote, count, words, stdout, stderr);
    curl_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    const char *config_path = DEFAULT_CONFIG;
    char *words[ARGS_MAX];
    int count = 0;
    api_client_t remote = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("alfup-controller %s\n", ALFUP_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--api") == 0 && i + 1 < argc) {
            remote.base = argv[++i];
        } else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc) {
            remote.cert = argv[++i];
        } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            remote.key = argv[++i];
        } else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
            remote.ca = argv[++i];
        } else if (count < ARGS_MAX) {
            words[count++] = argv[i];
        } else {
            fprintf(stderr, "alfup-controller: too many arguments\n");
            return EXIT_USAGE;
        }
    }
    if (count == 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (remote.base || remote.cert || remote.key || remote.ca)
        return remote_command(&remote, count, words);
    if (strcmp(words[0], "plan") == 0)
        return plan_command(config_path, count, words);
    if (fleet_remote_cli_is_command(count, words))
        return with_admin_socket(config_path, fleet_remote_cli_main, count, words);
    if (strcmp(words[0], "fleet") == 0)
        return fleet_cli_main(count, words, stdout, stderr);
    if (strcmp(words[0], "serve") == 0 && count == 1)
        return serve(config_path);
    if (run_cli_is_command(words[0]))
        return with_admin_socket(config_path, run_cli_main, count, words);
    int known = strcmp(words[0], "agents") == 0 || strcmp(words[0], "ping") == 0;
    for (int i = 1; known && i < count; i++)
        known = strcmp(words[i], "--json") == 0 ||
                (strcmp(words[0], "ping") == 0 && strncmp(words[i], "--hold-ms=", 10) == 0);
    if (!known) {
        fprintf(stderr, "alfup-controller: unknown command or argument: %s\n", words[0]);
        usage(stderr);
        return EXIT_USAGE;
    }
    return with_admin_socket(config_path, plain_command, count, words);
}
