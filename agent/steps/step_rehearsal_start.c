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
#include "step_service_stop.h"

#define SET_PREFIX "set."
#define PROPERTY_PARAM "property"
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

/* Appends "key=value\n" (escaped) to *text; STEP_SUCCEEDED, or another status with the step's error set. */
static step_status_t append_line(step_context_t *ctx, char **text, size_t *used, size_t *cap, const char *key,
                       const char *value)
{
    if (!key_ok(key))
        return step_fail(ctx, STEP_REFUSED, "%s: property override '%s' is not a property name", ctx->step_id, key);
    char *line = props_encode_line(key, value);
    if (line == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: the value of %s is not UTF-8", ctx->step_id, key);
    size_t need = *used + strlen(line) + 2;
    if (need > *cap) {
        char *bigger = realloc(*text, need * 2);
        if (bigger == NULL) {
            free(line);
            return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
        }
        *text = bigger;
        *cap = need * 2;
    }
    *used += (size_t)snprintf(*text + *used, *cap - *used, "%s\n", line);
    free(line);
    return STEP_SUCCEEDED;
}

/* A plan's property (KEY=VALUE) may not change what the rehearsal sets itself. */
static int reserved(const char *key, size_t len)
{
    static const char *const RESERVED[] = {"dir.root", "db.url", REHEARSAL_REQUIRED_CLUSTER, REHEARSAL_REQUIRED_INDEX};
    for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
        if (strlen(RESERVED[i]) == len && strncmp(RESERVED[i], key, len) == 0)
            return 1;
    return 0;
}

/* Appends a plan's property, "KEY=VALUE" (a KEY the rehearsal does not set itself). */
static step_status_t append_property(step_context_t *ctx, char **text, size_t *used, size_t *cap, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t key_len = eq ? (size_t)(eq - kv) : 0;
    if (eq == NULL || key_len > REHEARSAL_KEY_MAX || reserved(kv, key_len))
        return step_fail(ctx, STEP_REFUSED, "%s: property '%.80s' is not KEY=VALUE for a key the rehearsal does not"
                         " set itself", ctx->step_id, kv);
    char key[REHEARSAL_KEY_MAX + 1];
    snprintf(key, sizeof key, "%.*s", (int)key_len, kv);
    return append_line(ctx, text, used, cap, key, eq + 1);
}

/* The overrides as .properties text in *out (caller frees): the set.KEY params and the property params in
 * their order. STEP_SUCCEEDED, or another status with the step's error set (*out NULL). */
static step_status_t overrides_text(step_context_t *ctx, char **out, size_t *len, unsigned *count)
{
    size_t cap = 256, used = 0;
    char *text = malloc(cap);
    *out = NULL;
    if (text == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    used = (size_t)snprintf(text, cap, "# rehearsal overrides written by alfup (step %s)\n", ctx->step_id);
    *count = 0;
    for (size_t i = 0; i < ctx->params->count; i++) {
        const kv_pair_t *p = &ctx->params->items[i];
        step_status_t rc = STEP_SUCCEEDED;
        if (strncmp(p->key, SET_PREFIX, strlen(SET_PREFIX)) == 0) {
            rc = append_line(ctx, &text, &used, &cap, p->key + strlen(SET_PREFIX), p->value);
        } else if (strcmp(p->key, PROPERTY_PARAM) == 0) {
            rc = append_property(ctx, &text, &used, &cap, p->value);
        } else {
            continue;
        }
        if (rc != STEP_SUCCEEDED) {
            free(text);
            return rc;
        }
        (*count)++;
    }
    *len = used;
    *out = text;
    return STEP_SUCCEEDED;
}

/* The isolation a rehearsal never starts without; REFUSED when a required override is missing. */
static step_status_t check_isolation(step_context_t *ctx)
{
    const char *cluster = kv_list_get(ctx->params, SET_PREFIX REHEARSAL_REQUIRED_CLUSTER);
    const char *index = kv_list_get(ctx->params, SET_PREFIX REHEARSAL_REQUIRED_INDEX);
    /* once each: a second line would win (the last value of a key counts in a .properties file) */
    if (kv_list_count_key(ctx->params, SET_PREFIX REHEARSAL_REQUIRED_CLUSTER) != 1 ||
        kv_list_count_key(ctx->params, SET_PREFIX REHEARSAL_REQUIRED_INDEX) != 1 || cluster == NULL ||
        strcmp(cluster, "false") != 0 || index == NULL || strcmp(index, "noindex") != 0)
        return step_fail(ctx, STEP_REFUSED, "%s: a rehearsal starts only with %s=false and %s=noindex",
                         ctx->step_id, REHEARSAL_REQUIRED_CLUSTER, REHEARSAL_REQUIRED_INDEX);
    return STEP_SUCCEEDED;
}

static step_status_t write_overrides(step_context_t *ctx, const agent_service_t *service, unsigned *count)
{
    size_t len = 0;
    char *text = NULL;
    step_status_t status = overrides_text(ctx, &text, &len, count);
    if (status != STEP_SUCCEEDED)
        return status;
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
    if (status == STEP_CANCELLED)
        service_stop_after_failed_start(ctx, service); /* unlike service-start: no rollback would stop it */
    if (status != STEP_SUCCEEDED)
        return status;
    rehearsal_log_t seen = {0};
    if (read_measures(service, offset, &seen, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: reading %s: %s", ctx->step_id, service->log, err.msg);
    return add_outputs(ctx, service, &seen, count);
}
