/* file_util.c -- durable file writes, bounded reads, folder creation. */
#include "file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_mkdir_p(const char *path, mode_t mode, alfup_err_t *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return alfup_err_set(err, "mkdir %s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return alfup_err_errno(err, errno, "mkdir %s", buf);
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return alfup_err_errno(err, errno, "mkdir %s", buf);
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return alfup_err_set(err, "mkdir %s: exists and is not a folder", buf);
    return ALFUP_OK;
}

int file_sync_parent(const char *path, alfup_err_t *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return alfup_err_set(err, "fsync parent of %s: path too long", path);
    const char *parent = dirname(buf);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s", parent);
    int rc = fsync(fd) == 0 ? ALFUP_OK : alfup_err_errno(err, errno, "fsync %s", parent);
    close(fd);
    return rc;
}

static int write_all(int fd, const uint8_t *bytes, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        bytes += n;
        len -= (size_t)n;
    }
    return 0;
}

int file_write_atomic(const char *path, const uint8_t *bytes, size_t len, mode_t mode,
                      alfup_err_t *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return alfup_err_set(err, "write %s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return alfup_err_errno(err, errno, "create %s", tmp);
    if (write_all(fd, bytes, len) != 0 || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return alfup_err_errno(err, saved, "write %s", tmp);
    }
    if (close(fd) != 0) {
        int saved = errno;
        unlink(tmp);
        return alfup_err_errno(err, saved, "close %s", tmp);
    }
    if (rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return alfup_err_errno(err, saved, "rename %s to %s", tmp, path);
    }
    return file_sync_parent(path, err);
}

int file_touch_durable(const char *path, mode_t mode, alfup_err_t *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return alfup_err_errno(err, errno, "create %s", path);
    if (close(fd) != 0)
        return alfup_err_errno(err, errno, "close %s", path);
    return file_sync_parent(path, err);
}

int file_read_all(const char *path, size_t max, uint8_t **bytes, size_t *len, alfup_err_t *err)
{
    *bytes = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return FILE_MISSING;
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s", path);
    struct stat st;
    int rc = ALFUP_ERR;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) != 0) {
        alfup_err_errno(err, errno, "stat %s", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        alfup_err_set(err, "read %s: not a regular file of at most %zu bytes", path, max);
        goto out;
    }
    size_t size = (size_t)st.st_size;
    buf = malloc(size + 1);
    if (buf == NULL) {
        alfup_err_set(err, "read %s: out of memory", path);
        goto out;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            alfup_err_errno(err, n < 0 ? errno : EIO, "read %s", path);
            goto out;
        }
        got += (size_t)n;
    }
    buf[size] = '\0';
    *bytes = buf;
    *len = size;
    buf = NULL;
    rc = ALFUP_OK;
out:
    free(buf);
    close(fd);
    return rc;
}
