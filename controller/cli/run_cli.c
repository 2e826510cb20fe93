/* run_cli.c -- run commands on the command line; --wait follows a run until it settles,
 * redrawing the status on a terminal and printing one line per step change otherwise. */
#include "run_cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin_client.h"

#define WAIT_POLL_US 1000000
#define STEP_LINES_MAX 512
#define STEP_KEY_MAX 160

static const char *const RUN_COMMANDS[] = {"run", "runs", "status", "approve", "resume", "rollback", "cancel", NULL};

int run_cli_is_command(const char *command)
{
    for (size_t i = 0; RUN_COMMANDS[i]; i++)
        if (strcmp(command, RUN_COMMANDS[i]) == 0)
            return 1;
    return 0;
}

/* Calls the daemon and keeps its answer in *text (caller frees). Returns the exit code. */
static int call(const char *socket, int count, char **words, char **text)
{
    size_t len = 0;
    *text = NULL;
    FILE *out = open_memstream(text, &len);
    if (out == NULL)
        return 1;
    int rc = admin_client_call(socket, count, words, out);
    fclose(out);
    return rc;
}

typedef struct seen_steps {
    char keys[STEP_LINES_MAX][STEP_KEY_MAX];  /* "mark step host" per step line */
    size_t count;
} seen_steps_t;

/* The part of a status step line that names its state, step, host and kind
 * (run_status.c's columns), without the elapsed time that changes every second. */
#define STEP_LINE_KEY_LEN 82

/* Prints each step line whose state changed since the last poll (non-terminal output). */
static void print_changes(seen_steps_t *seen, const char *status)
{
    const char *line = status;
    size_t index = 0;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 4 && strncmp(line, "  [", 3) == 0 && index < STEP_LINES_MAX) {
            char key[STEP_KEY_MAX];
            snprintf(key, sizeof key, "%.*s", (int)(len < STEP_LINE_KEY_LEN ? len : STEP_LINE_KEY_LEN), line);
            int new_pending = index >= seen->count && strncmp(line, "  [    ]", 8) == 0;
            if (new_pending) {
                snprintf(seen->keys[index], sizeof seen->keys[index], "%s", key); /* nothing happened yet */
            } else if (index >= seen->count || strcmp(seen->keys[index], key) != 0) {
                time_t now = time(NULL);
                struct tm tm;
                char stamp[16];
                localtime_r(&now, &tm);
                strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
                printf("%s %.*s\n", stamp, (int)len, line);
                fflush(stdout);
                snprintf(seen->keys[index], sizeof seen->keys[index], "%s", key);
            }
            index++;
        }
        line = end ? end + 1 : NULL;
    }
    if (index > seen->count)
        seen->count = index;
}

int run_cli_exit_for(const char *state, int paused)
{
    if (paused)
        return RUN_EXIT_PAUSED;
    if (strcmp(state, "succeeded") == 0)
        return RUN_EXIT_SUCCEEDED;
    if (strcmp(state, "rolled-back") == 0)
        return RUN_EXIT_ROLLED_BACK;
    if (strcmp(state, "waiting") == 0)
        return RUN_EXIT_WAITING;
    if (strcmp(state, "cancelled") == 0)
        return RUN_EXIT_CANCELLED;
    if (strcmp(state, "failed") == 0)
        return RUN_EXIT_FAILED;
    return -1; /* still going */
}

/* Follows run_id until it succeeds, fails, rolls back, is cancelled or waits at a gate. */
static int follow_with(const char *socket, const char *run_id, seen_steps_t *seen)
{
    int terminal = isatty(STDOUT_FILENO);
    char *words[] = {"watch", (char *)run_id};
    for (;;) {
        char *text = NULL;
        int rc = call(socket, run_id ? 2 : 1, words, &text);
        if (rc != 0) {
            fprintf(stderr, "alfup-controller: %s", text ? text : "lost the controller\n");
            free(text);
            return rc;
        }
        char state[32] = "", gate[128] = "";
        int paused = 0;
        sscanf(text, "state %31s paused %d gate %127s", state, &paused, gate);
        const char *status = strchr(text, '\n');
        status = status ? status + 1 : "";
        if (terminal)
            printf("\033[H\033[2J%s", status);
        else
            print_changes(seen, status);
        fflush(stdout);
        int code = run_cli_exit_for(state, paused);
        if (code >= 0) {
            if (!terminal)
                printf("\n%s", status);
            free(text);
            return code;
        }
        free(text);
        usleep(WAIT_POLL_US);
    }
}

static int follow(const char *socket, const char *run_id)
{
    seen_steps_t *seen = calloc(1, sizeof *seen);
    if (seen == NULL)
        return 1;
    int rc = follow_with(socket, run_id, seen);
    free(seen);
    return rc;
}

static int has_flag(int count, char **words, const char *flag)
{
    for (int i = 1; i < count; i++)
        if (strcmp(words[i], flag) == 0)
            return 1;
    return 0;
}

/* The words without --wait, for the daemon. */
static int strip_wait(int count, char **words, char **out)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        if (strcmp(words[i], "--wait") != 0)
            out[n++] = words[i];
    return n;
}

static int start_run(const char *socket, int count, char **words, int wait)
{
    char absolute[PATH_MAX];
    if (count < 2 || realpath(words[1], absolute) == NULL) {
        fprintf(stderr, "alfup-controller: run: cannot read plan %s\n", count < 2 ? "(none given)" : words[1]);
        return 2;
    }
    char *request[] = {"run", absolute};
    char *text = NULL;
    int rc = call(socket, 2, request, &text);
    if (rc != 0) {
        fprintf(stderr, "alfup-controller: %s", text ? text : "\n");
        free(text);
        return rc;
    }
    char run_id[64] = "";
    sscanf(text, "%63s", run_id);
    free(text);
    printf("%s\n", run_id);
    fflush(stdout);
    return wait ? follow(socket, run_id) : 0;
}

int run_cli_check_agents(const char *socket, const char *plan_path)
{
    char absolute[PATH_MAX];
    if (realpath(plan_path, absolute) == NULL)
        return 1;
    char *words[] = {"check-agents", absolute};
    char *text = NULL;
    int rc = call(socket, 2, words, &text);
    if (rc == ADMIN_EXIT_UNREACHABLE)
        fprintf(stderr, "%s: agents' certificates not checked (the controller is not reachable)\n", plan_path);
    else
        fprintf(rc == 0 ? stdout : stderr, "%s: %s", plan_path, text ? text : "\n");
    free(text);
    return rc == ADMIN_EXIT_UNREACHABLE ? 0 : rc;
}

int run_cli_main(const char *socket, int count, char **words)
{
    int wait = has_flag(count, words, "--wait");
    char *plain[32];
    int n = strip_wait(count < 32 ? count : 32, words, plain);
    if (strcmp(plain[0], "run") == 0)
        return start_run(socket, n, plain, wait);
    char *text = NULL;
    int rc = call(socket, n, plain, &text);
    fputs(text ? text : "", rc == 0 ? stdout : stderr);
    free(text);
    if (rc != 0 || !wait)
        return rc;
    return follow(socket, n >= 2 && plain[1][0] != '-' ? plain[1] : NULL);
}
