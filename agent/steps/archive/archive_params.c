/* archive_params.c -- wire parameters of the archive steps: paths, bounded integers, target folders. */
#include "archive_params.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"
#include "tree_remove.h"

#define TARGET_FOLDER_MODE 0750

int archive_param_int(step_context_t *ctx, const char *key, int def, int min, int max, int *out)
{
    const char *value = kv_list_get(ctx->params, key);
    if (value == NULL || value[0] == '\0') {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long parsed = strtol(value, &end, 10);
    if (errno != 0 || *end != '\0' || parsed < min || parsed > max) {
        step_fail(ctx, STEP_REFUSED, "%s: parameter %s: '%.40s' is not an integer in %d..%d", ctx->step_id, key, value,
                  min, max);
        return -1;
    }
    *out = (int)parsed;
    return 0;
}

int archive_param_bool(step_context_t *ctx, const char *key, int def, int *out)
{
    const char *value = kv_list_get(ctx->params, key);
    if (value == NULL || value[0] == '\0')
        *out = def;
    else if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
        *out = 1;
    else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
        *out = 0;
    else {
        step_fail(ctx, STEP_REFUSED, "%s: parameter %s: '%.40s' is not true or false", ctx->step_id, key, value);
        return -1;
    }
    return 0;
}

step_status_t archive_target_prepare(step_context_t *ctx, const char *target, int *created)
{
    alfup_err_t err = {{0}};
    *created = 0;
    struct stat st;
    /* lstat first: a symlink in place of the target is refused below, never followed */
    if (lstat(target, &st) != 0) {
        if (errno != ENOENT)
            return step_fail(ctx, STEP_FAILED, "%s: target %s: %s", ctx->step_id, target, strerror(errno));
        if (file_mkdir_p(target, TARGET_FOLDER_MODE, &err) != ALFUP_OK)
            return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
        *created = 1;
        return STEP_SUCCEEDED;
    }
    if (!S_ISDIR(st.st_mode))
        return step_fail(ctx, STEP_REFUSED, "%s: target %s exists and is not a folder", ctx->step_id, target);
    int empty = tree_is_empty(target, &err);
    if (empty == TREE_NOT_EMPTY)
        return step_fail(ctx, STEP_REFUSED, "%s: target %s is not empty; refusing to write into it", ctx->step_id,
                         target);
    if (empty != TREE_EMPTY)
        return step_fail(ctx, STEP_FAILED, "%s: target %s: %s", ctx->step_id, target, err.msg);
    return STEP_SUCCEEDED;
}

void archive_target_discard(step_context_t *ctx, const char *target, int created)
{
    alfup_err_t err = {{0}};
    int rc = created ? tree_remove_all(target, NULL, &err) : tree_remove_contents(target, NULL, &err);
    if (rc != ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "cleanup of %s failed: %s", target, err.msg);
    else
        str_list_addf(&ctx->result->log_lines, "removed what was written to %s", target);
}

int archive_target_sync(const char *target, alfup_err_t *err)
{
    int fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s", target);
    int rc = syncfs(fd) == 0 ? ALFUP_OK : alfup_err_errno(err, errno, "syncfs %s", target);
    close(fd);
    return rc;
}
