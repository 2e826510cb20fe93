/* plan_cli.c -- the `plan check` and `plan show` commands: read a plan, expand it, report. */
#include "plan_cli.h"

#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "downtime_status.h"
#include "file_util.h"
#include "json_writer.h"
#include "plan_diag.h"
#include "yaml_doc.h"

#define EXIT_PLAN_BAD 1
#define EXIT_PLAN_USAGE 2

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *plan_cli_workflows_dir(const char *option, char *buf, size_t len)
{
    const char *env = getenv(PLAN_CLI_ENV_WORKFLOWS);
    const char *choice = option ? option : (env && env[0] ? env : NULL);
    if (choice != NULL) {
        snprintf(buf, len, "%s", choice);
        return buf;
    }
    if (is_dir(ALFUP_DEFAULT_WORKFLOWS_DIR)) { /* the build's own deploy/workflows */
        snprintf(buf, len, "%s", ALFUP_DEFAULT_WORKFLOWS_DIR);
        return buf;
    }
    snprintf(buf, len, "%s", PLAN_CLI_SYSTEM_WORKFLOWS);
    return buf;
}

/* How many distinct agents have at least one step. */
static size_t agents_used(const run_plan_t *plan)
{
    size_t used = 0;
    for (size_t a = 0; a < plan->agents.count; a++) {
        bool found = false;
        for (size_t i = 0; i < plan->step_count && !found; i++)
            found = strcmp(plan->steps[i].agent, plan->agents.items[a]) == 0;
        used += found;
    }
    return used;
}

static void show_step_text(const planned_step_t *s, size_t index, FILE *out)
{
    fprintf(out, "    %2zu. %-34s procedure %-9s host %s (%s)  %s  timeout %us\n", index + 1, s->id, s->procedure,
            s->agent, s->role, s->kind, s->timeout_s);
    fprintf(out, "        %s\n", s->title);
    for (size_t k = 0; k < s->params.count; k++)
        fprintf(out, "        %s=%s\n", s->params.items[k].key, s->params.items[k].value);
}

static void show_list_text(const planned_step_t *steps, size_t count, FILE *out, bool rollback)
{
    const char *phase = NULL, *gate = NULL;
    unsigned stage = 0;
    for (size_t i = 0; i < count; i++) {
        const planned_step_t *s = &steps[i];
        if (!rollback && (phase == NULL || strcmp(phase, s->phase) != 0)) {
            phase = s->phase;
            fprintf(out, "\nphase %s: %s\n", s->phase, s->phase_title);
        }
        if (s->gate != NULL && (gate == NULL || strcmp(gate, s->gate) != 0)) {
            gate = s->gate;
            fprintf(out, "  GATE %s: waits for `alfup-controller approve RUN %s`\n", gate, gate);
        }
        if (s->stage != stage) {
            stage = s->stage;
            fprintf(out, "  stage %u%s\n", stage, rollback ? " (rollback)" : "");
        }
        show_step_text(s, i, out);
    }
}

/* The downtime estimate before any run: the same computation on a run that has measured nothing, so
 * every part the run will measure shows as unknown and the stop as its timeout (docs/runs.md). 0, or -1
 * when the workflow stops nothing (or out of memory). */
static int rough_estimate(const run_plan_t *plan, downtime_estimate_t *est)
{
    if (plan->rollback_from >= plan->step_count)
        return -1;
    run_t run = {.plan = (run_plan_t *)plan, .failed_index = -1};
    run.steps = calloc(plan->step_count + 1, sizeof *run.steps);
    if (run.steps == NULL)
        return -1;
    downtime_estimate_for_run(&run, est);
    free(run.steps);
    return 0;
}

static void show_rough_estimate_text(const run_plan_t *plan, FILE *out)
{
    downtime_estimate_t est;
    if (rough_estimate(plan, &est) != 0)
        return;
    fputc('\n', out);
    downtime_estimate_print(&est, "downtime estimate (rough, before any run)", "", out);
    fprintf(out, "  the plan gives no sizes or rates: the run measures them while production serves, and `status` "
                 "shows the estimate once they are (docs/runs.md, \"The downtime estimate\")\n");
}

void plan_cli_show_text(const run_plan_t *plan, FILE *out)
{
    fprintf(out, "plan %s: deployment %s, workflow %s (%s)\n", plan->plan_path, plan->deployment, plan->workflow,
            plan->workflow_path);
    fprintf(out, "agents:");
    for (size_t i = 0; i < plan->agents.count; i++)
        fprintf(out, "%s %s [%s]", i ? "," : "", plan->agents.items[i], plan->agent_roles.items[i]);
    fprintf(out,
            "\n%zu steps; {run.id} is replaced by the run's id and ${STEP.OUTPUT} by an output of that "
            "earlier step on the same host\n",
            plan->step_count);
    show_list_text(plan->steps, plan->step_count, out, false);
    if (plan->rollback_from < plan->step_count)
        fprintf(out, "\nrollback: runs automatically when step %zu (%s) or a later one fails%s:\n",
                plan->rollback_from + 1, plan->steps[plan->rollback_from].id,
                plan->rollback_until < plan->step_count ? " (until the decommission starts)" : "");
    else
        fprintf(out, "\nrollback (no step arms it):\n");
    show_list_text(plan->rollback, plan->rollback_count, out, true);
    show_rough_estimate_text(plan, out);
}

static void json_key(FILE *out, const char *key)
{
    json_write_string(out, key);
    fputc(':', out);
}

static void json_params(const kv_list_t *params, FILE *out)
{
    fputc('{', out);
    bool first = true;
    for (size_t i = 0; i < params->count; i++) {
        const char *key = params->items[i].key;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(params->items[k].key, key) == 0;
        if (seen)
            continue;
        fputs(first ? "" : ",", out);
        first = false;
        json_key(out, key);
        size_t n = kv_list_count_key(params, key);
        if (n > 1)
            fputc('[', out);
        for (size_t k = 0; k < n; k++) {
            fputs(k ? "," : "", out);
            json_write_string(out, kv_list_get_nth(params, key, k));
        }
        if (n > 1)
            fputc(']', out);
    }
    fputc('}', out);
}

static void json_steps(const planned_step_t *steps, size_t count, FILE *out)
{
    fputc('[', out);
    for (size_t i = 0; i < count; i++) {
        const planned_step_t *s = &steps[i];
        fprintf(out, "%s{\"index\":%zu,\"stage\":%u,", i ? "," : "", i, s->stage);
        const char *fields[][2] = {{"id", s->id},
                                   {"phase", s->phase},
                                   {"phase_title", s->phase_title},
                                   {"workflow_step", s->workflow_step},
                                   {"title", s->title},
                                   {"procedure", s->procedure},
                                   {"host", s->agent},
                                   {"role", s->role},
                                   {"kind", s->kind}};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            json_key(out, fields[k][0]);
            json_write_string(out, fields[k][1]);
            fputc(',', out);
        }
        json_key(out, "gate");
        if (s->gate)
            json_write_string(out, s->gate);
        else
            fputs("null", out);
        fprintf(out, ",\"timeout_s\":%u,\"params\":", s->timeout_s);
        json_params(&s->params, out);
        fputc('}', out);
    }
    fputc(']', out);
}

void plan_cli_show_json(const run_plan_t *plan, FILE *out)
{
    fputc('{', out);
    const char *fields[][2] = {{"plan", plan->plan_path},
                               {"deployment", plan->deployment},
                               {"workflow", plan->workflow},
                               {"workflow_file", plan->workflow_path}};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        json_key(out, fields[k][0]);
        json_write_string(out, fields[k][1]);
        fputc(',', out);
    }
    fputs("\"agents\":[", out);
    for (size_t i = 0; i < plan->agents.count; i++) {
        fprintf(out, "%s{\"name\":", i ? "," : "");
        json_write_string(out, plan->agents.items[i]);
        json_write_field(out, "roles", plan->agent_roles.items[i]);
        fputc('}', out);
    }
    fputs("],\"gates\":[", out);
    str_list_t gates = {0};
    for (size_t i = 0; i < plan->step_count; i++)
        if (plan->steps[i].gate && !str_list_contains(&gates, plan->steps[i].gate) &&
            str_list_add(&gates, plan->steps[i].gate) == 0) {
            fputs(gates.count > 1 ? "," : "", out);
            json_write_string(out, plan->steps[i].gate);
        }
    str_list_clear(&gates);
    fprintf(out, "],\"rollback_from\":%zu,\"rollback_until\":%zu,\"steps\":", plan->rollback_from,
            plan->rollback_until);
    json_steps(plan->steps, plan->step_count, out);
    fputs(",\"rollback\":", out);
    json_steps(plan->rollback, plan->rollback_count, out);
    downtime_estimate_t est;
    fputs(",\"downtime_estimate\":", out); /* rough: before any run (known false until a run measures it) */
    if (rough_estimate(plan, &est) == 0)
        downtime_estimate_json(&est, out);
    else
        fputs("null", out);
    fputs("}\n", out);
}

static int usage(FILE *err)
{
    fprintf(err, "usage: alfup-controller plan check PLAN [--workflows DIR]\n"
                 "       alfup-controller plan show PLAN [--json] [--workflows DIR]\n");
    return EXIT_PLAN_USAGE;
}

/* Reads and expands the plan; errors (all of them) go to err. */
static run_plan_t *load(const char *path, const char *workflows, FILE *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    alfup_err_t e;
    int rc = file_read_all(path, YAML_DOC_MAX_BYTES, &text, &len, &e);
    if (rc != ALFUP_OK) {
        if (rc == FILE_MISSING)
            fprintf(err, "%s: no such file\n", path);
        else
            fprintf(err, "%s\n", e.msg);
        return NULL;
    }
    plan_diag_t diag = {0};
    run_plan_t *plan = run_plan_build_diag(path, (const char *)text, len, workflows, &diag);
    free(text);
    for (size_t i = 0; plan == NULL && i < diag.errors.count; i++)
        fprintf(err, "%s\n", diag.errors.items[i]);
    if (plan == NULL && diag.dropped > 0)
        fprintf(err, "%s: ... and %zu more errors\n", path, diag.dropped);
    plan_diag_clear(&diag);
    return plan;
}

int plan_cli_main(int count, char **words, FILE *out, FILE *err)
{
    if (count < 3 || (strcmp(words[1], "check") != 0 && strcmp(words[1], "show") != 0))
        return usage(err);
    bool show = strcmp(words[1], "show") == 0, json = false;
    const char *path = NULL, *option = NULL;
    for (int i = 2; i < count; i++) {
        if (strcmp(words[i], "--json") == 0 && show)
            json = true;
        else if (strcmp(words[i], "--workflows") == 0 && i + 1 < count)
            option = words[++i];
        else if (words[i][0] != '-' && path == NULL)
            path = words[i];
        else
            return usage(err);
    }
    if (path == NULL)
        return usage(err);
    char dir[PATH_MAX];
    run_plan_t *plan = load(path, plan_cli_workflows_dir(option, dir, sizeof dir), err);
    if (plan == NULL)
        return EXIT_PLAN_BAD;
    if (!show)
        fprintf(out, "%s: ok (%zu steps on %zu agents)\n", path, plan->step_count, agents_used(plan));
    else if (json)
        plan_cli_show_json(plan, out);
    else
        plan_cli_show_text(plan, out);
    run_plan_destroy(&plan);
    return 0;
}
