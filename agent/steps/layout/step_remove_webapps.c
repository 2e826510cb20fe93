/* step_remove_webapps.c -- the "remove-webapps" step: remove NAME.war and the NAME folder. */
#include "step_remove_webapps.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "layout_util.h"
#include "path_policy.h"

#define WEBAPP_NAME_MAX 128

int webapp_name_is_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > WEBAPP_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == len;
}

/* Removes webapps/entry when it exists; *removed says whether it did. */
static int remove_entry(step_context_t *ctx, const char *webapps, const char *entry, int *removed,
                        alfup_err_t *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", webapps, entry) >= (int)sizeof path)
        return alfup_err_set(err, "%s/%s: path too long", webapps, entry);
    struct stat st;
    *removed = 0;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "stat %s", path);
    tree_remove_stats_t stats = {0};
    int rc = layout_clear(ctx, path, 1, &stats, err);
    if (rc == LAYOUT_CANCELLED)
        return alfup_err_set(err, "removing %s was cancelled", path);
    *removed = rc == ALFUP_OK;
    return rc;
}

static step_status_t remove_app(step_context_t *ctx, const char *webapps, const char *name)
{
    alfup_err_t err = {{0}};
    char war[WEBAPP_NAME_MAX + 8];
    snprintf(war, sizeof war, "%s.war", name);
    int war_removed = 0, dir_removed = 0;
    if (remove_entry(ctx, webapps, war, &war_removed, &err) != ALFUP_OK ||
        remove_entry(ctx, webapps, name, &dir_removed, &err) != ALFUP_OK)
        return step_fail(ctx, step_cancelled(ctx) ? STEP_CANCELLED : STEP_FAILED,
                         "%s: remove-webapps %s: %s", ctx->step_id, name, err.msg);
    int rc = 0;
    if (war_removed)
        rc |= layout_output(ctx, "removed", war);
    if (dir_removed)
        rc |= kv_list_addf(&ctx->result->outputs, "removed", "%s/", name);
    if (!war_removed && !dir_removed)
        rc |= layout_output(ctx, "absent", name);
    if (rc != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

static step_status_t check_names(step_context_t *ctx, size_t count)
{
    if (count == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: missing parameter 'app'", ctx->step_id);
    if (count > REMOVE_WEBAPPS_MAX)
        return step_fail(ctx, STEP_REFUSED, "%s: more than %d app parameters", ctx->step_id,
                         REMOVE_WEBAPPS_MAX);
    for (size_t i = 0; i < count; i++) {
        const char *name = kv_list_get_nth(ctx->params, "app", i);
        if (!webapp_name_is_valid(name))
            return step_fail(ctx, STEP_REFUSED,
                             "%s: app '%.*s' is not a web application name ([A-Za-z0-9_.-]+)",
                             ctx->step_id, WEBAPP_NAME_MAX, name);
    }
    return STEP_SUCCEEDED;
}

step_status_t step_remove_webapps_run(step_context_t *ctx)
{
    size_t count = kv_list_count_key(ctx->params, "app");
    step_status_t status = check_names(ctx, count);
    if (status != STEP_SUCCEEDED)
        return status;
    char *new_home = layout_param_path(ctx, "new_home");
    if (new_home == NULL)
        return STEP_REFUSED;
    if (layout_refuse_old(ctx, "old_home", new_home) != STEP_SUCCEEDED) {
        free(new_home);
        return STEP_REFUSED;
    }
    alfup_err_t err = {{0}};
    char *webapps = layout_join_resolve(ctx->config, new_home, "tomcat/webapps", &err);
    if (webapps == NULL)
        status = step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
    else if (!path_is_within(webapps, new_home))
        status = step_fail(ctx, STEP_REFUSED, "%s: %s/tomcat/webapps leads outside it, to %s",
                           ctx->step_id, new_home, webapps);
    for (size_t i = 0; webapps != NULL && i < count && status == STEP_SUCCEEDED; i++)
        status = remove_app(ctx, webapps, kv_list_get_nth(ctx->params, "app", i));
    free(webapps);
    free(new_home);
    return status;
}
