/* step_rehearsal_tree.c -- "rehearsal-tree": walk production's contentstore, link the base's files, copy the rest. */
#include "step_rehearsal_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"
#include "path_policy.h"
#include "path_within.h"
#include "tree_remove.h"
#include "tree_walk.h"

#define FOLDER_MODE 0750
#define FILE_MODE 0640
#define COPY_CHUNK (256u * 1024u)

typedef struct rehearsal_tree {
    char *source, *base, *target;
    int base_fd;                /* the base folder, or -1 when it does not exist */
    uint64_t linked, copied, bytes_linked, bytes_copied;
    tree_walk_stats_t stats;
} rehearsal_tree_t;

/* Copies from_fd to a new file name in dir_fd. */
static int copy_into(int from_fd, int dir_fd, const char *name, const char *shown, uint64_t *bytes,
                     alfup_err_t *err)
{
    int to_fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
    if (to_fd < 0)
        return alfup_err_set(err, "creating the copy of %s: %s", shown, strerror(errno));
    char *chunk = malloc(COPY_CHUNK);
    int rc = chunk ? ALFUP_OK : alfup_err_set(err, "out of memory");
    ssize_t got;
    while (rc == ALFUP_OK && (got = read(from_fd, chunk, COPY_CHUNK)) != 0) {
        if (got < 0 || write(to_fd, chunk, (size_t)got) != got)
            rc = alfup_err_set(err, "copying %s: %s", shown, strerror(errno));
        else
            *bytes += (uint64_t)got;
    }
    free(chunk);
    if (close(to_fd) != 0 && rc == ALFUP_OK)
        rc = alfup_err_set(err, "closing the copy of %s: %s", shown, strerror(errno));
    return rc;
}

/* Copies at_fd/path to dir_fd/name. A file gone by now (moved away by production's orphan cleaner while
 * the walk ran) is skipped when missing_ok: *copied stays 0. */
static int copy_at(int at_fd, const char *path, int dir_fd, const char *name, const char *shown, int missing_ok,
                   uint64_t *bytes, int *copied, alfup_err_t *err)
{
    *copied = 0;
    int from_fd = openat(at_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (from_fd < 0 && errno == ENOENT && missing_ok)
        return ALFUP_OK;
    if (from_fd < 0)
        return alfup_err_set(err, "opening %s: %s", shown, strerror(errno));
    *copied = 1;
    int rc = copy_into(from_fd, dir_fd, name, shown, bytes, err);
    close(from_fd);
    return rc;
}

static int visit(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    rehearsal_tree_t *tree = user;
    if (!S_ISREG(entry->st.st_mode))
        return ALFUP_OK; /* a contentstore holds files and folders only; anything else stays out */
    struct stat base_st;
    int in_base = tree->base_fd >= 0 && fstatat(tree->base_fd, entry->rel, &base_st, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISREG(base_st.st_mode) && base_st.st_size == entry->st.st_size;
    tree->stats.files++;
    tree->stats.bytes += (uint64_t)entry->st.st_size;
    if (in_base && linkat(tree->base_fd, entry->rel, entry->aux_fd, entry->name, 0) == 0) {
        tree->linked++;
        tree->bytes_linked += (uint64_t)base_st.st_size;
        return ALFUP_OK;
    }
    if (in_base && errno != EXDEV && errno != EPERM && errno != EMLINK)
        return alfup_err_set(err, "linking %s into the rehearsal: %s", entry->shown, strerror(errno));
    int copied = 0, rc;
    if (in_base)
        rc = copy_at(tree->base_fd, entry->rel, entry->aux_fd, entry->name, entry->shown, 0, &tree->bytes_copied,
                     &copied, err);
    else
        rc = copy_at(entry->dir_fd, entry->name, entry->aux_fd, entry->name, entry->shown, 1, &tree->bytes_copied,
                     &copied, err);
    tree->copied += (uint64_t)copied;
    return rc;
}

static int enter(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err)
{
    rehearsal_tree_t *tree = user;
    if (mkdirat(entry->aux_fd, entry->name, FOLDER_MODE) != 0 && errno != EEXIST)
        return alfup_err_set(err, "creating the rehearsal's %s: %s", entry->rel, strerror(errno));
    *child_aux = openat(entry->aux_fd, entry->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*child_aux < 0)
        return alfup_err_set(err, "opening the rehearsal's %s: %s", entry->rel, strerror(errno));
    tree->stats.folders++;
    return TREE_WALK_DESCEND;
}

static step_status_t resolve(step_context_t *ctx, const char *key, char **out)
{
    const char *path = step_param_required(ctx, key);
    alfup_err_t err;
    if (path == NULL)
        return STEP_REFUSED;
    if ((*out = path_policy_resolve(ctx->config, path, &err)) == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: %s: %s", ctx->step_id, key, err.msg);
    return STEP_SUCCEEDED;
}

static int overlap(const char *a, const char *b)
{
    return path_is_within(a, b) || path_is_within(b, a);
}

static step_status_t read_params(step_context_t *ctx, rehearsal_tree_t *tree)
{
    step_status_t status = resolve(ctx, "source", &tree->source);
    if (status == STEP_SUCCEEDED)
        status = resolve(ctx, "base", &tree->base);
    if (status == STEP_SUCCEEDED)
        status = resolve(ctx, "target", &tree->target);
    if (status != STEP_SUCCEEDED)
        return status;
    if (overlap(tree->target, tree->source) || overlap(tree->target, tree->base))
        return step_fail(ctx, STEP_REFUSED, "%s: the rehearsal's %s overlaps %s or %s", ctx->step_id,
                         tree->target, tree->source, tree->base);
    return STEP_SUCCEEDED;
}

/* An earlier attempt's target removed, a fresh empty one made; the base opened when it exists. */
static step_status_t prepare(step_context_t *ctx, rehearsal_tree_t *tree, int *target_fd)
{
    alfup_err_t err = {{0}};
    if (tree_remove(ctx, tree->target, 1, NULL, &err) != ALFUP_OK ||
        file_mkdir_p(tree->target, FOLDER_MODE, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: preparing %s: %s", ctx->step_id, tree->target, err.msg);
    *target_fd = tree_walk_open(tree->target, O_RDONLY | O_DIRECTORY);
    if (*target_fd < 0)
        return step_fail(ctx, STEP_FAILED, "%s: opening %s: %s", ctx->step_id, tree->target, strerror(errno));
    tree->base_fd = tree_walk_open(tree->base, O_RDONLY | O_DIRECTORY);
    if (tree->base_fd < 0 && errno != ENOENT)
        return step_fail(ctx, STEP_FAILED, "%s: opening %s: %s", ctx->step_id, tree->base, strerror(errno));
    return STEP_SUCCEEDED;
}

static step_status_t add_outputs(step_context_t *ctx, const rehearsal_tree_t *tree)
{
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "target", tree->target) || kv_list_addf(out, "files_linked", "%" PRIu64, tree->linked) ||
        kv_list_addf(out, "files_copied", "%" PRIu64, tree->copied) ||
        kv_list_addf(out, "bytes_linked", "%" PRIu64, tree->bytes_linked) ||
        kv_list_addf(out, "bytes_copied", "%" PRIu64, tree->bytes_copied))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_rehearsal_tree_run(step_context_t *ctx)
{
    rehearsal_tree_t tree = {.base_fd = -1};
    int target_fd = -1;
    step_status_t status = read_params(ctx, &tree);
    if (status == STEP_SUCCEEDED)
        status = prepare(ctx, &tree, &target_fd);
    if (status == STEP_SUCCEEDED) {
        static const tree_walk_ops_t OPS = {.visit = visit, .enter = enter};
        tree_walk_options_t opts = {.ops = &OPS, .user = &tree, .ctx = ctx, .message = "laying the rehearsal",
                                    .stats = &tree.stats, .cross_devices = 1}; /* reads, as the base copy does */
        alfup_err_t err = {{0}};
        int rc = tree_walk(tree.source, target_fd, &opts, &err);
        if (rc == TREE_WALK_CANCELLED)
            status = step_fail(ctx, STEP_CANCELLED, "%s: cancelled", ctx->step_id);
        else if (rc != ALFUP_OK)
            status = step_fail(ctx, STEP_FAILED, "%s: %s: %s", ctx->step_id, tree.source,
                               rc == TREE_WALK_MISSING ? "does not exist" : err.msg);
    }
    if (status == STEP_SUCCEEDED)
        status = add_outputs(ctx, &tree);
    if (target_fd >= 0)
        close(target_fd);
    if (tree.base_fd >= 0)
        close(tree.base_fd);
    free(tree.source);
    free(tree.base);
    free(tree.target);
    return status;
}
