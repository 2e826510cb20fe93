/* layout_util.c -- checked paths and cancellable, reported deletion for the layout steps. */
#include "layout_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"
#include "path_policy.h"
#include "tree_walk.h"

char *layout_param_path(step_context_t *ctx, const char *key)
{
    const char *raw = step_param_required(ctx, key);
    if (raw == NULL)
        return NULL;
    alfup_err_t err = {{0}};
    char *canonical = path_policy_resolve(ctx->config, raw, &err);
    if (canonical == NULL)
        step_fail(ctx, STEP_REFUSED, "%s: parameter %s: %s", ctx->step_id, key, err.msg);
    return canonical;
}

char *layout_join_resolve(const agent_config_t *config, const char *base, const char *suffix,
                          alfup_err_t *err)
{
    char joined[PATH_MAX];
    if (snprintf(joined, sizeof joined, "%s/%s", base, suffix) >= (int)sizeof joined)
        return alfup_err_set(err, "path %s/%s is too long", base, suffix), NULL;
    return path_policy_resolve(config, joined, err);
}

int layout_overlaps(const char *a, const char *b)
{
    return path_is_within(a, b) || path_is_within(b, a);
}

step_status_t layout_refuse_old(step_context_t *ctx, const char *key, const char *path)
{
    const char *old = kv_list_get(ctx->params, key);
    if (old == NULL || old[0] == '\0')
        return STEP_SUCCEEDED;
    if (old[0] != '/' || strlen(old) >= PATH_MAX)
        return step_fail(ctx, STEP_REFUSED, "%s: %s is not an absolute path", ctx->step_id, key);
    char resolved[PATH_MAX];
    const char *canonical = realpath(old, resolved) ? resolved : old;
    if (layout_overlaps(path, canonical))
        return step_fail(ctx, STEP_REFUSED,
                         "%s: %s overlaps the old installation's %s %s; refusing", ctx->step_id,
                         path, key, canonical);
    return STEP_SUCCEEDED;
}

static int check_one(const char *path, const char *dir, const char *what, alfup_err_t *err)
{
    if (dir == NULL || dir[0] == '\0')
        return ALFUP_OK;
    char resolved[PATH_MAX];
    const char *canonical = realpath(dir, resolved) ? resolved : dir;
    if (path_is_within(canonical, path))
        return alfup_err_set(err, "%s is or contains the agent's %s %s; refusing", path, what,
                             canonical);
    return ALFUP_OK;
}

int layout_check_protected(const agent_config_t *config, const char *path, alfup_err_t *err)
{
    if (check_one(path, config->backup_dir, "backup_dir", err) != ALFUP_OK)
        return ALFUP_ERR;
    return check_one(path, config->state_dir, "state_dir", err);
}

int layout_output(step_context_t *ctx, const char *key, const char *value)
{
    return kv_list_add(&ctx->result->outputs, key, value);
}

int layout_output_removed(step_context_t *ctx, const tree_remove_stats_t *stats)
{
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_addf(out, "files_removed", "%llu", (unsigned long long)stats->files) != 0 ||
        kv_list_addf(out, "folders_removed", "%llu", (unsigned long long)stats->folders) != 0 ||
        kv_list_addf(out, "bytes_removed", "%llu", (unsigned long long)stats->bytes) != 0)
        return -1;
    return 0;
}

int layout_clear(step_context_t *ctx, const char *path, int remove_self, tree_remove_stats_t *stats,
                 alfup_err_t *err)
{
    return tree_remove(ctx, path, remove_self, stats, err);
}

#define LAYOUT_COPY_CHUNK 65536

static int copy_fd(int in, int out)
{
    char chunk[LAYOUT_COPY_CHUNK];
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 0 : -1;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, chunk + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -1;
            done += w;
        }
    }
}

/* Creates name's temporary sibling in dir_fd (O_EXCL, never followed). */
static int create_tmp(int dir_fd, const char *name, char *tmp, size_t len, mode_t mode,
                      alfup_err_t *err)
{
    if (snprintf(tmp, len, ".%s.alfup-tmp.%ld", name, (long)getpid()) >= (int)len)
        return alfup_err_set(err, "copy to %s: name too long", name);
    int out = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (out < 0 && errno == EEXIST && unlinkat(dir_fd, tmp, 0) == 0) /* a crashed attempt's */
        out = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    return out < 0 ? alfup_err_errno(err, errno, "create %s", tmp) : out;
}

int layout_copy_fd(int in, int dir_fd, const char *name, mode_t mode, int replace,
                   const char *shown, alfup_err_t *err)
{
    char tmp[NAME_MAX + 1];
    mode &= 0777;
    int out = create_tmp(dir_fd, name, tmp, sizeof tmp, mode, err);
    if (out < 0)
        return ALFUP_ERR;
    int rc = ALFUP_ERR;
    if (copy_fd(in, out) != 0 || fchmod(out, mode) != 0 || fsync(out) != 0) {
        alfup_err_errno(err, errno, "copy to %s", shown);
        goto out;
    }
    int closed = close(out);
    out = -1;
    if (closed != 0) {
        alfup_err_errno(err, errno, "close the copy of %s", shown);
        goto out;
    }
    if (renameat2(dir_fd, tmp, dir_fd, name, replace ? 0 : RENAME_NOREPLACE) != 0) {
        alfup_err_errno(err, errno, "rename the copy into %s", shown);
        goto out;
    }
    rc = fsync(dir_fd) == 0 ? ALFUP_OK : alfup_err_errno(err, errno, "sync the folder of %s", shown);
out:
    if (out >= 0)
        close(out);
    if (rc != ALFUP_OK)
        unlinkat(dir_fd, tmp, 0);
    return rc;
}

int layout_copy_file(const char *src, const char *dst, mode_t mode, alfup_err_t *err)
{
    int in = tree_walk_open(src, O_NONBLOCK);
    if (in < 0)
        return alfup_err_errno(err, errno, "open %s", src);
    const char *name = NULL;
    int dir_fd = tree_walk_open_parent(dst, &name);
    struct stat st;
    int rc = ALFUP_ERR;
    if (dir_fd < 0)
        alfup_err_errno(err, errno, "open the folder of %s", dst);
    else if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode))
        alfup_err_set(err, "copy %s: not a regular file", src);
    else
        rc = layout_copy_fd(in, dir_fd, name, mode, 1, dst, err);
    if (dir_fd >= 0)
        close(dir_fd);
    close(in);
    return rc;
}
