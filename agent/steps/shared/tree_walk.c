/* tree_walk.c -- a descriptor-relative walk (openat, fstatat) with progress and cancellation. */
#include "tree_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TREE_WALK_PROGRESS_MS 250u
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

typedef struct tree_walk {
    const tree_walk_options_t *opts;
    int max_depth;
    dev_t dev;
    char path[PATH_MAX];    /* the entry being walked, for messages */
    size_t root_len;
    uint64_t last_report_ms;
} tree_walk_t;

/* Copies the component starting at p into comp; its length, or -1 (errno). */
static int next_component(const char *p, char comp[NAME_MAX + 1])
{
    size_t len = strcspn(p, "/");
    if (len > NAME_MAX)
        return errno = ENAMETOOLONG, -1;
    memcpy(comp, p, len);
    comp[len] = '\0';
    if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
        return errno = EINVAL, -1;
    return (int)len;
}

int tree_walk_open(const char *path, int flags)
{
    if (path == NULL || path[0] != '/')
        return errno = EINVAL, -1;
    int fd = open("/", DIR_FLAGS);
    const char *p = path;
    while (fd >= 0) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            return fd;
        char comp[NAME_MAX + 1];
        int len = next_component(p, comp);
        const char *rest = p + (len < 0 ? 0 : len);
        while (*rest == '/')
            rest++;
        int next = len < 0 ? -1
                           : openat(fd, comp,
                                    (*rest == '\0' ? O_RDONLY | flags : DIR_FLAGS) | O_NOFOLLOW |
                                        O_CLOEXEC);
        int saved = errno;
        close(fd);
        errno = saved;
        fd = next;
        p = rest;
    }
    return -1;
}

int tree_walk_open_parent(const char *path, const char **name)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (slash == NULL || slash[1] == '\0' || path[0] != '/')
        return errno = EINVAL, -1;
    char parent[PATH_MAX];
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    if (len >= sizeof parent)
        return errno = ENAMETOOLONG, -1;
    memcpy(parent, path, len);
    parent[len] = '\0';
    *name = slash + 1;
    return tree_walk_open(parent, O_DIRECTORY);
}

static void report(tree_walk_t *walk, int force)
{
    const tree_walk_options_t *opts = walk->opts;
    uint64_t now = alfup_now_mono_ms();
    if (opts->ctx == NULL || (!force && now - walk->last_report_ms < TREE_WALK_PROGRESS_MS))
        return;
    walk->last_report_ms = now;
    step_progress_t progress = {.files_done = opts->stats ? opts->stats->files : 0,
                                .bytes_done = opts->stats ? opts->stats->bytes : 0,
                                .message = opts->message};
    step_report(opts->ctx, &progress);
}

static int walk_dir(tree_walk_t *walk, int dir_fd, int aux_fd, int depth, alfup_err_t *err);

/* The folder entry names vanished or was replaced before it was opened
 * (errnum): ops->gone decides, or it is an error. */
static int folder_gone(tree_walk_t *walk, const tree_walk_entry_t *entry, int errnum,
                       alfup_err_t *err)
{
    if (walk->opts->ops->gone != NULL)
        return walk->opts->ops->gone(walk->opts->user, entry, errnum, err);
    if (errnum == ESTALE)
        return alfup_err_set(err, "walk %s: the folder changed while walked; refusing", entry->shown);
    return alfup_err_errno(err, errnum, "open %s (changed while walked?)", entry->shown);
}

/* Opens the folder entry names, refusing one that is not what fstatat saw.
 * The descriptor, -1 with err, or -2 when folder_gone said to go on. */
static int open_folder(tree_walk_t *walk, const tree_walk_entry_t *entry, int *rc,
                       alfup_err_t *err)
{
    if (entry->st.st_dev != walk->dev && !walk->opts->cross_devices)
        return *rc = alfup_err_set(err, "walk %s: a mount point; refusing to cross it", entry->shown);
    if (entry->depth + 1 > walk->max_depth)
        return *rc = alfup_err_set(err, "walk %s: folders nested deeper than %d", entry->shown,
                                   walk->max_depth);
    int fd = openat(entry->dir_fd, entry->name, DIR_FLAGS);
    int errnum = errno;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        errnum = errno;
        close(fd);
        return *rc = alfup_err_errno(err, errnum, "stat %s", entry->shown);
    }
    if (fd >= 0 && (st.st_dev != entry->st.st_dev || st.st_ino != entry->st.st_ino)) {
        close(fd);
        fd = -1;
        errnum = ESTALE;
    }
    if (fd < 0 && errnum != ENOENT && errnum != ENOTDIR && errnum != ELOOP && errnum != ESTALE)
        return *rc = alfup_err_errno(err, errnum, "open %s", entry->shown);
    if (fd < 0)
        *rc = folder_gone(walk, entry, errnum, err);
    return fd;
}

static int walk_folder(tree_walk_t *walk, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    const tree_walk_ops_t *ops = walk->opts->ops;
    int child_aux = -1;
    int rc = ops->enter ? ops->enter(walk->opts->user, entry, &child_aux, err) : TREE_WALK_DESCEND;
    if (rc == TREE_WALK_DESCEND) {
        int fd = open_folder(walk, entry, &rc, err);
        if (fd >= 0)
            rc = walk_dir(walk, fd, child_aux, entry->depth + 1, err);
        if (rc == ALFUP_OK && fd >= 0 && ops->leave)
            rc = ops->leave(walk->opts->user, entry, err);
    } else if (rc == TREE_WALK_SKIP) {
        rc = ALFUP_OK;
    }
    if (child_aux >= 0)
        close(child_aux);
    return rc;
}

static int walk_entry(tree_walk_t *walk, int dir_fd, int aux_fd, const char *name, int depth,
                      alfup_err_t *err)
{
    size_t len = strlen(walk->path);
    if (len + 1 + strlen(name) >= sizeof walk->path)
        return alfup_err_set(err, "walk %s/%s: path too long", walk->path, name);
    snprintf(walk->path + len, sizeof walk->path - len, "/%s", name);
    tree_walk_entry_t entry = {.dir_fd = dir_fd, .aux_fd = aux_fd, .name = name,
                               .rel = walk->path + walk->root_len + 1, .shown = walk->path,
                               .depth = depth};
    int rc = ALFUP_OK;
    if (fstatat(dir_fd, name, &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            rc = alfup_err_errno(err, errno, "stat %s", walk->path);
        else if (walk->opts->ops->gone) /* else gone since readdir: nothing to do */
            rc = walk->opts->ops->gone(walk->opts->user, (memset(&entry.st, 0, sizeof entry.st), &entry),
                                       ENOENT, err);
    } else if (S_ISDIR(entry.st.st_mode)) {
        rc = walk_folder(walk, &entry, err);
    } else if (walk->opts->ops->visit) {
        rc = walk->opts->ops->visit(walk->opts->user, &entry, err);
    }
    walk->path[len] = '\0';
    return rc;
}

/* Walks the entries of the folder open as dir_fd (taken). */
static int walk_dir(tree_walk_t *walk, int dir_fd, int aux_fd, int depth, alfup_err_t *err)
{
    DIR *dir = fdopendir(dir_fd);
    if (dir == NULL) {
        int saved = errno;
        close(dir_fd);
        return alfup_err_errno(err, saved, "read folder %s", walk->path);
    }
    int rc = ALFUP_OK;
    struct dirent *found;
    while (rc == ALFUP_OK && (errno = 0, found = readdir(dir)) != NULL) {
        if (strcmp(found->d_name, ".") == 0 || strcmp(found->d_name, "..") == 0)
            continue;
        if (walk->opts->ctx && step_cancelled(walk->opts->ctx)) {
            rc = TREE_WALK_CANCELLED;
            break;
        }
        rc = walk_entry(walk, dirfd(dir), aux_fd, found->d_name, depth, err);
        report(walk, 0);
    }
    if (rc == ALFUP_OK && errno != 0)
        rc = alfup_err_errno(err, errno, "read folder %s", walk->path);
    closedir(dir);
    return rc;
}

int tree_walk_fd(int dir_fd, const char *path, int aux_fd, const tree_walk_options_t *opts,
                 alfup_err_t *err)
{
    tree_walk_t walk = {.opts = opts, .max_depth = opts->max_depth};
    if (walk.max_depth <= 0 || walk.max_depth > TREE_WALK_DEPTH_MAX)
        walk.max_depth = TREE_WALK_DEPTH_MAX;
    walk.root_len = strlen(path);
    struct stat st;
    if (walk.root_len >= sizeof walk.path || fstat(dir_fd, &st) != 0) {
        int saved = walk.root_len >= sizeof walk.path ? ENAMETOOLONG : errno;
        close(dir_fd);
        return alfup_err_errno(err, saved, "walk %s", path);
    }
    memcpy(walk.path, path, walk.root_len + 1);
    walk.dev = st.st_dev;
    walk.last_report_ms = alfup_now_mono_ms();
    int rc = walk_dir(&walk, dir_fd, aux_fd, 0, err);
    report(&walk, 1);
    return rc;
}

int tree_walk(const char *path, int aux_fd, const tree_walk_options_t *opts, alfup_err_t *err)
{
    int fd = tree_walk_open(path, O_DIRECTORY);
    if (fd < 0 && errno == ENOENT)
        return TREE_WALK_MISSING;
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s (not a folder, or a symlink in its path)", path);
    return tree_walk_fd(fd, path, aux_fd, opts, err);
}
