/* layout_util.c -- checked paths and cancellable, reported deletion for the layout steps. */
#include "layout_util.h"

#include <dirent.h>
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

/* Folders this deep are handed to tree_remove_all whole; above it the walk is
 * ours, so progress and cancellation are checked between entries. */
#define LAYOUT_CLEAR_DEPTH 4
#define LAYOUT_PROGRESS_MS 250u

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

typedef struct clear_walk {
    step_context_t *ctx;
    tree_remove_stats_t *stats;
    uint64_t last_report_ms;
    dev_t dev;
} clear_walk_t;

static void report(clear_walk_t *walk)
{
    uint64_t now = alfup_now_mono_ms();
    if (now - walk->last_report_ms < LAYOUT_PROGRESS_MS)
        return;
    walk->last_report_ms = now;
    step_progress_t progress = {.files_done = walk->stats->files,
                                .bytes_done = walk->stats->bytes,
                                .message = "removing"};
    step_report(walk->ctx, &progress);
}

static int clear_entries(clear_walk_t *walk, const char *path, int depth, alfup_err_t *err);

/* Removes one entry of a folder being cleared: deep folders whole, others by walking. */
static int clear_entry(clear_walk_t *walk, const char *path, int depth, alfup_err_t *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "remove %s", path);
    if (!S_ISDIR(st.st_mode) || depth >= LAYOUT_CLEAR_DEPTH)
        return tree_remove_all(path, walk->stats, err);
    if (st.st_dev != walk->dev)
        return alfup_err_set(err, "remove %s: a mount point; refusing to cross it", path);
    int rc = clear_entries(walk, path, depth + 1, err);
    if (rc != ALFUP_OK)
        return rc;
    if (rmdir(path) != 0)
        return alfup_err_errno(err, errno, "remove %s", path);
    walk->stats->folders++;
    return ALFUP_OK;
}

static int clear_entries(clear_walk_t *walk, const char *path, int depth, alfup_err_t *err)
{
    DIR *dir = opendir(path);
    if (dir == NULL)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "open %s", path);
    int rc = ALFUP_OK;
    struct dirent *entry;
    while (rc == ALFUP_OK && (errno = 0, entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (step_cancelled(walk->ctx)) {
            rc = LAYOUT_CANCELLED;
            break;
        }
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", path, entry->d_name) >= (int)sizeof child)
            rc = alfup_err_set(err, "remove %s/%s: path too long", path, entry->d_name);
        else
            rc = clear_entry(walk, child, depth, err);
        report(walk);
    }
    if (rc == ALFUP_OK && errno != 0)
        rc = alfup_err_errno(err, errno, "read folder %s", path);
    closedir(dir);
    return rc;
}

int layout_clear(step_context_t *ctx, const char *path, int remove_self, tree_remove_stats_t *stats,
                 alfup_err_t *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "stat %s", path);
    if (!S_ISDIR(st.st_mode)) {
        if (!remove_self)
            return alfup_err_set(err, "%s is not a folder", path);
        return tree_remove_all(path, stats, err);
    }
    clear_walk_t walk = {.ctx = ctx, .stats = stats, .dev = st.st_dev};
    int rc = clear_entries(&walk, path, 0, err);
    if (rc == ALFUP_OK && remove_self) {
        if (rmdir(path) != 0)
            return alfup_err_errno(err, errno, "remove %s", path);
        stats->folders++;
    }
    walk.last_report_ms = 0;
    report(&walk);
    return rc;
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

int layout_copy_file(const char *src, const char *dst, mode_t mode, alfup_err_t *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid()) >= (int)sizeof tmp)
        return alfup_err_set(err, "copy to %s: path too long", dst);
    int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return alfup_err_errno(err, errno, "open %s", src);
    int rc = ALFUP_ERR;
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
    if (out < 0) {
        alfup_err_errno(err, errno, "create %s", tmp);
        goto out;
    }
    if (copy_fd(in, out) != 0 || fchmod(out, mode & 07777) != 0 || fsync(out) != 0) {
        alfup_err_errno(err, errno, "copy %s to %s", src, tmp);
        goto out;
    }
    if (close(out) != 0) {
        out = -1;
        alfup_err_errno(err, errno, "close %s", tmp);
        goto out;
    }
    out = -1;
    if (rename(tmp, dst) != 0) {
        alfup_err_errno(err, errno, "rename %s to %s", tmp, dst);
        goto out;
    }
    rc = file_sync_parent(dst, err);
out:
    if (out >= 0)
        close(out);
    if (rc != ALFUP_OK)
        unlink(tmp);
    close(in);
    return rc;
}
