/* remote_cli.c -- the command line's run commands over the HTTPS API: each word list becomes one request. */
#include "remote_cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_cli.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define PATH_MAX_LEN 512
#define WAIT_POLL_US 1000000

static const char *const COMMANDS[] = {"agents", "runs", "status", "run",   "approve", "resume",
                                       "rollback", "cancel", "audit", "metrics", NULL};

int remote_cli_is_command(const char *command)
{
    for (size_t i = 0; COMMANDS[i]; i++)
        if (strcmp(COMMANDS[i], command) == 0)
            return 1;
    return 0;
}

typedef struct remote_call {
    const api_client_t *client;
    FILE *out, *errors;
    long status;
    char *reply;
} remote_call_t;

/* One request; 0 on a 2xx (the reply in call->reply), else the exit code, the reason printed. */
static int request(remote_call_t *call, const char *method, const char *path, const char *body, int text)
{
    alfup_err_t err;
    free(call->reply);
    call->reply = NULL;
    if (api_client_request(call->client, method, path, body, text, &call->status, &call->reply, &err) != ALFUP_OK) {
        fprintf(call->errors, "alfup-controller: %s\n", err.msg);
        return EXIT_UNREACHABLE;
    }
    if (call->status >= 200 && call->status < 300)
        return 0;
    json_t *answer = json_loads(call->reply, 0, NULL);
    const char *why = json_string_value(json_object_get(answer, "error"));
    fprintf(call->errors, "alfup-controller: %s %s: HTTP %ld: %s\n", method, path, call->status, why ? why : call->reply);
    json_decref(answer);
    return call->status == 400 ? EXIT_USAGE : EXIT_FAILED;
}

/* A POST's answer: the run's id ({"run": ...}) or the command's own text ({"result": ...}). */
static void print_result(remote_call_t *call)
{
    json_t *answer = json_loads(call->reply, 0, NULL);
    const char *run = json_string_value(json_object_get(answer, "run"));
    const char *result = json_string_value(json_object_get(answer, "result"));
    if (run || result)
        fprintf(call->out, "%s\n", run ? run : result);
    else
        fputs(call->reply, call->out);
    json_decref(answer);
}

/* The audit trail as a table (--json: as the API answers it). */
static void print_audit(remote_call_t *call)
{
    json_t *rows = json_loads(call->reply, 0, NULL);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_int_t status = json_integer_value(json_object_get(row, "status"));
        fprintf(call->out, "%-6lld %-14lld %-16s %-5s %-16s %-9s %-28s %4lld  %s\n",
                (long long)json_integer_value(json_object_get(row, "id")),
                (long long)json_integer_value(json_object_get(row, "at_unix_ms")),
                json_string_value(json_object_get(row, "who")), json_string_value(json_object_get(row, "source")),
                json_string_value(json_object_get(row, "address")), json_string_value(json_object_get(row, "action")),
                json_string_value(json_object_get(row, "run")), (long long)status,
                json_string_value(json_object_get(row, "outcome")));
    }
    json_decref(rows);
}

/* A POST to path with {"key": value} (no body when key is NULL). */
static int post(remote_call_t *call, const char *path, const char *key, const char *value)
{
    json_t *object = key ? json_pack("{s:s}", key, value) : NULL;
    char *body = object ? json_dumps(object, JSON_COMPACT) : NULL;
    json_decref(object);
    int rc = request(call, "POST", path, body, 0);
    free(body);
    if (rc == 0)
        print_result(call);
    return rc;
}

/* status without a run: the newest (GET /runs lists them newest first). */
static int newest_run(remote_call_t *call, char *run, size_t len)
{
    int rc = request(call, "GET", "/api/v1/runs", NULL, 0);
    if (rc != 0)
        return rc;
    json_t *runs = json_loads(call->reply, 0, NULL);
    const char *id = json_string_value(json_object_get(json_array_get(runs, 0), "run"));
    if (id)
        snprintf(run, len, "%s", id);
    json_decref(runs);
    if (id == NULL)
        fprintf(call->errors, "alfup-controller: no run yet\n");
    return id ? 0 : EXIT_FAILED;
}

static int read_command(remote_call_t *call, const char *command, const char *arg, int json)
{
    char path[PATH_MAX_LEN], run[128];
    int rc = 0;
    if (strcmp(command, "status") == 0 && arg == NULL && (rc = newest_run(call, run, sizeof run)) != 0)
        return rc;
    if (strcmp(command, "status") == 0)
        snprintf(path, sizeof path, "/api/v1/runs/%s", arg ? arg : run);
    else if (strcmp(command, "metrics") == 0)
        snprintf(path, sizeof path, "/metrics");
    else
        snprintf(path, sizeof path, "/api/v1/%s", command);
    int text = !json && strcmp(command, "audit") != 0 && strcmp(command, "metrics") != 0;
    if ((rc = request(call, "GET", path, NULL, text)) != 0)
        return rc;
    if (strcmp(command, "audit") == 0 && !json)
        print_audit(call);
    else
        fputs(call->reply, call->out);
    return 0;
}

/* --wait: polls the run every second until it settles (as run_cli's --wait: succeeded, failed, rolled
 * back, cancelled, waiting at a gate, paused), then prints its status; the exit code says which. */
static int follow(remote_call_t *call, const char *run)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "/api/v1/runs/%s", run);
    for (;;) {
        int rc = request(call, "GET", path, NULL, 0);
        if (rc != 0)
            return rc;
        json_t *object = json_loads(call->reply, 0, NULL);
        const char *state = json_string_value(json_object_get(object, "state"));
        int code = state ? run_cli_exit_for(state, json_is_true(json_object_get(object, "paused"))) : RUN_EXIT_FAILED;
        json_decref(object);
        if (code >= 0) {
            if ((rc = request(call, "GET", path, NULL, 1)) != 0)
                return rc;
            fputs(call->reply, call->out);
            return code;
        }
        usleep(WAIT_POLL_US);
    }
}

/* run PLAN: POST /api/v1/runs, the run's id printed; with wait, followed until it settles. */
static int start_run(remote_call_t *call, const char *plan, int wait)
{
    int rc = post(call, "/api/v1/runs", "plan", plan);
    if (rc != 0 || !wait)
        return rc;
    char run[128] = "";
    json_t *answer = json_loads(call->reply, 0, NULL);
    const char *id = json_string_value(json_object_get(answer, "run"));
    snprintf(run, sizeof run, "%s", id ? id : "");
    json_decref(answer);
    return run[0] ? follow(call, run) : EXIT_FAILED;
}

/* The words without --json and --wait: *args (at most two), their count; -1 on anything the command
 * does not take. */
static int split_args(int count, char **words, const char **args, int *json, int *wait)
{
    int n = 0;
    *json = *wait = 0;
    for (int i = 1; i < count; i++) {
        if (strcmp(words[i], "--json") == 0)
            *json = 1;
        else if (strcmp(words[i], "--wait") == 0)
            *wait = 1;
        else if (words[i][0] == '-' || n == 2)
            return -1;
        else
            args[n++] = words[i];
    }
    return n;
}

static int usage(FILE *errors, const char *why)
{
    fprintf(errors, "alfup-controller --api: %s\n", why);
    return EXIT_USAGE;
}

int remote_cli_main(const api_client_t *client, int count, char **words, FILE *out, FILE *errors)
{
    const char *args[2] = {NULL, NULL}, *command = words[0];
    int json = 0, wait = 0, n = split_args(count, words, args, &json, &wait);
    int waits = !strcmp(command, "run") || !strcmp(command, "resume") || !strcmp(command, "rollback") ||
                !strcmp(command, "status");
    if (n < 0 || (wait && !waits))
        return usage(errors, "unknown argument (--json for agents, runs, status, audit; --wait for run, resume, "
                             "rollback, status)");
    if (n >= 1 && strcmp(command, "run") != 0 && (strchr(args[0], '/') || strstr(args[0], "..")))
        return usage(errors, "a run id is a name, not a path");
    remote_call_t call = {.client = client, .out = out, .errors = errors};
    int rc;
    char path[PATH_MAX_LEN];
    int reads = !strcmp(command, "agents") || !strcmp(command, "runs") || !strcmp(command, "audit") ||
                !strcmp(command, "metrics");
    char run[128] = "";
    if (!strcmp(command, "status") && wait && n <= 1) {
        rc = args[0] ? 0 : newest_run(&call, run, sizeof run);
        rc = rc ? rc : follow(&call, args[0] ? args[0] : run);
    } else if ((reads && n == 0) || (!strcmp(command, "status") && n <= 1)) {
        rc = read_command(&call, command, args[0], json);
    } else if (!strcmp(command, "run") && n == 1) {
        if (strchr(args[0], '/'))
            return usage(errors, "over --api a plan is a name in the controller's api.plans_dir, not a path");
        rc = start_run(&call, args[0], wait);
    } else if (!strcmp(command, "approve") && (n == 1 || n == 2)) {
        snprintf(path, sizeof path, "/api/v1/runs/%s/approve", args[0]);
        rc = post(&call, path, n == 2 ? "gate" : NULL, args[1]);
    } else if ((!strcmp(command, "resume") || !strcmp(command, "rollback") || !strcmp(command, "cancel")) && n == 1) {
        snprintf(path, sizeof path, "/api/v1/runs/%s/%s", args[0], command);
        rc = post(&call, path, NULL, NULL);
        rc = rc == 0 && wait ? follow(&call, args[0]) : rc;
    } else {
        return usage(errors, "wrong arguments for this command (alfup-controller --help)");
    }
    free(call.reply);
    return rc;
}
