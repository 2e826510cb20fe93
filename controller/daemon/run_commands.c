/* run_commands.c -- run commands arriving on the admin socket, answered as text. */
#include "run_commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_args.h"
#include "run_status.h"

typedef struct reply {
    char *text;
    size_t len;
    FILE *out;
} reply_t;

static int reply_open(reply_t *r)
{
    r->text = NULL;
    r->len = 0;
    r->out = open_memstream(&r->text, &r->len);
    return r->out ? 0 : -1;
}

static void reply_send(reply_t *r, admin_server_t *admin, uint64_t client_id, int exit_code)
{
    fclose(r->out);
    admin_server_reply(admin, client_id, exit_code, r->text ? r->text : "");
    free(r->text);
}

/* "watch RUN": a compact summary the command line follows while it waits. */
static void watch(const run_t *run, FILE *out)
{
    fprintf(out, "state %s paused %d gate %s\n", run_state_name(run->state), run->paused,
            run->waiting_gate ? run->waiting_gate : "-");
    run_status_print(run, 0, out);
}

static int run_command(run_engine_t *e, const char *command, int argc, char **argv, FILE *out)
{
    alfup_err_t err;
    const char *target = admin_arg_operand(argc, argv, 1, 0);
    if (strcmp(command, "run") == 0) {
        char run_id[RUN_ID_MAX];
        if (target == NULL || target[0] != '/')
            return fprintf(out, "run needs the plan's absolute path\n"), 2;
        if (run_engine_start(e, target, run_id, sizeof run_id, &err) != ALFUP_OK)
            return fprintf(out, "%s\n", err.msg), 1;
        return fprintf(out, "%s\n", run_id), 0;
    }
    if (strcmp(command, "check-agents") == 0) {
        if (target == NULL || target[0] != '/')
            return fprintf(out, "check-agents needs the plan's absolute path\n"), 2;
        if (run_engine_check_agents(e, target, &err) != ALFUP_OK)
            return fprintf(out, "%s\n", err.msg), 1;
        return fprintf(out, "every agent of the plan is online with its roles\n"), 0;
    }
    if (strcmp(command, "runs") == 0) {
        run_status_list(run_engine_find(e, NULL), admin_arg_has_flag(argc, argv, "--json"), out);
        return 0;
    }
    if (strcmp(command, "status") == 0 || strcmp(command, "watch") == 0) {
        const run_t *run = run_engine_find(e, target);
        if (run == NULL)
            return fprintf(out, target ? "no run %s\n" : "no run yet\n", target), 1;
        if (strcmp(command, "watch") == 0)
            watch(run, out);
        else
            run_status_print(run, admin_arg_has_flag(argc, argv, "--json"), out);
        return 0;
    }
    if (target == NULL)
        return fprintf(out, "%s needs a run id\n", command), 2;
    int rc;
    char note[512] = "";
    if (strcmp(command, "approve") == 0)
        rc = run_engine_approve(e, target, admin_arg_operand(argc, argv, 1, 1), &err);
    else if (strcmp(command, "resume") == 0)
        rc = run_engine_resume(e, target, note, sizeof note, &err);
    else if (strcmp(command, "rollback") == 0)
        rc = run_engine_rollback(e, target, &err);
    else
        rc = run_engine_cancel(e, target, &err);
    if (rc != ALFUP_OK)
        return fprintf(out, "%s\n", err.msg), 1;
    fprintf(out, "%s: %s%s%s\n", target, command, note[0] ? ": " : "", note);
    return 0;
}

static const char *const COMMANDS[] = {"run", "runs", "status", "watch", "approve", "check-agents",
                                       "resume", "rollback", "cancel", NULL};
static const char *const ACTIONS[] = {"run", "approve", "resume", "rollback", "cancel", NULL};

static int in_list(const char *word, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(word, list[i]) == 0)
            return 1;
    return 0;
}

int run_commands_is_action(const char *command)
{
    return in_list(command, ACTIONS);
}

int run_commands_answer(run_engine_t *engine, int argc, char **argv, FILE *out)
{
    if (argc < 1 || !in_list(argv[0], COMMANDS))
        return -1;
    return run_command(engine, argv[0], argc, argv, out);
}

int run_commands_handle(run_engine_t *engine, admin_server_t *admin, uint64_t client_id, int argc, char **argv,
                        run_commands_audit_fn audit, void *audit_arg)
{
    if (argc < 1 || !in_list(argv[0], COMMANDS))
        return 0;
    reply_t reply;
    if (reply_open(&reply) != 0) {
        admin_server_reply(admin, client_id, 1, "out of memory\n");
        return 1;
    }
    int exit_code = run_commands_answer(engine, argc, argv, reply.out);
    fflush(reply.out);
    if (audit && run_commands_is_action(argv[0]))
        audit(audit_arg, client_id, argc, argv, exit_code, reply.text ? reply.text : "");
    reply_send(&reply, admin, client_id, exit_code);
    return 1;
}
