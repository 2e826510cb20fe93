/* archive_writer.c -- tree backup: tree_walk, pax entries, zstd with worker threads, manifest last. */
#include "archive_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_path.h"
#include "archive_stream.h"
#include "file_util.h"
#include "manifest.h"
#include "tree_walk.h"

#define WRITER_BLOCK (1024u * 1024u)       /* file read size */
#define WRITER_ARCHIVE_BLOCK (1024 * 1024) /* bytes libarchive hands to the stream at once */

struct archive_writer {
    char *path; /* final name */
    char *tmp_path;
    int fd;
    struct archive *archive;
    struct archive_entry *entry;
    archive_stream_t *stream;
    manifest_t *manifest;
    archive_digest_t *file_digest;
    unsigned char *block;
    archive_progress_t *progress;
    str_list_t *log;
    int opened;   /* libarchive's filter chain is open (archive_write_open succeeded) */
    int finished;
};

/* Counts a regular file for progress (both callbacks of the scan). */
static int scan_entry(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    archive_progress_t *progress = user;
    (void)err;
    if (S_ISREG(entry->st.st_mode)) {
        progress->counts.files_total++;
        progress->counts.bytes_total += (uint64_t)entry->st.st_size;
    }
    return archive_progress_tick(progress, 0) == ARCHIVE_CANCELLED ? ARCHIVE_CANCELLED : ALFUP_OK;
}

static int scan_folder(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err)
{
    (void)child_aux;
    int rc = scan_entry(user, entry, err);
    return rc == ALFUP_OK ? TREE_WALK_DESCEND : rc;
}

static const tree_walk_ops_t SCAN_OPS = {.visit = scan_entry, .enter = scan_folder};

int archive_tree_scan(const char *root, archive_progress_t *progress, alfup_err_t *err)
{
    tree_walk_options_t opts = {.ops = &SCAN_OPS, .user = progress, .cross_devices = 1};
    int rc = tree_walk(root, -1, &opts, err);
    if (rc == TREE_WALK_MISSING)
        return alfup_err_set(err, "scan %s: it does not exist", root);
    if (rc != ALFUP_OK && rc != ARCHIVE_CANCELLED)
        alfup_err_prefix(err, "scan %s", root);
    return rc;
}

/* Sets the zstd options, falling back to libarchive's defaults with a log line. */
static void set_zstd_options(archive_writer_t *writer, const archive_writer_options_t *options)
{
    char value[32];
    snprintf(value, sizeof value, "%d", options->zstd_level);
    if (archive_write_set_filter_option(writer->archive, "zstd", "compression-level", value) != ARCHIVE_OK &&
        writer->log != NULL)
        str_list_addf(writer->log, "zstd compression-level %s not accepted (%s); using the default", value,
                      archive_error_string(writer->archive));
    long threads = options->threads > 0 ? options->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    if (threads > ARCHIVE_THREADS_MAX)
        threads = ARCHIVE_THREADS_MAX;
    snprintf(value, sizeof value, "%ld", threads);
    if (archive_write_set_filter_option(writer->archive, "zstd", "threads", value) != ARCHIVE_OK && writer->log != NULL)
        str_list_addf(writer->log, "zstd threads=%s not accepted (%s); compressing in one thread", value,
                      archive_error_string(writer->archive));
}

static int open_archive(archive_writer_t *writer, const archive_writer_options_t *options, alfup_err_t *err)
{
    writer->archive = archive_write_new();
    writer->entry = archive_entry_new();
    if (writer->archive == NULL || writer->entry == NULL)
        return alfup_err_set(err, "%s: out of memory", writer->path);
    if (archive_write_set_format_pax(writer->archive) != ARCHIVE_OK ||
        archive_write_add_filter_zstd(writer->archive) != ARCHIVE_OK)
        return alfup_err_set(err, "%s: %s", writer->path, archive_error_string(writer->archive));
    /* names are bytes on Linux: store them as they are, whatever the locale */
    if (archive_write_set_format_option(writer->archive, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK)
        return alfup_err_set(err, "%s: %s", writer->path, archive_error_string(writer->archive));
    set_zstd_options(writer, options);
    archive_write_set_bytes_per_block(writer->archive, WRITER_ARCHIVE_BLOCK);
    archive_write_set_bytes_in_last_block(writer->archive, 1);
    writer->stream = archive_stream_new(writer->fd, writer->tmp_path, err);
    if (writer->stream == NULL)
        return ALFUP_ERR;
    if (archive_stream_open_write(writer->stream, writer->archive, err) != ALFUP_OK)
        return ALFUP_ERR;
    writer->opened = 1;
    return ALFUP_OK;
}

archive_writer_t *archive_writer_new(const char *path, const archive_writer_options_t *options,
                                     archive_progress_t *progress, str_list_t *log, alfup_err_t *err)
{
    archive_writer_t *writer = calloc(1, sizeof *writer);
    if (writer == NULL)
        return alfup_err_set(err, "%s: out of memory", path), NULL;
    writer->fd = -1;
    writer->progress = progress;
    writer->log = log;
    writer->path = strdup(path);
    if (writer->path == NULL || asprintf(&writer->tmp_path, "%s.tmp.XXXXXX", path) < 0) {
        writer->tmp_path = NULL;
        alfup_err_set(err, "%s: out of memory", path);
        goto fail;
    }
    if (access(path, F_OK) == 0) {
        alfup_err_set(err, "archive %s already exists; refusing to replace it", path);
        goto fail;
    }
    writer->fd = mkostemp(writer->tmp_path, O_CLOEXEC);
    if (writer->fd < 0) {
        alfup_err_errno(err, errno, "create %s", writer->tmp_path);
        free(writer->tmp_path);
        writer->tmp_path = NULL;
        goto fail;
    }
    writer->manifest = manifest_new();
    writer->file_digest = archive_digest_new(err);
    writer->block = malloc(WRITER_BLOCK);
    if (writer->manifest == NULL || writer->file_digest == NULL || writer->block == NULL) {
        alfup_err_set(err, "%s: out of memory", path);
        goto fail;
    }
    if (open_archive(writer, options, err) != ALFUP_OK)
        goto fail;
    return writer;
fail:
    archive_writer_destroy(&writer);
    return NULL;
}

/* libarchive's error for the writer, preferring the stream's own I/O error. */
static int archive_failed(archive_writer_t *writer, const char *what, alfup_err_t *err)
{
    const char *io = archive_stream_io_error(writer->stream);
    return alfup_err_set(err, "%s: %s", what, io ? io : archive_error_string(writer->archive));
}

/* Copies the open regular file fd (size bytes per lstat) into the archive,
 * hashing it. Fails when the file changes size while it is read. */
static int copy_file_data(archive_writer_t *writer, int fd, const char *where, int64_t size,
                          char sha[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    if (archive_digest_reset(writer->file_digest, err) != ALFUP_OK)
        return ALFUP_ERR;
    int64_t left = size;
    for (;;) {
        ssize_t n = read(fd, writer->block, WRITER_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return alfup_err_errno(err, errno, "read %s", where);
        if (n == 0)
            break;
        if (n > left)
            return alfup_err_set(err, "%s grew while it was backed up", where);
        if (archive_digest_update(writer->file_digest, writer->block, (size_t)n, err) != ALFUP_OK)
            return ALFUP_ERR;
        if (archive_write_data(writer->archive, writer->block, (size_t)n) != n)
            return archive_failed(writer, where, err);
        left -= n;
        writer->progress->counts.bytes_done += (uint64_t)n;
        if (archive_progress_tick(writer->progress, 0) == ARCHIVE_CANCELLED)
            return ARCHIVE_CANCELLED;
    }
    if (left != 0)
        return alfup_err_set(err, "%s shrank while it was backed up", where);
    return archive_digest_final_hex(writer->file_digest, sha, err);
}

/* One entry met by the walk of a tree being added: file in the folder open
 * as dir_fd (-1 for the tree's root), lstat'ed as st, shown in messages. */
typedef struct tree_item {
    int dir_fd;
    const char *file;
    const struct stat *st;
    const char *shown;
} tree_item_t;

/* Writes one regular file: header, data, manifest record. The file is opened
 * relative to its folder without following a symlink and must be the one
 * the walk stat'ed (a swap in between fails the backup). */
static int add_file(archive_writer_t *writer, const tree_item_t *item, const char *name, alfup_err_t *err)
{
    int fd = openat(item->dir_fd, item->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s", item->shown);
    struct stat st;
    int rc = ALFUP_OK;
    if (fstat(fd, &st) != 0) {
        rc = alfup_err_errno(err, errno, "stat %s", item->shown);
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_ino != item->st->st_ino || st.st_dev != item->st->st_dev) {
        rc = alfup_err_set(err, "%s changed while it was backed up", item->shown);
        goto out;
    }
    archive_entry_copy_stat(writer->entry, &st);
    archive_entry_unset_atime(writer->entry);
    archive_entry_unset_ctime(writer->entry);
    archive_entry_unset_birthtime(writer->entry);
    archive_entry_set_nlink(writer->entry, 1);
    if (archive_write_header(writer->archive, writer->entry) != ARCHIVE_OK) {
        rc = archive_failed(writer, item->shown, err);
        goto out;
    }
    char sha[ARCHIVE_DIGEST_HEX_LEN + 1];
    rc = copy_file_data(writer, fd, item->shown, st.st_size, sha, err);
    if (rc == ALFUP_OK)
        rc = manifest_add(writer->manifest, MANIFEST_FILE, (uint64_t)st.st_size, sha, st.st_mode & 07777, name, NULL,
                          err);
out:
    close(fd);
    return rc;
}

/* Writes a folder or symlink entry and its manifest record. */
static int add_other(archive_writer_t *writer, const tree_item_t *item, const char *name, alfup_err_t *err)
{
    const struct stat *st = item->st;
    char target[ARCHIVE_PATH_MAX];
    archive_entry_copy_stat(writer->entry, st);
    archive_entry_unset_atime(writer->entry);
    archive_entry_unset_ctime(writer->entry);
    archive_entry_unset_birthtime(writer->entry);
    archive_entry_set_size(writer->entry, 0);
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlinkat(item->dir_fd, item->file, target, sizeof target - 1);
        if (n < 0)
            return alfup_err_errno(err, errno, "readlink %s", item->shown);
        if (n == 0 || (size_t)n >= sizeof target - 1)
            return alfup_err_set(err, "symlink %s: target empty or too long", item->shown);
        target[n] = '\0';
        archive_entry_copy_symlink(writer->entry, target);
    }
    if (archive_write_header(writer->archive, writer->entry) != ARCHIVE_OK)
        return archive_failed(writer, item->shown, err);
    return manifest_add(writer->manifest, S_ISLNK(st->st_mode) ? MANIFEST_SYMLINK : MANIFEST_DIR, 0, NULL,
                        st->st_mode & 07777, name, S_ISLNK(st->st_mode) ? target : NULL, err);
}

/* A tree being added: its entries are "name/REL". */
typedef struct tree_add {
    archive_writer_t *writer;
    const char *name;
    archive_tree_stats_t stats;
} tree_add_t;

/* Adds one entry of the tree at path rel below its root ("" for the root). */
static int add_entry(tree_add_t *add, const tree_item_t *item, const char *rel, alfup_err_t *err)
{
    archive_writer_t *writer = add->writer;
    mode_t type = item->st->st_mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK) {
        if (writer->log != NULL)
            str_list_addf(writer->log, "skipped %s: not a file, folder or symlink", item->shown);
        return ALFUP_OK;
    }
    char *entry_name = NULL;
    if (asprintf(&entry_name, "%s%s%s", add->name, rel[0] ? "/" : "", rel) < 0)
        return alfup_err_set(err, "%s: out of memory", item->shown);
    if (!archive_path_is_safe(entry_name)) {
        free(entry_name);
        return alfup_err_set(err, "%s: name cannot be stored safely", item->shown);
    }
    archive_entry_clear(writer->entry);
    archive_entry_copy_pathname(writer->entry, entry_name);
    int rc = type == S_IFREG ? add_file(writer, item, entry_name, err) : add_other(writer, item, entry_name, err);
    free(entry_name);
    if (rc == ALFUP_OK && type == S_IFREG) {
        add->stats.files++;
        add->stats.bytes += (uint64_t)item->st->st_size;
        writer->progress->counts.files_done++;
    } else if (rc == ALFUP_OK) {
        add->stats.others++;
    }
    if (rc == ALFUP_OK && archive_progress_tick(writer->progress, 0) == ARCHIVE_CANCELLED)
        rc = ARCHIVE_CANCELLED;
    return rc;
}

static int add_visit(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    tree_item_t item = {.dir_fd = entry->dir_fd, .file = entry->name, .st = &entry->st, .shown = entry->shown};
    return add_entry(user, &item, entry->rel, err);
}

static int add_folder(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err)
{
    (void)child_aux;
    int rc = add_visit(user, entry, err);
    return rc == ALFUP_OK ? TREE_WALK_DESCEND : rc;
}

static const tree_walk_ops_t ADD_OPS = {.visit = add_visit, .enter = add_folder};

int archive_writer_add_tree(archive_writer_t *writer, const char *root, const char *name, archive_tree_stats_t *stats,
                            alfup_err_t *err)
{
    tree_add_t add = {.writer = writer, .name = name};
    int fd = tree_walk_open(root, O_DIRECTORY);
    if (fd < 0)
        return alfup_err_errno(err, errno, "back up %s (not a folder, or a symlink in its path)", root);
    struct stat st;
    tree_item_t item = {.dir_fd = -1, .file = NULL, .st = &st, .shown = root};
    int rc = fstat(fd, &st) == 0 ? add_entry(&add, &item, "", err) : alfup_err_errno(err, errno, "stat %s", root);
    if (rc != ALFUP_OK) {
        close(fd);
    } else {
        tree_walk_options_t opts = {.ops = &ADD_OPS, .user = &add, .cross_devices = 1};
        rc = tree_walk_fd(fd, root, -1, &opts, err);
    }
    if (stats != NULL)
        *stats = add.stats;
    return rc;
}

/* Writes the formatted manifest as the archive's last entry. */
static int add_manifest_entry(archive_writer_t *writer, const char *text, size_t len, alfup_err_t *err)
{
    archive_entry_clear(writer->entry);
    archive_entry_copy_pathname(writer->entry, ARCHIVE_MANIFEST_ENTRY);
    archive_entry_set_filetype(writer->entry, AE_IFREG);
    archive_entry_set_perm(writer->entry, 0600);
    archive_entry_set_size(writer->entry, (la_int64_t)len);
    archive_entry_set_mtime(writer->entry, time(NULL), 0);
    if (archive_write_header(writer->archive, writer->entry) != ARCHIVE_OK ||
        archive_write_data(writer->archive, text, len) != (la_ssize_t)len)
        return archive_failed(writer, writer->tmp_path, err);
    return ALFUP_OK;
}

/* Closes libarchive (flushing zstd) and makes the temporary file durable. */
static int close_archive(archive_writer_t *writer, alfup_err_t *err)
{
    int closed = archive_write_close(writer->archive);
    if (closed != ARCHIVE_OK)
        return archive_failed(writer, writer->tmp_path, err);
    if (fsync(writer->fd) != 0)
        return alfup_err_errno(err, errno, "fsync %s", writer->tmp_path);
    if (close(writer->fd) != 0) {
        writer->fd = -1;
        return alfup_err_errno(err, errno, "close %s", writer->tmp_path);
    }
    writer->fd = -1;
    return ALFUP_OK;
}

/* Writes PATH.sha256 as sha256sum(1) would: "HEX  BASENAME\n". */
static int write_sha256_file(const char *path, const char *sha256, alfup_err_t *err)
{
    char *sum_path = NULL, *line = NULL;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int rc = ALFUP_OK;
    if (asprintf(&sum_path, "%s%s", path, ARCHIVE_SHA256_SUFFIX) < 0)
        return alfup_err_set(err, "%s: out of memory", path);
    int len = asprintf(&line, "%s  %s\n", sha256, base);
    if (len < 0)
        rc = alfup_err_set(err, "%s: out of memory", path);
    else
        rc = file_write_atomic(sum_path, (const uint8_t *)line, (size_t)len, 0600, err);
    free(sum_path);
    if (len >= 0)
        free(line);
    return rc;
}

/* Removes PATH.manifest and PATH.sha256 after a failure. */
static void remove_beside(const char *path)
{
    const char *suffixes[] = {ARCHIVE_MANIFEST_SUFFIX, ARCHIVE_SHA256_SUFFIX};
    for (size_t i = 0; i < 2; i++) {
        char *beside = NULL;
        if (asprintf(&beside, "%s%s", path, suffixes[i]) >= 0) {
            unlink(beside);
            free(beside);
        }
    }
}

int archive_writer_finish(archive_writer_t *writer, char sha256[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    char *text = NULL, *manifest_path = NULL;
    size_t len = 0;
    int rc = manifest_format(writer->manifest, &text, &len, err);
    if (rc != ALFUP_OK)
        goto out;
    if ((rc = add_manifest_entry(writer, text, len, err)) != ALFUP_OK ||
        (rc = close_archive(writer, err)) != ALFUP_OK ||
        (rc = archive_stream_sha256(writer->stream, sha256, err)) != ALFUP_OK)
        goto out;
    if (asprintf(&manifest_path, "%s%s", writer->path, ARCHIVE_MANIFEST_SUFFIX) < 0) {
        manifest_path = NULL;
        rc = alfup_err_set(err, "%s: out of memory", writer->path);
        goto out;
    }
    rc = file_write_atomic(manifest_path, (const uint8_t *)text, len, 0600, err);
    if (rc != ALFUP_OK)
        goto out;
    rc = write_sha256_file(writer->path, sha256, err);
    if (rc == ALFUP_OK && renameat2(AT_FDCWD, writer->tmp_path, AT_FDCWD, writer->path, RENAME_NOREPLACE) != 0)
        rc = alfup_err_errno(err, errno, "rename %s to %s", writer->tmp_path, writer->path);
    if (rc != ALFUP_OK) {
        remove_beside(writer->path);
        goto out;
    }
    writer->finished = 1;
    rc = file_sync_parent(writer->path, err);
out:
    free(text);
    free(manifest_path);
    return rc;
}

void archive_writer_destroy(archive_writer_t **writer_p)
{
    if (writer_p == NULL || *writer_p == NULL)
        return;
    archive_writer_t *writer = *writer_p;
    /* After a failed write libarchive may be in its FATAL state, where archive_write_free skips
     * the close that frees its output block (libarchive before 3.8 leaks it, 1 MiB per failed
     * backup): close an opened archive first (a no-op once closed). */
    if (writer->archive != NULL && writer->opened)
        (void)archive_write_close(writer->archive);
    if (writer->archive != NULL)
        archive_write_free(writer->archive);
    if (writer->fd >= 0)
        close(writer->fd);
    if (!writer->finished && writer->tmp_path != NULL)
        unlink(writer->tmp_path);
    archive_entry_free(writer->entry);
    archive_stream_destroy(&writer->stream);
    manifest_destroy(&writer->manifest);
    archive_digest_destroy(&writer->file_digest);
    free(writer->block);
    free(writer->path);
    free(writer->tmp_path);
    free(writer);
    *writer_p = NULL;
}
