/* fleet_commands.c -- the fleet runner's operations on the run engine, and the fleet commands of the admin socket. */
#include "fleet_commands.h"

#include <string.h>
#include <time.h>

#include "admin_args.h"
#include "downtime_estimate.h"
#include "fleet_decide.h"

#define MS_PER_S 1000

static int op_start(void *arg, const char *plan_path, char *run_id, size_t len, alfup_err_t *err)
{
    return run_engine_start(arg, plan_path, run_id, len, err);
}

static int op_find(void *arg, const char *plan_path, int64_t since_ms, char *run_id, size_t len)
{
    for (const run_t *run = run_engine_find(arg, NULL); run; run = run->next)
        if (run->plan->plan_path && strcmp(run->plan->plan_path, plan_path) == 0 &&
            (int64_t)run->created_unix_ms >= since_ms)
            return snprintf(run_id, len, "%s", run->id), 1;
    return 0;
}

static void op_view(void *arg, const char *run_id, fleet_run_view_t *view)
{
    const run_t *run = run_engine_find(arg, run_id);
    *view = (fleet_run_view_t){.found = run != NULL};
    if (run == NULL)
        return;
    view->state = run->state;
    view->paused = run->paused != 0;
    snprintf(view->waiting_gate, sizeof view->waiting_gate, "%s", run->waiting_gate ? run->waiting_gate : "");
    view->cutover_approved = str_list_contains(&run->approvals, FLEET_CUTOVER_GATE);
    snprintf(view->error, sizeof view->error, "%s", run->error ? run->error : "");
}

static int op_approve(void *arg, const char *run_id, const char *gate, alfup_err_t *err)
{
    return run_engine_approve(arg, run_id, gate, err);
}

static int op_resume(void *arg, const char *run_id, alfup_err_t *err)
{
    char note[256];
    return run_engine_resume(arg, run_id, note, sizeof note, err);
}

static int op_cancel(void *arg, const char *run_id, alfup_err_t *err)
{
    return run_engine_cancel(arg, run_id, err);
}

/* downtime_estimate_at() (issue 12) as of the runner's clock now_s: what production wrote while the run waited
 * at its gate is in it. Rounded up to whole seconds; unknown while an input is not measured (then, by the fit
 * rule, no cutover starts). */
static int64_t op_estimate(void *arg, const char *run_id, int64_t now_s, char *basis, size_t len)
{
    const run_t *run = run_engine_find(arg, run_id);
    if (run == NULL)
        return snprintf(basis, len, "no run %s", run_id), FLEET_ESTIMATE_UNKNOWN;
    downtime_estimate_t est;
    if (downtime_estimate_at(run, now_s * MS_PER_S, &est) != 0 || !est.known)
        return snprintf(basis, len, "%s", est.basis), FLEET_ESTIMATE_UNKNOWN;
    snprintf(basis, len, "%s", est.basis);
    return (est.total_ms + MS_PER_S - 1) / MS_PER_S;
}

static int64_t op_now(void *arg)
{
    (void)arg;
    return (int64_t)time(NULL);
}

fleet_runner_ops_t fleet_commands_ops(run_engine_t *engine)
{
    return (fleet_runner_ops_t){.start_run = op_start,
                                .find_run = op_find,
                                .view_run = op_view,
                                .approve = op_approve,
                                .resume = op_resume,
                                .cancel = op_cancel,
                                .estimate_s = op_estimate,
                                .now = op_now,
                                .arg = engine};
}

static int fleet_command(fleet_runner_t *runner, const char *command, int argc, char **argv, FILE *out)
{
    alfup_err_t err;
    const char *target = admin_arg_operand(argc, argv, 2, 0);
    if (strcmp(command, "status") == 0)
        return fleet_runner_status(runner, target, admin_arg_has_flag(argc, argv, "--json"), out);
    if (strcmp(command, "start") == 0) {
        char name[128];
        if (target == NULL || target[0] != '/')
            return fprintf(out, "fleet start needs the fleet file's absolute path\n"), 2;
        if (fleet_runner_start(runner, target, admin_arg_has_flag(argc, argv, "--approve-cutovers"), name, sizeof name, &err))
            return fprintf(out, "%s\n", err.msg), 1;
        return fprintf(out, "%s\n", name), 0;
    }
    if (target == NULL)
        return fprintf(out, "fleet %s needs the fleet's name\n", command), 2;
    int rc = strcmp(command, "pause") == 0    ? fleet_runner_pause(runner, target, &err)
             : strcmp(command, "resume") == 0 ? fleet_runner_resume(runner, target, &err)
                                              : fleet_runner_cancel(runner, target, &err);
    if (rc != ALFUP_OK)
        return fprintf(out, "%s\n", err.msg), 1;
    return fprintf(out, "fleet %s: %s\n", target, command), 0;
}

static const char *const FLEET_COMMANDS[] = {"start", "status", "pause", "resume", "cancel", NULL};

static int is_fleet_command(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && FLEET_COMMANDS[i]; i++)
        if (strcmp(argv[1], FLEET_COMMANDS[i]) == 0)
            return 1;
    return 0;
}

int fleet_commands_is_action(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "drain") == 0 || strcmp(argv[0], "undrain") == 0))
        return 1;
    return argc >= 2 && strcmp(argv[0], "fleet") == 0 && is_fleet_command(argc, argv) && strcmp(argv[1], "status");
}

int fleet_commands_answer(fleet_runner_t *runner, int argc, char **argv, FILE *out)
{
    alfup_err_t err;
    if (argc >= 1 && (strcmp(argv[0], "drain") == 0 || strcmp(argv[0], "undrain") == 0)) {
        int drain = strcmp(argv[0], "drain") == 0;
        if (fleet_runner_set_drained(runner, drain, &err) != ALFUP_OK)
            return fprintf(out, "%s\n", err.msg), 1;
        fprintf(out, drain ? "controller drained: no new run, prepare or cutover starts; running work finishes\n"
                           : "controller undrained: fleets and runs may start again\n");
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "fleet") != 0 || !is_fleet_command(argc, argv))
        return -1;
    return fleet_command(runner, argv[1], argc, argv, out);
}
