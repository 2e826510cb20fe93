/* tree_remove.c -- recursive deletion through tree_walk and unlinkat: no symlink is followed. */
#include "tree_remove.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int remove_file(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    tree_remove_stats_t *stats = user;
    if (unlinkat(entry->dir_fd, entry->name, 0) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "remove %s", entry->shown);
    stats->files++;
    if (S_ISREG(entry->st.st_mode))
        stats->bytes += (uint64_t)entry->st.st_size;
    return ALFUP_OK;
}

static int remove_folder(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    tree_remove_stats_t *stats = user;
    if (unlinkat(entry->dir_fd, entry->name, AT_REMOVEDIR) != 0)
        return alfup_err_errno(err, errno, "remove %s", entry->shown);
    stats->folders++;
    return ALFUP_OK;
}

static const tree_walk_ops_t REMOVE_OPS = {.visit = remove_file, .leave = remove_folder};

/* Removes name, in the folder open as parent_fd, or what is below it. */
static int remove_at(step_context_t *ctx, int parent_fd, const char *name, const char *path,
                     int remove_self, tree_remove_stats_t *stats, alfup_err_t *err)
{
    struct stat st;
    if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "stat %s", path);
    tree_walk_entry_t self = {.dir_fd = parent_fd, .aux_fd = -1, .name = name, .rel = "",
                              .shown = path, .st = st};
    if (!S_ISDIR(st.st_mode))
        return remove_self ? remove_file(stats, &self, err)
                           : alfup_err_set(err, "%s is not a folder", path);
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s", path);
    tree_walk_options_t opts = {.ops = &REMOVE_OPS, .user = stats, .ctx = ctx,
                                .message = "removing", .stats = stats};
    int rc = tree_walk_fd(fd, path, -1, &opts, err);
    if (rc == ALFUP_OK && remove_self)
        rc = remove_folder(stats, &self, err);
    return rc;
}

int tree_remove(step_context_t *ctx, const char *path, int remove_self, tree_remove_stats_t *stats,
                alfup_err_t *err)
{
    tree_remove_stats_t ignored = {0};
    const char *name = NULL;
    int parent_fd = tree_walk_open_parent(path, &name);
    if (parent_fd < 0)
        return errno == ENOENT ? ALFUP_OK
                               : alfup_err_errno(err, errno, "open the folder holding %s", path);
    int rc = remove_at(ctx, parent_fd, name, path, remove_self, stats ? stats : &ignored, err);
    close(parent_fd);
    return rc;
}

int tree_remove_contents(const char *path, tree_remove_stats_t *stats, alfup_err_t *err)
{
    return tree_remove(NULL, path, 0, stats, err);
}

int tree_remove_all(const char *path, tree_remove_stats_t *stats, alfup_err_t *err)
{
    return tree_remove(NULL, path, 1, stats, err);
}

int tree_is_empty(const char *path, alfup_err_t *err)
{
    int fd = tree_walk_open(path, O_DIRECTORY);
    if (fd < 0)
        return errno == ENOENT ? TREE_MISSING : alfup_err_errno(err, errno, "open %s", path);
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        int saved = errno;
        close(fd);
        return alfup_err_errno(err, saved, "open %s", path);
    }
    int empty = TREE_EMPTY;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            empty = TREE_NOT_EMPTY;
            break;
        }
    }
    closedir(dir);
    return empty;
}
