/* step_rehearsal_start.c -- "rehearsal-start": write the isolation overrides, start, read what the log measured. */
#include "step_rehearsal_start.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_util.h"
#include "log_follow.h"
#include "properties.h"
#include "service_state.h"
#include "step_service_start.h"

#define SET_PREFIX "set."
#define PATCH_LINE "Applying patch '"
#define SCHEMA_LINE "Updating the DB schema took "
#define OVERRIDES_MODE 0640

typedef struct rehearsal_log {
    unsigned long long schema_update_ms;
    unsigned patches;
} rehearsal_log_t;

static int key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > REHEARSAL_KEY_MAX)
        return 0;
    return strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The overrides as .properties text (caller frees); NULL with a REFUSED or FAILED error set. */
static char *overrides_text(step_context_t *ctx, size_t *len, unsigned *count)
{
    size_t cap = 256, used = 0;
    char *text = malloc(cap);
    if (text == NULL)
        goto oom;
    used = (size_t)snprintf(text, cap, "# rehearsal overrides written by alfup (step %s)\n", ctx->step_id);
    *count = 0;
    for (size_t i = 0; i < ctx->params->count; i++) {
        const kv_pair_t *p = &ctx->params->items[i];
        if (strncmp(p->key, SET_PREFIX, strlen(SET_PREFIX)) != 0)
            continue;
        const char *key = p->key + strlen(SET_PREFIX);
        if (!key_ok(key)) {
            step_fail(ctx, STEP_REFUSED, "%s: property override '%s' is not a property name", ctx->step_id, key);
            free(text);
            return NULL;
        }
        char *line = props_encode_line(key, p->value);
        if (line == NULL) {
            step_fail(ctx, STEP_REFUSED, "%s: the value of %s is not UTF-8", ctx->step_id, key);
            free(text);
            return NULL;
        }
        size_t need = used + strlen(line) + 2;
        if (need > cap) {
            char *bigger = realloc(text, need * 2);
            if (bigger == NULL) {
                free(line);
                goto oom;
            }
            text = bigger;
            cap = need * 2;
        }
        used += (size_t)snprintf(text + used, cap - used, "%s\n", line);
        free(line);
        (*count)++;
    }
    *len = used;
    return text;
oom:
    free(text);
    step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return NULL;
}

/* The isolation a rehearsal never starts without; REFUSED when a required override is missing. */
static step_status_t check_isolation(step_context_t *ctx)
{
    const char *cluster = kv_list_get(ctx->params, SET_PREFIX REHEARSAL_REQUIRED_CLUSTER);
    const char *index = kv_list_get(ctx->params, SET_PREFIX REHEARSAL_REQUIRED_INDEX);
    if (cluster == NULL || strcmp(cluster, "false") != 0 || index == NULL || strcmp(index, "noindex") != 0)
        return step_fail(ctx, STEP_REFUSED, "%s: a rehearsal starts only with %s=false and %s=noindex",
                         ctx->step_id, REHEARSAL_REQUIRED_CLUSTER, REHEARSAL_REQUIRED_INDEX);
    return STEP_SUCCEEDED;
}

static step_status_t write_overrides(step_context_t *ctx, const agent_service_t *service, unsigned *count)
{
    size_t len = 0;
    char *text = overrides_text(ctx, &len, count);
    if (text == NULL)
        return ctx->result->error ? STEP_REFUSED : STEP_FAILED;
    alfup_err_t err = {{0}};
    int rc = file_write_atomic(service->properties_file, (const uint8_t *)text, len, OVERRIDES_MODE, &err);
    free(text);
    if (rc != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: writing the overrides of %s: %s", ctx->step_id, service->name,
                         err.msg);
    return STEP_SUCCEEDED;
}

static int on_line(void *arg, const char *line)
{
    rehearsal_log_t *seen = arg;
    const char *at;
    if (strstr(line, PATCH_LINE) != NULL)
        seen->patches++;
    if ((at = strstr(line, SCHEMA_LINE)) != NULL)
        seen->schema_update_ms = strtoull(at + strlen(SCHEMA_LINE), NULL, 10);
    return 0;
}

/* Reads the service's log from offset to its end. */
static int read_measures(const agent_service_t *service, uint64_t offset, rehearsal_log_t *seen, alfup_err_t *err)
{
    log_follow_t *follow = log_follow_new(service->log, offset);
    if (follow == NULL)
        return alfup_err_set(err, "out of memory");
    int got, rc = ALFUP_OK;
    while ((got = log_follow_poll(follow, on_line, seen, err)) > 0)
        ;
    if (got < 0)
        rc = ALFUP_ERR;
    log_follow_destroy(&follow);
    return rc;
}

static step_status_t add_outputs(step_context_t *ctx, const agent_service_t *service, const rehearsal_log_t *seen,
                                 unsigned count)
{
    kv_list_t *out = &ctx->result->outputs;
    const char *ready = kv_list_get(out, "ready_after_ms");
    if (kv_list_add(out, "start_to_ready_ms", ready ? ready : "0") ||
        kv_list_addf(out, "schema_update_ms", "%llu", seen->schema_update_ms) ||
        kv_list_addf(out, "patches_applied", "%u", seen->patches) ||
        kv_list_add(out, "properties_file", service->properties_file) ||
        kv_list_addf(out, "overrides", "%u", count))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_rehearsal_start_run(step_context_t *ctx)
{
    const agent_service_t *service = service_lookup(ctx);
    if (service == NULL)
        return STEP_REFUSED;
    if (service->properties_file == NULL || service->log == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: service %s has no properties_file or no log in the agent's"
                         " config: a rehearsal writes its overrides there and reads its measures from the log",
                         ctx->step_id, service->name);
    step_status_t status = check_isolation(ctx);
    alfup_err_t err = {{0}};
    pid_t running = service_pid_read(service->pidfile, &err);
    if (status == STEP_SUCCEEDED && running > 0 && service_pid_alive(running))
        return step_fail(ctx, STEP_FAILED, "%s: %s is running already (pid %d) with settings alfup did not"
                         " write: stop it first", ctx->step_id, service->name, (int)running);
    unsigned count = 0;
    if (status == STEP_SUCCEEDED)
        status = write_overrides(ctx, service, &count);
    uint64_t offset = 0;
    if (status == STEP_SUCCEEDED && log_follow_size(service->log, &offset, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s: %s", ctx->step_id, service->name, err.msg);
    if (status == STEP_SUCCEEDED)
        status = step_service_start_run(ctx);
    if (status != STEP_SUCCEEDED)
        return status;
    rehearsal_log_t seen = {0};
    if (read_measures(service, offset, &seen, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: reading %s: %s", ctx->step_id, service->log, err.msg);
    return add_outputs(ctx, service, &seen, count);
}
