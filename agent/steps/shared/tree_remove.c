/* tree_remove.c -- recursive deletion with openat/unlinkat: no symlink is followed. */
#include "tree_remove.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"

/* Empties the folder open as dir_fd (which this function closes). dev is the
 * file system the walk may not leave. where names the folder in messages. */
static int empty_dir_fd(int dir_fd, dev_t dev, const char *where, tree_remove_stats_t *stats,
                        alfup_err_t *err)
{
    DIR *dir = fdopendir(dir_fd);
    if (dir == NULL) {
        int saved = errno;
        close(dir_fd);
        return alfup_err_errno(err, saved, "remove %s", where);
    }
    int rc = ALFUP_OK;
    struct dirent *entry;
    while (rc == ALFUP_OK && (errno = 0, entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = alfup_err_errno(err, errno, "remove %s/%s", where, name);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) {
                rc = alfup_err_set(err, "remove %s/%s: a mount point; refusing to cross it", where, name);
                break;
            }
            int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            char child_where[4096];
            snprintf(child_where, sizeof child_where, "%s/%s", where, name);
            if (child < 0)
                rc = alfup_err_errno(err, errno, "remove %s", child_where);
            else
                rc = empty_dir_fd(child, dev, child_where, stats, err);
            if (rc == ALFUP_OK && unlinkat(dirfd(dir), name, AT_REMOVEDIR) != 0)
                rc = alfup_err_errno(err, errno, "remove %s", child_where);
            if (rc == ALFUP_OK && stats)
                stats->folders++;
        } else {
            if (unlinkat(dirfd(dir), name, 0) != 0) {
                rc = alfup_err_errno(err, errno, "remove %s/%s", where, name);
                break;
            }
            if (stats) {
                stats->files++;
                if (S_ISREG(st.st_mode))
                    stats->bytes += (uint64_t)st.st_size;
            }
        }
    }
    if (rc == ALFUP_OK && errno != 0)
        rc = alfup_err_errno(err, errno, "read folder %s", where);
    closedir(dir);
    return rc;
}

int tree_remove_contents(const char *path, tree_remove_stats_t *stats, alfup_err_t *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return ALFUP_OK;
    if (fd < 0)
        return alfup_err_errno(err, errno, "remove contents of %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return alfup_err_errno(err, saved, "stat %s", path);
    }
    return empty_dir_fd(fd, st.st_dev, path, stats, err);
}

int tree_remove_all(const char *path, tree_remove_stats_t *stats, alfup_err_t *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "remove %s", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0)
            return alfup_err_errno(err, errno, "remove %s", path);
        if (stats) {
            stats->files++;
            stats->bytes += S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        }
        return ALFUP_OK;
    }
    if (tree_remove_contents(path, stats, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (rmdir(path) != 0)
        return alfup_err_errno(err, errno, "remove %s", path);
    if (stats)
        stats->folders++;
    return ALFUP_OK;
}

int tree_is_empty(const char *path, alfup_err_t *err)
{
    DIR *dir = opendir(path);
    if (dir == NULL)
        return errno == ENOENT ? TREE_MISSING : alfup_err_errno(err, errno, "open %s", path);
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
