/* test_examples.c -- the shipped examples (deploy/examples) work together: every step the example
 * plans' workflow sends to an example agent finds there the role, services, tools, database,
 * backup_dir and paths it needs, and the agents and the controller agree on the channel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_config.h"
#include "controller_config.h"
#include "file_util.h"
#include "path_within.h"
#include "run_plan.h"

#define EXAMPLE_PATH_MAX 1024
#define PROBLEMS_MAX 8192
#define EXAMPLE_FILE_MAX (1024u * 1024u)

static const char *const AGENT_FILES[] = {"agent-repo.yaml", "agent-db.yaml", "agent-solr.yaml"};
#define AGENT_COUNT (sizeof AGENT_FILES / sizeof AGENT_FILES[0])

typedef struct examples {
    char dir[EXAMPLE_PATH_MAX];
    char workflows[EXAMPLE_PATH_MAX];
    agent_config_t *agents[AGENT_COUNT];
    controller_config_t *controller;
    char problems[PROBLEMS_MAX];
} examples_t;

static void problem(examples_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(examples_t *x, const char *fmt, ...)
{
    size_t used = strlen(x->problems);
    va_list ap;
    va_start(ap, fmt);
    if (used + 2 < sizeof x->problems)
        vsnprintf(x->problems + used, sizeof x->problems - used - 1, fmt, ap);
    va_end(ap);
    used = strlen(x->problems);
    if (used + 1 < sizeof x->problems)
        snprintf(x->problems + used, sizeof x->problems - used, "\n");
}

static int setup(void **state)
{
    const char *src = getenv("ALFUP_SOURCE_DIR");
    if (src == NULL)
        return -1;
    examples_t *x = calloc(1, sizeof *x);
    snprintf(x->dir, sizeof x->dir, "%.900s/deploy/examples", src);
    snprintf(x->workflows, sizeof x->workflows, "%.900s/deploy/workflows", src);
    alfup_err_t err;
    char path[EXAMPLE_PATH_MAX + 64];
    for (size_t i = 0; i < AGENT_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s", x->dir, AGENT_FILES[i]);
        if ((x->agents[i] = agent_config_load(path, &err)) == NULL)
            fail_msg("%s", err.msg);
    }
    snprintf(path, sizeof path, "%s/controller.yaml", x->dir);
    if ((x->controller = controller_config_load(path, &err)) == NULL)
        fail_msg("%s", err.msg);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    examples_t *x = *state;
    for (size_t i = 0; i < AGENT_COUNT; i++)
        agent_config_destroy(&x->agents[i]);
    controller_config_destroy(&x->controller);
    free(x);
    return 0;
}

static const agent_config_t *agent_named(const examples_t *x, const char *name)
{
    for (size_t i = 0; i < AGENT_COUNT; i++)
        if (strcmp(x->agents[i]->name, name) == 0)
            return x->agents[i];
    return NULL;
}

static run_plan_t *load_plan(const examples_t *x, const char *file)
{
    char path[EXAMPLE_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", x->dir, file);
    uint8_t *text = NULL;
    size_t len = 0;
    alfup_err_t err;
    if (file_read_all(path, EXAMPLE_FILE_MAX, &text, &len, &err) != 0)
        fail_msg("%s", err.msg);
    run_plan_t *plan = run_plan_build(path, (const char *)text, len, x->workflows, &err);
    free(text);
    if (plan == NULL)
        fail_msg("%s", err.msg);
    return plan;
}

/* A parameter value the agent resolves as a path inside its allowed_roots. */
static int is_agent_path(const char *value)
{
    return value[0] == '/' && strstr(value, "${") == NULL;
}

static int within_roots(const agent_config_t *agent, const char *path)
{
    for (size_t i = 0; i < agent->allowed_roots.count; i++)
        if (path_is_within(path, agent->allowed_roots.items[i]))
            return 1;
    return 0;
}

/* What step p needs from its agent, each missing thing recorded as a problem. */
static void check_step(examples_t *x, const planned_step_t *p, const agent_config_t *agent)
{
    if (strcmp(p->role, "db") == 0 && agent->postgres.conninfo == NULL)
        problem(x, "%s: step %s has the db role, %s has no postgres config", agent->path, p->id, agent->name);
    for (size_t i = 0; i < p->params.count; i++) {
        const char *key = p->params.items[i].key, *value = p->params.items[i].value;
        if (strcmp(key, "service") == 0 && agent_config_service(agent, value) == NULL)
            problem(x, "%s: step %s needs service %s", agent->path, p->id, value);
        else if (strcmp(key, "tool") == 0 && agent_config_tool(agent, value) == NULL)
            problem(x, "%s: step %s needs tool %s", agent->path, p->id, value);
        else if (strcmp(key, "backup_dir") == 0 && strcmp(value, agent->backup_dir) != 0)
            problem(x, "%s: backup_dir %s, the plan's is %s (step %s)", agent->path, agent->backup_dir, value, p->id);
        else if (is_agent_path(value) && !within_roots(agent, value))
            problem(x, "%s: step %s param %s=%s is outside allowed_roots", agent->path, p->id, key, value);
    }
}

/* plan-prod-ecm.yaml and plan-prestaged.yaml describe the deployment of the example agents: every
 * step, main and rollback, of either workflow finds what it needs on its agent. */
static void check_plan_fits(examples_t *x, const char *name)
{
    run_plan_t *plan = load_plan(x, name);
    for (int rollback = 0; rollback <= 1; rollback++) {
        size_t count = rollback ? plan->rollback_count : plan->step_count;
        for (size_t i = 0; i < count; i++) {
            const planned_step_t *p = rollback ? &plan->rollback[i] : &plan->steps[i];
            const agent_config_t *agent = agent_named(x, p->agent);
            if (agent == NULL)
                problem(x, "%s: agent %s has no example config", name, p->agent);
            else
                check_step(x, p, agent);
        }
    }
    run_plan_destroy(&plan);
}

static void test_prod_plans_fit_the_example_agents(void **state)
{
    examples_t *x = *state;
    check_plan_fits(x, "plan-prod-ecm.yaml");
    check_plan_fits(x, "plan-prestaged.yaml");
    if (x->problems[0])
        fail_msg("the examples do not work together:\n%s", x->problems);
}

/* Every example plan's backup_dir is every example agent's; agents and controller agree on the
 * controller's port and the CA. */
static void test_backup_dir_and_channel_agree(void **state)
{
    examples_t *x = *state;
    static const char *const PLANS[] = {"plan-prod-ecm.yaml", "plan-prestaged.yaml", "plan-cluster.yaml"};
    for (size_t i = 0; i < sizeof PLANS / sizeof PLANS[0]; i++) {
        run_plan_t *plan = load_plan(x, PLANS[i]);
        const char *wanted = NULL;
        for (size_t s = 0; s < plan->step_count && wanted == NULL; s++)
            wanted = kv_list_get(&plan->steps[s].params, "backup_dir");
        if (wanted == NULL)
            problem(x, "%s: no step is given the plan's backup_dir", PLANS[i]);
        for (size_t a = 0; wanted && a < AGENT_COUNT; a++)
            if (strcmp(wanted, x->agents[a]->backup_dir) != 0)
                problem(x, "%s: backup_dir %s, %s's is %s", PLANS[i], wanted, x->agents[a]->name,
                        x->agents[a]->backup_dir);
        run_plan_destroy(&plan);
    }
    const char *port = strrchr(x->controller->listen, ':');
    for (size_t a = 0; a < AGENT_COUNT; a++) {
        const char *agent_port = strrchr(x->agents[a]->controller, ':');
        if (!port || !agent_port || strcmp(port, agent_port) != 0)
            problem(x, "%s: controller %s, the controller listens on %s", x->agents[a]->path, x->agents[a]->controller,
                    x->controller->listen);
        if (strcmp(x->agents[a]->tls.ca, x->controller->tls.ca) != 0)
            problem(x, "%s: CA %s, the controller's is %s", x->agents[a]->path, x->agents[a]->tls.ca,
                    x->controller->tls.ca);
    }
    if (x->problems[0])
        fail_msg("the examples do not work together:\n%s", x->problems);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prod_plans_fit_the_example_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_dir_and_channel_agree, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
