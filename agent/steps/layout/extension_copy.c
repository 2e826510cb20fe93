/* extension_copy.c -- recursive, non-overwriting copy of an extension folder. */
#include "extension_copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"
#include "layout_util.h"

#define COMPARE_CHUNK 16384

typedef struct copy_walk {
    step_context_t *ctx;
    extension_copy_outcome_t *outcome;
    unsigned files;
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

/* 1 when both regular files hold the same bytes, 0 when not (or unreadable). */
static int same_contents(const char *a, const char *b)
{
    static const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
    int fa = open(a, flags), fb = open(b, flags), same = fa >= 0 && fb >= 0;
    char ca[COMPARE_CHUNK], cb[COMPARE_CHUNK];
    while (same) {
        ssize_t na = read_full(fa, ca, sizeof ca), nb = read_full(fb, cb, sizeof cb);
        same = na >= 0 && na == nb && memcmp(ca, cb, (size_t)na) == 0;
        if (na <= 0)
            break;
    }
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    return same;
}

static int copy_dir(copy_walk_t *walk, const char *src, const char *dst, const char *rel,
                    int depth, alfup_err_t *err);

static int note(str_list_t *list, const char *rel, alfup_err_t *err)
{
    return str_list_add(list, rel) == 0 ? ALFUP_OK : alfup_err_set(err, "%s: out of memory", rel);
}

/* Handles one source entry (src/name, already lstat'ed as st). */
static int copy_entry(copy_walk_t *walk, const char *src, const char *dst, const char *rel,
                      const struct stat *st, int depth, alfup_err_t *err)
{
    struct stat dst_st;
    int dst_exists = lstat(dst, &dst_st) == 0;
    if (!dst_exists && errno != ENOENT)
        return alfup_err_errno(err, errno, "stat %s", dst);
    if (S_ISDIR(st->st_mode)) {
        if (dst_exists && !S_ISDIR(dst_st.st_mode))
            return note(&walk->outcome->conflicts, rel, err);
        if (!dst_exists && (mkdir(dst, st->st_mode & 07777) != 0 ||
                            chmod(dst, st->st_mode & 07777) != 0))
            return alfup_err_errno(err, errno, "mkdir %s", dst);
        return copy_dir(walk, src, dst, rel, depth + 1, err);
    }
    if (!S_ISREG(st->st_mode))
        return note(&walk->outcome->skipped, rel, err);
    if (++walk->files > EXTENSION_COPY_FILES)
        return alfup_err_set(err, "%s: more than %u files", src, EXTENSION_COPY_FILES);
    step_progress_t progress = {.files_done = walk->files, .message = "copying extension files"};
    step_report(walk->ctx, &progress);
    if (dst_exists)
        return same_contents(src, dst) ? ALFUP_OK : note(&walk->outcome->conflicts, rel, err);
    if (layout_copy_file(src, dst, st->st_mode, err) != ALFUP_OK)
        return ALFUP_ERR;
    return note(&walk->outcome->copied, rel, err);
}

static int copy_dir(copy_walk_t *walk, const char *src, const char *dst, const char *rel,
                    int depth, alfup_err_t *err)
{
    if (depth > EXTENSION_COPY_DEPTH)
        return alfup_err_set(err, "%s: folders nested deeper than %d", src, EXTENSION_COPY_DEPTH);
    DIR *dir = opendir(src);
    if (dir == NULL)
        return alfup_err_errno(err, errno, "open %s", src);
    int rc = ALFUP_OK;
    struct dirent *entry;
    while (rc == ALFUP_OK && (errno = 0, entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (step_cancelled(walk->ctx)) {
            rc = LAYOUT_CANCELLED;
            break;
        }
        char src_child[PATH_MAX], dst_child[PATH_MAX], rel_child[PATH_MAX];
        struct stat st;
        if (snprintf(src_child, sizeof src_child, "%s/%s", src, name) >= (int)sizeof src_child ||
            snprintf(dst_child, sizeof dst_child, "%s/%s", dst, name) >= (int)sizeof dst_child ||
            snprintf(rel_child, sizeof rel_child, "%s%s%s", rel, rel[0] ? "/" : "", name) >=
                (int)sizeof rel_child)
            rc = alfup_err_set(err, "%s/%s: path too long", src, name);
        else if (lstat(src_child, &st) != 0)
            rc = alfup_err_errno(err, errno, "stat %s", src_child);
        else
            rc = copy_entry(walk, src_child, dst_child, rel_child, &st, depth, err);
    }
    if (rc == ALFUP_OK && errno != 0)
        rc = alfup_err_errno(err, errno, "read folder %s", src);
    closedir(dir);
    return rc;
}

int extension_copy(step_context_t *ctx, const char *src_dir, const char *dst_dir,
                   extension_copy_outcome_t *outcome, alfup_err_t *err)
{
    struct stat st;
    if (lstat(src_dir, &st) != 0)
        return errno == ENOENT ? ALFUP_OK : alfup_err_errno(err, errno, "stat %s", src_dir);
    if (!S_ISDIR(st.st_mode))
        return alfup_err_set(err, "%s is not a folder", src_dir);
    struct stat dst_st;
    if (lstat(dst_dir, &dst_st) != 0) {
        if (errno != ENOENT)
            return alfup_err_errno(err, errno, "stat %s", dst_dir);
        if (file_mkdir_p(dst_dir, st.st_mode & 07777, err) != ALFUP_OK)
            return ALFUP_ERR;
    } else if (!S_ISDIR(dst_st.st_mode)) {
        return alfup_err_set(err, "%s exists and is not a folder", dst_dir);
    }
    copy_walk_t walk = {.ctx = ctx, .outcome = outcome, .files = 0};
    return copy_dir(&walk, src_dir, dst_dir, "", 0, err);
}
