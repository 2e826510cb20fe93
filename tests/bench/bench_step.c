/* bench_step.c -- runs one agent step function directly and prints its outputs, for the benchmark drivers. */
#include "bench_step.h"

#include <stdio.h>

#include "step.h"

int bench_step_run(const agent_config_t *config, const char *kind, const kv_list_t *params)
{
    msg_step_result_t result = {0};
    step_context_t ctx = {.config = config, .step_id = "bench", .params = params, .approval = "", .result = &result};
    const step_kind_t *step = step_kind_find(kind);
    step_status_t status = step ? step->run(&ctx) : STEP_REFUSED;
    for (size_t i = 0; i < result.outputs.count; i++)
        printf("%s=%s\n", result.outputs.items[i].key, result.outputs.items[i].value);
    for (size_t i = 0; i < result.log_lines.count; i++)
        fprintf(stderr, "log: %s\n", result.log_lines.items[i]);
    if (status != STEP_SUCCEEDED)
        fprintf(stderr, "%s %s: %s\n", kind, step_status_name(status), result.error ? result.error : "");
    msg_step_result_clear(&result);
    return status == STEP_SUCCEEDED ? 0 : 1;
}

int bench_step_finish(const char *prog, agent_config_t **config, const char *kind, kv_list_t *params)
{
    int rc = 2;
    if (kind != NULL && *config != NULL)
        rc = bench_step_run(*config, kind, params);
    else
        fprintf(stderr, "%s: bad arguments\n", prog);
    kv_list_clear(params);
    agent_config_destroy(config);
    return rc;
}
