/* extension_copy.c -- recursive, non-overwriting copy of an extension folder, through tree_walk. */
#include "extension_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"
#include "layout_util.h"
#include "tree_walk.h"

#define COMPARE_CHUNK 16384

typedef struct copy_walk {
    extension_copy_outcome_t *outcome;
    const char *dst_dir;
    tree_walk_stats_t stats;    /* files copied or compared, for progress */
} copy_walk_t;

void extension_copy_outcome_clear(extension_copy_outcome_t *outcome)
{
    str_list_clear(&outcome->copied);
    str_list_clear(&outcome->conflicts);
    str_list_clear(&outcome->skipped);
}

static ssize_t read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* 1 when the opened file in holds the bytes of name in dir_fd (a regular
 * file, not followed), 0 when not (or unreadable). */
static int same_contents(int in, int dir_fd, const char *name)
{
    int other = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    int same = other >= 0 && fstat(other, &st) == 0 && S_ISREG(st.st_mode) &&
               lseek(in, 0, SEEK_SET) == 0;
    char ca[COMPARE_CHUNK], cb[COMPARE_CHUNK];
    while (same) {
        ssize_t na = read_full(in, ca, sizeof ca), nb = read_full(other, cb, sizeof cb);
        same = na >= 0 && na == nb && memcmp(ca, cb, (size_t)na) == 0;
        if (na <= 0)
            break;
    }
    if (other >= 0)
        close(other);
    return same;
}

static int note(str_list_t *list, const char *rel, alfup_err_t *err)
{
    return str_list_add(list, rel) == 0 ? ALFUP_OK : alfup_err_set(err, "%s: out of memory", rel);
}

/* A source folder: the destination folder is made (mode's permission bits)
 * or opened, never followed, and walked beside it. */
static int copy_enter(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err)
{
    copy_walk_t *walk = user;
    struct stat dst;
    int exists = fstatat(entry->aux_fd, entry->name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT)
        return alfup_err_errno(err, errno, "stat %s/%s", walk->dst_dir, entry->rel);
    if (exists && !S_ISDIR(dst.st_mode))
        return note(&walk->outcome->conflicts, entry->rel, err) == ALFUP_OK ? TREE_WALK_SKIP
                                                                           : ALFUP_ERR;
    if (!exists && mkdirat(entry->aux_fd, entry->name, 0700) != 0)
        return alfup_err_errno(err, errno, "mkdir %s/%s", walk->dst_dir, entry->rel);
    int fd = openat(entry->aux_fd, entry->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (!exists && fchmod(fd, entry->st.st_mode & 0777) != 0)) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return alfup_err_errno(err, saved, "open %s/%s", walk->dst_dir, entry->rel);
    }
    *child_aux = fd;
    return TREE_WALK_DESCEND;
}

/* A source file opened as in (fstat'ed as st): compared or copied. */
static int copy_opened(copy_walk_t *walk, const tree_walk_entry_t *entry, int in,
                       const struct stat *st, alfup_err_t *err)
{
    char shown[PATH_MAX];
    snprintf(shown, sizeof shown, "%s/%s", walk->dst_dir, entry->rel);
    struct stat dst;
    if (fstatat(entry->aux_fd, entry->name, &dst, AT_SYMLINK_NOFOLLOW) == 0)
        return same_contents(in, entry->aux_fd, entry->name)
                   ? ALFUP_OK
                   : note(&walk->outcome->conflicts, entry->rel, err);
    if (errno != ENOENT)
        return alfup_err_errno(err, errno, "stat %s", shown);
    if (layout_copy_fd(in, entry->aux_fd, entry->name, st->st_mode, 0, shown, err) != ALFUP_OK)
        return ALFUP_ERR;
    walk->stats.bytes += (uint64_t)st->st_size;
    return note(&walk->outcome->copied, entry->rel, err);
}

/* A source non-folder: regular files are opened without following and
 * judged by what was opened (fstat), so a swap cannot lead elsewhere. */
static int copy_visit(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    copy_walk_t *walk = user;
    if (!S_ISREG(entry->st.st_mode))
        return note(&walk->outcome->skipped, entry->rel, err);
    if (++walk->stats.files > EXTENSION_COPY_FILES)
        return alfup_err_set(err, "%s: more than %u files", entry->shown, EXTENSION_COPY_FILES);
    int in = openat(entry->dir_fd, entry->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0 && errno == ELOOP)
        return note(&walk->outcome->skipped, entry->rel, err);
    if (in < 0)
        return alfup_err_errno(err, errno, "open %s", entry->shown);
    struct stat st;
    int rc;
    if (fstat(in, &st) != 0)
        rc = alfup_err_errno(err, errno, "stat %s", entry->shown);
    else if (!S_ISREG(st.st_mode))
        rc = note(&walk->outcome->skipped, entry->rel, err);
    else
        rc = copy_opened(walk, entry, in, &st, err);
    close(in);
    return rc;
}

static const tree_walk_ops_t COPY_OPS = {.visit = copy_visit, .enter = copy_enter};

/* Opens dst_dir (canonical), making it with mode when missing. -1 with err. */
static int open_destination(const char *dst_dir, mode_t mode, alfup_err_t *err)
{
    int fd = tree_walk_open(dst_dir, O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
        if (file_mkdir_p(dst_dir, mode & 0777, err) != ALFUP_OK)
            return -1;
        fd = tree_walk_open(dst_dir, O_DIRECTORY);
    }
    if (fd < 0)
        alfup_err_errno(err, errno, "open %s (not a folder, or a symlink in its path)", dst_dir);
    return fd;
}

int extension_copy(step_context_t *ctx, const char *src_dir, const char *dst_dir,
                   extension_copy_outcome_t *outcome, alfup_err_t *err)
{
    int src = tree_walk_open(src_dir, O_DIRECTORY);
    if (src < 0 && errno == ENOENT)
        return ALFUP_OK;
    if (src < 0)
        return alfup_err_errno(err, errno, "open %s (not a folder, or a symlink in its path)",
                               src_dir);
    struct stat st;
    int dst = fstat(src, &st) == 0 ? open_destination(dst_dir, st.st_mode, err)
                                   : alfup_err_errno(err, errno, "stat %s", src_dir);
    if (dst < 0) {
        close(src);
        return ALFUP_ERR;
    }
    copy_walk_t walk = {.outcome = outcome, .dst_dir = dst_dir};
    tree_walk_options_t opts = {.ops = &COPY_OPS, .user = &walk, .ctx = ctx,
                                .message = "copying extension files", .stats = &walk.stats,
                                .max_depth = EXTENSION_COPY_DEPTH};
    int rc = tree_walk_fd(src, src_dir, dst, &opts, err);
    close(dst);
    return rc;
}
