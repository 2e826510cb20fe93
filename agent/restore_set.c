/* restore_set.c -- `alfup-agent --restore-set`: a backup set's base + delta rebuilt into an empty folder with
 * the restore-tree step, on this host, under the agent's own config (docs/runs.md, "Restoring a backup set"). */
#include "restore_set.h"

#include <stdint.h>
#include <time.h>

#include "kv_list.h"
#include "message.h"
#include "step.h"

#define RESTORE_SET_STEP_ID "restore-set"
#define PROGRESS_EVERY_S 5

typedef struct progress_print {
    time_t last;
} progress_print_t;

static void print_progress(void *arg, const step_progress_t *progress)
{
    progress_print_t *print = arg;
    time_t now = time(NULL);
    if (now - print->last < PROGRESS_EVERY_S)
        return;
    print->last = now;
    fprintf(stderr, "restore-set: %llu of %llu files, %llu of %llu bytes%s%s\n",
            (unsigned long long)progress->files_done, (unsigned long long)progress->files_total,
            (unsigned long long)progress->bytes_done, (unsigned long long)progress->bytes_total,
            progress->message ? ": " : "", progress->message ? progress->message : "");
}

static int build_params(const restore_set_request_t *request, kv_list_t *params)
{
    if (kv_list_add(params, "archive", request->base) != 0 || kv_list_add(params, "target", request->into) != 0)
        return -1;
    return request->delta != NULL ? kv_list_add(params, "delta", request->delta) : 0;
}

int restore_set_run(const agent_config_t *config, const restore_set_request_t *request, atomic_int *cancel, FILE *out)
{
    const step_kind_t *kind = step_kind_find("restore-tree");
    kv_list_t params = {0};
    msg_step_result_t result = {0};
    atomic_int never = 0;
    progress_print_t print = {.last = time(NULL)};
    step_context_t ctx = {.config = config,
                          .step_id = RESTORE_SET_STEP_ID,
                          .params = &params,
                          .approval = "",
                          .result = &result,
                          .progress = print_progress,
                          .progress_arg = &print,
                          .cancel = cancel != NULL ? cancel : &never};
    int rc = 1;
    if (kind == NULL || build_params(request, &params) != 0) {
        fprintf(stderr, "alfup-agent: restore-set: %s\n", kind == NULL ? "no restore-tree step" : "out of memory");
        goto out;
    }
    step_status_t status = kind->run(&ctx);
    for (size_t i = 0; i < result.log_lines.count; i++)
        fprintf(out, "log: %s\n", result.log_lines.items[i]);
    if (status != STEP_SUCCEEDED) {
        fprintf(stderr, "alfup-agent: restore-set %s: %s\n", step_status_name(status),
                result.error != NULL ? result.error : "(no reason given)");
        goto out;
    }
    for (size_t i = 0; i < result.outputs.count; i++)
        fprintf(out, "%s=%s\n", result.outputs.items[i].key, result.outputs.items[i].value);
    rc = 0;
out:
    kv_list_clear(&params);
    msg_step_result_clear(&result);
    return rc;
}
