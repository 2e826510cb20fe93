/* step_install_amps.c -- copy AMPs, run apply_amps from the config, clean up. */
#include "step_install_amps.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_util.h"
#include "layout_util.h"
#include "path_policy.h"
#include "proc_run.h"

#define AMP_SUFFIX ".amp"
#define AMP_ERROR_TAIL 5u

/* Checks one amp parameter; returns its canonical path or NULL (refused). */
static char *check_amp(step_context_t *ctx, const char *raw)
{
    alfup_err_t err = {{0}};
    char *amp = path_policy_resolve(ctx->config, raw, &err);
    if (amp == NULL) {
        step_fail(ctx, STEP_REFUSED, "%s: amp: %s", ctx->step_id, err.msg);
        return NULL;
    }
    size_t len = strlen(amp), suffix = strlen(AMP_SUFFIX);
    const char *base = strrchr(amp, '/') + 1;
    struct stat st;
    if (len <= suffix || strcmp(amp + len - suffix, AMP_SUFFIX) != 0 || strlen(base) <= suffix)
        step_fail(ctx, STEP_REFUSED, "%s: amp %s: the name must end in .amp", ctx->step_id, amp);
    else if (stat(amp, &st) != 0 || !S_ISREG(st.st_mode))
        step_fail(ctx, STEP_REFUSED, "%s: amp %s: not an existing regular file", ctx->step_id, amp);
    else
        return amp;
    free(amp);
    return NULL;
}

/* Checks every amp parameter before anything is copied; fills amps[]. */
static step_status_t check_amps(step_context_t *ctx, char **amps, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        amps[i] = check_amp(ctx, kv_list_get_nth(ctx->params, "amp", i));
        if (amps[i] == NULL)
            return STEP_REFUSED;
    }
    return STEP_SUCCEEDED;
}

static step_status_t copy_amps(step_context_t *ctx, const char *new_home, char **amps, size_t count)
{
    alfup_err_t err = {{0}};
    char *amps_dir = layout_join_resolve(ctx->config, new_home, "amps", &err);
    if (amps_dir == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
    step_status_t status = STEP_SUCCEEDED;
    if (!path_is_within(amps_dir, new_home))
        status = step_fail(ctx, STEP_REFUSED, "%s: %s/amps leads outside it, to %s",
                           ctx->step_id, new_home, amps_dir);
    else if (file_mkdir_p(amps_dir, 0755, &err) != ALFUP_OK)
        status = step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    for (size_t i = 0; i < count && status == STEP_SUCCEEDED; i++) {
        const char *base = strrchr(amps[i], '/') + 1;
        char dst[PATH_MAX];
        if (snprintf(dst, sizeof dst, "%s/%s", amps_dir, base) >= (int)sizeof dst)
            status = step_fail(ctx, STEP_REFUSED, "%s: %s/%s: path too long", ctx->step_id,
                               amps_dir, base);
        else if (layout_copy_file(amps[i], dst, 0644, &err) != ALFUP_OK)
            status = step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
        else if (layout_output(ctx, "amp", base) != 0)
            status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
        step_progress_t progress = {.files_done = i + 1, .files_total = count,
                                    .message = "copying AMPs"};
        step_report(ctx, &progress);
    }
    free(amps_dir);
    return status;
}

/* "last lines: a | b | c" of the tool's output, for the error message. */
static void describe_tail(const str_list_t *tail, char *buf, size_t len)
{
    size_t first = tail->count > AMP_ERROR_TAIL ? tail->count - AMP_ERROR_TAIL : 0;
    size_t used = (size_t)snprintf(buf, len, "%s", tail->count ? "; last output: " : "");
    for (size_t i = first; i < tail->count && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i > first ? " | " : "",
                                 tail->items[i]);
}

/* Each output line of the tool is reported as progress. */
static void on_tool_line(void *arg, const char *line)
{
    step_progress_t progress = {.message = line};
    step_report(arg, &progress);
}

static step_status_t run_tool(step_context_t *ctx, const agent_tool_t *tool, const char *new_home)
{
    proc_spec_t spec = {.argv = tool->argv.items, .cwd = new_home,
                        .timeout_s = INSTALL_AMPS_TIMEOUT_S, .cancel = ctx->cancel,
                        .keep_lines = INSTALL_AMPS_LOG_LINES, .on_line = on_tool_line,
                        .line_arg = ctx};
    proc_outcome_t outcome;
    alfup_err_t err = {{0}};
    step_progress_t progress = {.message = "running apply_amps"};
    step_report(ctx, &progress);
    if (proc_run(&spec, &outcome, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: apply_amps: %s", ctx->step_id, err.msg);
    step_status_t status = STEP_SUCCEEDED;
    for (size_t i = 0; i < outcome.output_tail.count; i++)
        if (str_list_add(&ctx->result->log_lines, outcome.output_tail.items[i]) != 0)
            status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    if (status == STEP_SUCCEEDED && !proc_succeeded(&outcome)) {
        char what[256], tail[1024];
        proc_describe(&spec, &outcome, what, sizeof what);
        describe_tail(&outcome.output_tail, tail, sizeof tail);
        status = step_fail(ctx, outcome.cancelled ? STEP_CANCELLED : STEP_FAILED,
                           "%s: apply_amps: %s%s", ctx->step_id, what, tail);
    }
    if (status == STEP_SUCCEEDED && layout_output(ctx, "tool_exit", "0") != 0)
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    proc_outcome_clear(&outcome);
    return status;
}

/* Exploded webapps are removed whole; work/ and temp/ are emptied. */
static const struct {
    const char *relative;
    int remove_self;
} CLEANUP[] = {
    {"tomcat/webapps/alfresco", 1},
    {"tomcat/webapps/share", 1},
    {"tomcat/work", 0},
    {"tomcat/temp", 0},
};

static step_status_t clean_up(step_context_t *ctx, const char *new_home)
{
    for (size_t i = 0; i < sizeof CLEANUP / sizeof CLEANUP[0]; i++) {
        alfup_err_t err = {{0}};
        char *path = layout_join_resolve(ctx->config, new_home, CLEANUP[i].relative, &err);
        if (path == NULL)
            return step_fail(ctx, STEP_FAILED, "%s: clean up: %s", ctx->step_id, err.msg);
        if (!path_is_within(path, new_home)) {
            step_fail(ctx, STEP_FAILED, "%s: clean up: %s/%s leads outside it, to %s; refusing",
                      ctx->step_id, new_home, CLEANUP[i].relative, path);
            free(path);
            return STEP_FAILED;
        }
        struct stat st;
        int present = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        tree_remove_stats_t stats = {0};
        int rc = present ? layout_clear(ctx, path, CLEANUP[i].remove_self, &stats, &err) : ALFUP_OK;
        free(path);
        if (rc == LAYOUT_CANCELLED)
            return step_fail(ctx, STEP_CANCELLED, "%s: clean up cancelled", ctx->step_id);
        if (rc != ALFUP_OK)
            return step_fail(ctx, STEP_FAILED, "%s: clean up: %s", ctx->step_id, err.msg);
        if (present && layout_output(ctx, "cleaned", CLEANUP[i].relative) != 0)
            return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    }
    return STEP_SUCCEEDED;
}

step_status_t step_install_amps_run(step_context_t *ctx)
{
    const agent_tool_t *tool = agent_config_tool(ctx->config, "apply_amps");
    if (tool == NULL || tool->argv.count == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: no tool 'apply_amps' in the agent's config (%s)",
                         ctx->step_id, ctx->config->path ? ctx->config->path : "?");
    size_t count = kv_list_count_key(ctx->params, "amp");
    if (count == 0 || count > INSTALL_AMPS_MAX)
        return step_fail(ctx, STEP_REFUSED, "%s: between 1 and %d amp parameters are needed",
                         ctx->step_id, INSTALL_AMPS_MAX);
    char *new_home = layout_param_path(ctx, "new_home");
    if (new_home == NULL)
        return STEP_REFUSED;
    char *amps[INSTALL_AMPS_MAX] = {0};
    step_status_t status = layout_refuse_old(ctx, "old_home", new_home);
    if (status == STEP_SUCCEEDED)
        status = check_amps(ctx, amps, count);
    if (status == STEP_SUCCEEDED)
        status = copy_amps(ctx, new_home, amps, count);
    if (status == STEP_SUCCEEDED)
        status = run_tool(ctx, tool, new_home);
    if (status == STEP_SUCCEEDED)
        status = clean_up(ctx, new_home);
    for (size_t i = 0; i < count; i++)
        free(amps[i]);
    free(new_home);
    return status;
}
