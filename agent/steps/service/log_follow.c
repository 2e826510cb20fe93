/* log_follow.c -- follow a growing log file line by line (tail -F), bounded. */
#include "log_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_FOLLOW_CHUNK 8192u

struct log_follow {
    char *path;
    int fd;                   /* -1 until the file exists */
    dev_t dev;
    ino_t ino;
    uint64_t offset;          /* next byte to read in the open file */
    char line[LOG_FOLLOW_LINE_MAX + 1];
    size_t used;
    int skipping;             /* dropping the rest of an over-long line */
};

int log_follow_size(const char *path, uint64_t *size, alfup_err_t *err)
{
    struct stat st;
    *size = 0;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return ALFUP_OK;
        return alfup_err_errno(err, errno, "log %s: stat", path);
    }
    *size = (uint64_t)st.st_size;
    return ALFUP_OK;
}

log_follow_t *log_follow_new(const char *path, uint64_t offset)
{
    log_follow_t *follow = calloc(1, sizeof *follow);
    if (follow == NULL)
        return NULL;
    follow->path = strdup(path);
    if (follow->path == NULL) {
        free(follow);
        return NULL;
    }
    follow->fd = -1;
    follow->offset = offset;
    return follow;
}

void log_follow_destroy(log_follow_t **follow_p)
{
    if (follow_p == NULL || *follow_p == NULL)
        return;
    log_follow_t *follow = *follow_p;
    if (follow->fd >= 0)
        close(follow->fd);
    free(follow->path);
    free(follow);
    *follow_p = NULL;
}

/* Opens the file when it exists; keeps the offset unless the file is shorter. */
static int follow_open(log_follow_t *follow, alfup_err_t *err)
{
    int fd = open(follow->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "log %s: open", follow->path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return alfup_err_errno(err, errno, "log %s: fstat", follow->path);
    }
    follow->fd = fd;
    follow->dev = st.st_dev;
    follow->ino = st.st_ino;
    if ((uint64_t)st.st_size < follow->offset)
        follow->offset = 0;
    return ALFUP_OK;
}

static void follow_restart(log_follow_t *follow)
{
    follow->offset = 0;
    follow->used = 0;
    follow->skipping = 0;
}

/* Adds one byte to the current line; returns 1 when a line is complete. */
static int follow_take(log_follow_t *follow, char byte)
{
    if (byte == '\n') {
        int had_line = !follow->skipping;
        follow->skipping = 0;
        return had_line;
    }
    if (follow->skipping)
        return 0;
    follow->line[follow->used++] = byte;
    if (follow->used == LOG_FOLLOW_LINE_MAX) {
        follow->skipping = 1;
        return 1;
    }
    return 0;
}

/* Reads from the open file until EOF, the byte budget, or fn asks to stop.
 * Returns lines passed, or ALFUP_ERR. *stopped is set when fn stopped,
 * *at_eof when the end of the file was reached. */
static int follow_read(log_follow_t *follow, log_line_fn fn, void *arg, int *stopped,
                       int *at_eof, alfup_err_t *err)
{
    char chunk[LOG_FOLLOW_CHUNK];
    int lines = 0;
    size_t budget = LOG_FOLLOW_POLL_BYTES;
    while (budget > 0 && !*stopped) {
        size_t want = budget < sizeof chunk ? budget : sizeof chunk;
        ssize_t n = pread(follow->fd, chunk, want, (off_t)follow->offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return alfup_err_errno(err, errno, "log %s: read", follow->path);
        if (n == 0) {
            *at_eof = 1;
            break;
        }
        budget -= (size_t)n;
        for (ssize_t i = 0; i < n && !*stopped; i++) {
            follow->offset++;
            if (!follow_take(follow, chunk[i]))
                continue;
            follow->line[follow->used] = '\0';
            follow->used = 0;
            lines++;
            *stopped = fn(arg, follow->line) != 0;
        }
    }
    return lines;
}

/* 1 when path now names another file than the open one (rotation). */
static int follow_rotated(const log_follow_t *follow)
{
    struct stat st;
    if (stat(follow->path, &st) != 0)
        return 0;    /* moved away, not recreated yet: keep draining the old one */
    return st.st_dev != follow->dev || st.st_ino != follow->ino;
}

int log_follow_poll(log_follow_t *follow, log_line_fn fn, void *arg, alfup_err_t *err)
{
    if (follow->fd < 0 && follow_open(follow, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (follow->fd < 0)
        return 0;
    struct stat st;
    if (fstat(follow->fd, &st) != 0)
        return alfup_err_errno(err, errno, "log %s: fstat", follow->path);
    if ((uint64_t)st.st_size < follow->offset)
        follow_restart(follow);     /* truncated (copytruncate rotation, or > file) */
    int stopped = 0, at_eof = 0;
    int lines = follow_read(follow, fn, arg, &stopped, &at_eof, err);
    if (lines < 0 || stopped || !at_eof)
        return lines;
    if (follow_rotated(follow)) {
        close(follow->fd);
        follow->fd = -1;
        follow_restart(follow);
        if (follow_open(follow, err) != ALFUP_OK)
            return ALFUP_ERR;
    }
    return lines;
}
