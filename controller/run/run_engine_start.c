/* run_engine_start.c -- starting runs (plan read, agents and roles checked), and the
 * engine's creation from the journal and its end. */
#include "run_engine_internal.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_identity.h"
#include "file_util.h"
#include "log.h"
#include "run_store.h"

#define COMPONENT ENGINE_COMPONENT

static void new_run_id(char *id, size_t len)
{
    unsigned char random[2] = {0, 0};
    RAND_bytes(random, sizeof random);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[16]; /* YYYYmmdd-HHMMSS */
    if (strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0)
        stamp[0] = '\0';
    snprintf(id, len, "run-%.15s-%02x%02x", stamp, random[0], random[1]);
}

/* Every agent of the plan online, with each role the plan gives it in its certificate. */
static int check_agents(run_engine_t *e, const run_plan_t *plan, alfup_err_t *err)
{
    for (size_t i = 0; i < plan->agents.count; i++) {
        const char *agent = plan->agents.items[i];
        int roles = e->io.agent_roles(e->io.arg, agent);
        if (roles < 0)
            return alfup_err_set(err, "%s: agent %s is not online", plan->plan_path, agent);
        char wanted[128];
        snprintf(wanted, sizeof wanted, "%s", plan->agent_roles.items[i]);
        char *save = NULL;
        for (char *role = strtok_r(wanted, ",", &save); role; role = strtok_r(NULL, ",", &save))
            if (!(roles & (int)cert_role_from_name(role)))
                return alfup_err_set(err, "%s: agent %s's certificate lacks the role %s the plan gives it",
                                     plan->plan_path, agent, role);
    }
    return ALFUP_OK;
}

static int deployment_busy(const run_engine_t *e, const char *deployment, alfup_err_t *err)
{
    for (const run_t *run = e->runs; run; run = run->next)
        if (!run_state_is_final(run->state) && strcmp(run->plan->deployment, deployment) == 0)
            return alfup_err_set(err, "deployment %s already has run %s (%s)%s", deployment, run->id,
                                 run_state_name(run->state), run->paused ? ", paused: resume or cancel it" : "");
    return ALFUP_OK;
}

int run_engine_check_agents(run_engine_t *e, const char *plan_path, alfup_err_t *err)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    int read_rc = file_read_all(plan_path, RUN_PLAN_FILE_MAX, &text, &text_len, err);
    if (read_rc != ALFUP_OK)
        return read_rc == FILE_MISSING ? alfup_err_set(err, "plan %s: no such file", plan_path) : ALFUP_ERR;
    run_plan_t *plan = run_plan_build(plan_path, (const char *)text, text_len, e->workflows_dir, err);
    int rc = plan ? check_agents(e, plan, err) : ALFUP_ERR;
    run_plan_destroy(&plan);
    free(text);
    return rc;
}

int run_engine_start(run_engine_t *e, const char *plan_path, char *run_id, size_t len, alfup_err_t *err)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    int read_rc = file_read_all(plan_path, RUN_PLAN_FILE_MAX, &text, &text_len, err);
    if (read_rc == FILE_MISSING)
        return alfup_err_set(err, "plan %s: no such file", plan_path);
    if (read_rc != ALFUP_OK)
        return ALFUP_ERR;
    run_t *run = calloc(1, sizeof *run);
    if (run == NULL) {
        free(text);
        return alfup_err_set(err, "out of memory");
    }
    run->plan_text = (char *)text;
    run->plan = run_plan_build(plan_path, run->plan_text, text_len, e->workflows_dir, err);
    if (run->plan == NULL || deployment_busy(e, run->plan->deployment, err) != ALFUP_OK ||
        check_agents(e, run->plan, err) != ALFUP_OK)
        goto fail;
    run->steps = calloc(run->plan->step_count + 1, sizeof *run->steps);
    run->rollback_steps = calloc(run->plan->rollback_count + 1, sizeof *run->rollback_steps);
    if (!run->steps || !run->rollback_steps) {
        alfup_err_set(err, "out of memory");
        goto fail;
    }
    new_run_id(run->id, sizeof run->id);
    run->state = RUN_RUNNING;
    run->failed_index = -1;
    run->created_unix_ms = alfup_now_unix_ms();
    if (run_store_save_run(e->journal, run, err) != ALFUP_OK)
        goto fail;
    for (size_t i = 0; i < run->plan->step_count; i++)
        engine_save_step(e, run, 0, i);
    run->next = e->runs;
    e->runs = run;
    snprintf(run_id, len, "%s", run->id);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s started: deployment %s, plan %s, %zu steps", run->id,
              run->plan->deployment, plan_path, run->plan->step_count);
    engine_advance(e, run);
    return ALFUP_OK;
fail:
    run_free(run);
    return ALFUP_ERR;
}

run_engine_t *run_engine_new(journal_t *journal, const char *workflows_dir, const run_engine_io_t *io,
                             alfup_err_t *err)
{
    run_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL || (e->workflows_dir = strdup(workflows_dir)) == NULL) {
        free(e);
        return alfup_err_set(err, "out of memory"), NULL;
    }
    e->journal = journal;
    e->io = *io;
    if (run_store_init(journal, err) != ALFUP_OK || run_store_load(journal, workflows_dir, &e->runs, err) != ALFUP_OK) {
        run_engine_destroy(&e);
        return NULL;
    }
    for (run_t *run = e->runs; run; run = run->next) {
        if (run_state_is_final(run->state) || run->paused)
            continue;
        run->paused = 1; /* shown as it was; continues on `resume` */
        engine_save_run(e, run);
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s was %s when the controller stopped; paused until "
                  "'alfup-controller resume %s'", run->id, run_state_name(run->state), run->id);
    }
    return e;
}

void run_engine_destroy(run_engine_t **engine_p)
{
    if (engine_p == NULL || *engine_p == NULL)
        return;
    run_engine_t *e = *engine_p;
    while (e->runs) {
        run_t *next = e->runs->next;
        run_free(e->runs);
        e->runs = next;
    }
    free(e->workflows_dir);
    free(e);
    *engine_p = NULL;
}
