/* archive_extract.c -- libarchive disk writer with the secure flags, re-rooted below a target. */
#include "archive_extract.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_path.h"
#include "page_cache.h"

struct archive_extract {
    char *target;
    struct archive *disk;
    int allow_hardlinks;
    char *full_path; /* scratch: target/rel */
    char *full_link; /* scratch: target/hardlink_rel */
    int keep_owner;  /* OWNER is in effect */
    int has_root;    /* root_* below are set */
    mode_t root_mode;
    uid_t root_uid;
    gid_t root_gid;
    struct timespec root_mtime;
    str_list_t cleared;     /* entries whose special bits were cleared (the first few) */
    uint64_t cleared_count;
    int drop_cache;
    int64_t file_size; /* the entry being written is a regular file of this size; -1 otherwise */
    page_cache_ring_t written;
};

archive_extract_t *archive_extract_new(const char *target, const archive_extract_options_t *options, alfup_err_t *err)
{
    archive_extract_t *extract = calloc(1, sizeof *extract);
    if (extract == NULL)
        return alfup_err_set(err, "extract to %s: out of memory", target), NULL;
    extract->allow_hardlinks = options->allow_hardlinks;
    extract->drop_cache = options->drop_cache;
    extract->file_size = -1;
    page_cache_ring_init(&extract->written);
    extract->target = strdup(target);
    extract->disk = archive_write_disk_new();
    if (extract->target == NULL || extract->disk == NULL) {
        alfup_err_set(err, "extract to %s: out of memory", target);
        archive_extract_destroy(&extract);
        return NULL;
    }
    int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_PERM |
                ARCHIVE_EXTRACT_TIME; /* no ARCHIVE_EXTRACT_UNLINK: it would replace a symlink met
                                         inside a path instead of refusing the entry */
    if (options->keep_owner && geteuid() == 0) {
        flags |= ARCHIVE_EXTRACT_OWNER;
        extract->keep_owner = 1;
    }
    if (archive_write_disk_set_options(extract->disk, flags) != ARCHIVE_OK) {
        alfup_err_set(err, "extract to %s: %s", target, archive_error_string(extract->disk));
        archive_extract_destroy(&extract);
    }
    return extract;
}

/* The special bits of perm that a file of type may not keep when root
 * writes it: setuid, setgid and sticky on anything but a folder, setuid on
 * a folder (a folder's setgid and sticky grant nothing and stay). */
static mode_t bits_to_clear(mode_t type, mode_t perm)
{
    mode_t special = type == AE_IFDIR ? S_ISUID : S_ISUID | S_ISGID | S_ISVTX;
    return perm & special;
}

/* Clears entry's special bits when it has any, noting shown. 0 or -1 (memory). */
static int clear_special_bits(archive_extract_t *extract, struct archive_entry *entry, const char *shown)
{
    mode_t perm = archive_entry_perm(entry) & 07777;
    mode_t drop = bits_to_clear(archive_entry_filetype(entry), perm);
    if (drop == 0)
        return 0;
    archive_entry_set_perm(entry, perm & ~drop);
    if (extract->cleared_count++ < ARCHIVE_EXTRACT_CLEARED_LISTED)
        return str_list_addf(&extract->cleared, "%s (%04o)", shown, (unsigned)perm);
    return 0;
}

/* target + "/" + rel (without rel's trailing '/') into *out. 0 or -1. */
static int join_target(const archive_extract_t *extract, const char *rel, char **out)
{
    free(*out);
    *out = NULL;
    if (asprintf(out, "%s/%.*s", extract->target, (int)archive_path_len(rel), rel) < 0) {
        *out = NULL;
        return -1;
    }
    return 0;
}

int archive_extract_header(archive_extract_t *extract, struct archive_entry *entry, const char *rel,
                           const char *hardlink_rel, const char *shown, alfup_err_t *err)
{
    if (!archive_path_is_safe(rel))
        return alfup_err_set(err, "entry '%s': absolute path, '..' or empty component; refused", shown);
    mode_t type = archive_entry_filetype(entry);
    if (hardlink_rel != NULL) {
        if (!extract->allow_hardlinks)
            return alfup_err_set(err, "entry '%s': hardlinks are not allowed here; refused", shown);
        if (!archive_path_is_safe(hardlink_rel))
            return alfup_err_set(err, "entry '%s': hardlink to '%s' points outside; refused", shown,
                                 archive_entry_hardlink(entry));
    } else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
        return alfup_err_set(err, "entry '%s': device node, fifo or socket; refused", shown);
    }
    if (join_target(extract, rel, &extract->full_path) != 0 ||
        (hardlink_rel != NULL && join_target(extract, hardlink_rel, &extract->full_link) != 0) ||
        (hardlink_rel == NULL && type != AE_IFLNK && clear_special_bits(extract, entry, shown) != 0))
        return alfup_err_set(err, "entry '%s': out of memory", shown);
    archive_entry_copy_pathname(entry, extract->full_path);
    if (hardlink_rel != NULL)
        archive_entry_copy_hardlink(entry, extract->full_link);
    extract->file_size = hardlink_rel == NULL && type == AE_IFREG ? archive_entry_size(entry) : -1;
    int rc = archive_write_header(extract->disk, entry);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
        return alfup_err_set(err, "entry '%s': %s", shown, archive_error_string(extract->disk));
    return ALFUP_OK;
}

int archive_extract_data(archive_extract_t *extract, const void *bytes, size_t len, int64_t offset, const char *shown,
                         alfup_err_t *err)
{
    la_ssize_t rc = archive_write_data_block(extract->disk, bytes, len, offset);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
        return alfup_err_set(err, "entry '%s': %s", shown, archive_error_string(extract->disk));
    return ALFUP_OK;
}

int archive_extract_finish_entry(archive_extract_t *extract, const char *shown, alfup_err_t *err)
{
    int rc = archive_write_finish_entry(extract->disk);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
        return alfup_err_set(err, "entry '%s': %s", shown, archive_error_string(extract->disk));
    if (extract->drop_cache && extract->file_size >= 0)
        page_cache_ring_push(&extract->written, extract->full_path, (uint64_t)extract->file_size);
    extract->file_size = -1;
    return ALFUP_OK;
}

void archive_extract_set_root(archive_extract_t *extract, struct archive_entry *entry)
{
    extract->has_root = 1;
    extract->root_mode = archive_entry_perm(entry) & 07777;
    extract->root_mode &= ~bits_to_clear(AE_IFDIR, extract->root_mode);
    extract->root_uid = (uid_t)archive_entry_uid(entry);
    extract->root_gid = (gid_t)archive_entry_gid(entry);
    extract->root_mtime.tv_sec = archive_entry_mtime(entry);
    extract->root_mtime.tv_nsec = archive_entry_mtime_nsec(entry);
}

/* Gives the target folder the tree root's owner, mode and mtime. */
static int apply_root(const archive_extract_t *extract, alfup_err_t *err)
{
    if (extract->keep_owner && lchown(extract->target, extract->root_uid, extract->root_gid) != 0)
        return alfup_err_errno(err, errno, "chown %s", extract->target);
    if (chmod(extract->target, extract->root_mode) != 0)
        return alfup_err_errno(err, errno, "chmod %s", extract->target);
    struct timespec times[2] = {extract->root_mtime, extract->root_mtime};
    if (utimensat(AT_FDCWD, extract->target, times, AT_SYMLINK_NOFOLLOW) != 0)
        return alfup_err_errno(err, errno, "set times of %s", extract->target);
    return ALFUP_OK;
}

int archive_extract_close(archive_extract_t *extract, alfup_err_t *err)
{
    page_cache_ring_flush(&extract->written);
    if (archive_write_close(extract->disk) != ARCHIVE_OK)
        return alfup_err_set(err, "extract to %s: %s", extract->target, archive_error_string(extract->disk));
    return extract->has_root ? apply_root(extract, err) : ALFUP_OK;
}

int archive_extract_report(const archive_extract_t *extract, step_context_t *ctx)
{
    if (extract->cleared_count == 0 || ctx == NULL)
        return 0;
    const str_list_t *listed = &extract->cleared;
    for (size_t i = 0; i < listed->count; i++)
        if (kv_list_add(&ctx->result->outputs, "cleared_special_bits", listed->items[i]) != 0)
            return -1;
    unsigned long long count = (unsigned long long)extract->cleared_count;
    if (kv_list_addf(&ctx->result->outputs, "cleared_special_bits_total", "%llu", count) != 0)
        return -1;
    return str_list_addf(&ctx->result->log_lines,
                         "setuid/setgid/sticky bits cleared on %llu entries written to %s (first: %s)",
                         count, extract->target, listed->count ? listed->items[0] : "?");
}

void archive_extract_destroy(archive_extract_t **extract_p)
{
    if (extract_p == NULL || *extract_p == NULL)
        return;
    archive_extract_t *extract = *extract_p;
    page_cache_ring_flush(&extract->written);
    if (extract->disk != NULL)
        archive_write_free(extract->disk);
    free(extract->target);
    free(extract->full_path);
    free(extract->full_link);
    str_list_clear(&extract->cleared);
    free(extract);
    *extract_p = NULL;
}
