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
#include "online_state.h"
#include "page_cache.h"
#include "rate_limit.h"
#include "tree_walk.h"

#define WRITER_BLOCK (1024u * 1024u)       /* file read size */
#define WRITER_ARCHIVE_BLOCK (1024 * 1024) /* bytes libarchive hands to the stream at once */
#define LEFT_OUT 2                         /* online: an entry was not archived (counted, its folder dirty) */

/* Where an entry is read from: a folder descriptor and a name in it (the
 * walk's entries, deltas), or for a tree's root its own descriptor and "". */
typedef struct entry_source {
    int dirfd;
    const char *accpath;       /* relative to dirfd */
    const char *shown;         /* for messages */
    const struct stat *listed; /* the lstat taken when the entry was listed */
} entry_source_t;

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
    int opened; /* libarchive's filter chain is open (archive_write_open succeeded) */
    int finished;
    int online;
    unsigned settle_s;
    rate_limit_t rate;
    str_list_t dirty; /* online: folders to mark dirty when the manifest is finished */
    archive_online_counts_t online_counts;
};

/* A scan's walk: the totals go to progress. */
typedef struct tree_scan {
    archive_progress_t *progress;
    int online;
} tree_scan_t;

/* Counts a regular file for progress (both callbacks of the scan). */
static int scan_entry(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    tree_scan_t *scan = user;
    (void)err;
    if (S_ISREG(entry->st.st_mode)) {
        scan->progress->counts.files_total++;
        scan->progress->counts.bytes_total += (uint64_t)entry->st.st_size;
    }
    return archive_progress_tick(scan->progress, 0) == ARCHIVE_CANCELLED ? ARCHIVE_CANCELLED : ALFUP_OK;
}

static int scan_folder(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err)
{
    (void)child_aux;
    int rc = scan_entry(user, entry, err);
    return rc == ALFUP_OK ? TREE_WALK_DESCEND : rc;
}

/* An entry gone while counted: an estimate online, a failure offline (nothing may change then). */
static int scan_gone(void *user, const tree_walk_entry_t *entry, int errnum, alfup_err_t *err)
{
    const tree_scan_t *scan = user;
    if (scan->online)
        return ALFUP_OK;
    return alfup_err_errno(err, errnum, "%s vanished or was replaced while it was read", entry->shown);
}

static const tree_walk_ops_t SCAN_OPS = {.visit = scan_entry, .enter = scan_folder, .gone = scan_gone};

int archive_tree_scan(const char *root, int online, archive_progress_t *progress, alfup_err_t *err)
{
    tree_scan_t scan = {.progress = progress, .online = online};
    tree_walk_options_t opts = {.ops = &SCAN_OPS, .user = &scan, .cross_devices = 1};
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
    if (options->online)
        archive_stream_drop_cache(writer->stream, 1);
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
    writer->online = options->online;
    writer->settle_s = options->settle_s;
    rate_limit_init(&writer->rate, options->online ? options->max_bytes_per_s : 0);
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

/* Online: the file's bytes after the change are not what the header says.
 * Pads with zeros up to left bytes so the entry stays well-formed. */
static int pad_entry(archive_writer_t *writer, int64_t left, const char *where, alfup_err_t *err)
{
    memset(writer->block, 0, WRITER_BLOCK);
    while (left > 0) {
        size_t n = left < (int64_t)WRITER_BLOCK ? (size_t)left : WRITER_BLOCK;
        if (archive_digest_update(writer->file_digest, writer->block, n, err) != ALFUP_OK)
            return ALFUP_ERR;
        if (archive_write_data(writer->archive, writer->block, n) != (la_ssize_t)n)
            return archive_failed(writer, where, err);
        left -= (int64_t)n;
    }
    return ALFUP_OK;
}

/* Reads one block into writer->block, waiting for the bandwidth cap first. n, or -1 with err, or ARCHIVE_CANCELLED
 * as -2. */
static ssize_t read_block(archive_writer_t *writer, int fd, const char *where, alfup_err_t *err)
{
    if (rate_limit_wait(&writer->rate, writer->progress) == ARCHIVE_CANCELLED)
        return -2;
    for (;;) {
        ssize_t n = read(fd, writer->block, WRITER_BLOCK);
        if (n >= 0) {
            rate_limit_spend(&writer->rate, (uint64_t)n);
            return n;
        }
        if (errno != EINTR)
            return alfup_err_errno(err, errno, "read %s", where), -1;
    }
}

/* Copies the open regular file fd (size bytes per lstat) into the archive,
 * hashing it. Offline it fails when the file changes size while it is read;
 * online it sets *changed and archives what the header promised. */
static int copy_file_data(archive_writer_t *writer, int fd, const char *where, int64_t size, int *changed,
                          char sha[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    if (archive_digest_reset(writer->file_digest, err) != ALFUP_OK)
        return ALFUP_ERR;
    int64_t left = size;
    for (;;) {
        ssize_t n = read_block(writer, fd, where, err);
        if (n < 0)
            return n == -2 ? ARCHIVE_CANCELLED : ALFUP_ERR;
        if (n == 0)
            break;
        if (n > left && !writer->online)
            return alfup_err_set(err, "%s grew while it was backed up", where);
        if (n > left) {
            *changed = 1;
            n = (ssize_t)left;
        }
        if (archive_digest_update(writer->file_digest, writer->block, (size_t)n, err) != ALFUP_OK)
            return ALFUP_ERR;
        if (archive_write_data(writer->archive, writer->block, (size_t)n) != n)
            return archive_failed(writer, where, err);
        left -= n;
        writer->progress->counts.bytes_done += (uint64_t)n;
        if (archive_progress_tick(writer->progress, 0) == ARCHIVE_CANCELLED)
            return ARCHIVE_CANCELLED;
        if (*changed)
            break;
    }
    if (left != 0 && !writer->online)
        return alfup_err_set(err, "%s shrank while it was backed up", where);
    if (left != 0) {
        *changed = 1;
        if (pad_entry(writer, left, where, err) != ALFUP_OK)
            return ALFUP_ERR;
    }
    return archive_digest_final_hex(writer->file_digest, sha, err);
}

/* Online: name's folder ("a/b" for "a/b/c") must be listed again by the delta. */
static int mark_parent_dirty(archive_writer_t *writer, const char *name, alfup_err_t *err)
{
    const char *slash = strrchr(name, '/');
    size_t len = slash ? (size_t)(slash - name) : strlen(name);
    if (str_list_addf(&writer->dirty, "%.*s", (int)len, name) != 0)
        return alfup_err_set(err, "%s: out of memory", name);
    return ALFUP_OK;
}

/* Online: a file or folder that is not archived (why is for the log). */
static int leave_out(archive_writer_t *writer, const char *name, const char *why, alfup_err_t *err)
{
    writer->online_counts.left_out++;
    if (writer->log != NULL)
        str_list_addf(writer->log, "online: left %s out of the base (%s); the delta takes it", name, why);
    return mark_parent_dirty(writer, name, err);
}

/* Online: the file changed after its header was written: its bytes are not the file's. */
static int mark_untrusted(archive_writer_t *writer, const char *name, alfup_err_t *err)
{
    writer->online_counts.untrusted++;
    if (manifest_add_untrusted(writer->manifest, name, err) != ALFUP_OK)
        return ALFUP_ERR;
    return mark_parent_dirty(writer, name, err);
}

static int same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Online: whether the opened file is archived now. 1 yes, 0 left out (counted, folder dirty), or ALFUP_ERR. */
static int online_take_file(archive_writer_t *writer, const entry_source_t *src, const struct stat *st,
                            const char *name, const struct timespec *before, alfup_err_t *err)
{
    const char *why = NULL;
    if (!S_ISREG(st->st_mode) || st->st_ino != src->listed->st_ino)
        why = "replaced while listed";
    else if (online_is_racy(st, before))
        why = "changed in the last seconds";
    if (why == NULL)
        return 1;
    return leave_out(writer, name, why, err) == ALFUP_OK ? 0 : ALFUP_ERR;
}

/* The file data and its manifest record, after the header. recent: written
 * within settle_s before it was read (online). */
static int write_file_body(archive_writer_t *writer, int fd, const struct stat *st, int recent, const char *where,
                           const char *name, alfup_err_t *err)
{
    char sha[ARCHIVE_DIGEST_HEX_LEN + 1];
    int changed = 0;
    int rc = copy_file_data(writer, fd, where, st->st_size, &changed, sha, err);
    struct stat after;
    if (rc == ALFUP_OK && writer->online && !changed && (fstat(fd, &after) != 0 || !same_file_state(st, &after)))
        changed = 1;
    if (rc == ALFUP_OK)
        rc = manifest_add(writer->manifest, MANIFEST_FILE, (uint64_t)st->st_size, sha, st->st_mode & 07777, name, NULL,
                          err);
    if (rc == ALFUP_OK && changed)
        rc = mark_untrusted(writer, name, err);
    else if (rc == ALFUP_OK && recent) {
        writer->online_counts.recent++;
        rc = manifest_add_untrusted(writer->manifest, name, err);
    }
    return rc;
}

/* Writes one regular file: header, data, manifest record. Returns 0, ALFUP_ERR, ARCHIVE_CANCELLED, or (online)
 * LEFT_OUT when the file was not archived. */
static int add_file(archive_writer_t *writer, const entry_source_t *src, const char *name, alfup_err_t *err)
{
    struct timespec before;
    clock_gettime(CLOCK_REALTIME, &before);
    int fd = openat(src->dirfd, src->accpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && writer->online && (errno == ENOENT || errno == ELOOP))
        return leave_out(writer, name, "vanished", err) == ALFUP_OK ? LEFT_OUT : ALFUP_ERR;
    if (fd < 0)
        return alfup_err_errno(err, errno, "open %s", src->shown);
    if (writer->online)
        page_cache_read_once(fd);
    struct stat st;
    int rc = ALFUP_OK;
    if (fstat(fd, &st) != 0) {
        rc = alfup_err_errno(err, errno, "stat %s", src->shown);
        goto out;
    }
    if (writer->online) {
        rc = online_take_file(writer, src, &st, name, &before, err);
        rc = rc == 1 ? ALFUP_OK : rc == 0 ? LEFT_OUT : ALFUP_ERR;
        if (rc != ALFUP_OK)
            goto out;
    } else if (!S_ISREG(st.st_mode) || st.st_ino != src->listed->st_ino) {
        rc = alfup_err_set(err, "%s changed while it was backed up", src->shown);
        goto out;
    }
    archive_entry_copy_stat(writer->entry, &st);
    archive_entry_unset_atime(writer->entry);
    archive_entry_unset_ctime(writer->entry);
    archive_entry_unset_birthtime(writer->entry);
    archive_entry_set_nlink(writer->entry, 1);
    if (archive_write_header(writer->archive, writer->entry) != ARCHIVE_OK) {
        rc = archive_failed(writer, src->shown, err);
        goto out;
    }
    int recent = writer->online && online_is_recent(&st, &before, (long)writer->settle_s);
    rc = write_file_body(writer, fd, &st, recent, src->shown, name, err);
out:
    if (writer->online)
        page_cache_drop(fd); /* read once: production's own cached pages stay (page_cache.h) */
    close(fd);
    return rc;
}

/* Online: records a folder's identity and change times from an lstat taken
 * now, just before the walk opens and lists it. */
static int record_folder(archive_writer_t *writer, const entry_source_t *src, const char *name, alfup_err_t *err)
{
    struct timespec before;
    struct stat st;
    clock_gettime(CLOCK_REALTIME, &before);
    int flags = AT_SYMLINK_NOFOLLOW | (src->accpath[0] == '\0' ? AT_EMPTY_PATH : 0); /* "": the root itself */
    int gone = fstatat(src->dirfd, src->accpath, &st, flags) != 0;
    if (gone && errno != ENOENT && errno != ENOTDIR)
        return alfup_err_errno(err, errno, "lstat %s", src->shown);
    manifest_folder_t folder;
    if (gone || !S_ISDIR(st.st_mode) || st.st_ino != src->listed->st_ino) {
        st = *src->listed; /* vanished or replaced: recorded dirty, the delta looks again */
        online_folder_from_stat(&folder, name, &st, &before);
        folder.dirty = 1;
    } else {
        online_folder_from_stat(&folder, name, &st, &before);
    }
    writer->online_counts.folders++;
    return manifest_add_folder(writer->manifest, &folder, err);
}

/* Writes a folder or symlink entry and its manifest record. */
static int add_other(archive_writer_t *writer, const entry_source_t *src, const char *name, alfup_err_t *err)
{
    const struct stat *st = src->listed;
    char target[ARCHIVE_PATH_MAX];
    archive_entry_copy_stat(writer->entry, st);
    archive_entry_unset_atime(writer->entry);
    archive_entry_unset_ctime(writer->entry);
    archive_entry_unset_birthtime(writer->entry);
    archive_entry_set_size(writer->entry, 0);
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlinkat(src->dirfd, src->accpath, target, sizeof target - 1);
        if (n < 0 && writer->online && (errno == ENOENT || errno == EINVAL))
            return leave_out(writer, name, "vanished or replaced", err) == ALFUP_OK ? LEFT_OUT : ALFUP_ERR;
        if (n < 0)
            return alfup_err_errno(err, errno, "readlink %s", src->shown);
        if (n == 0 || (size_t)n >= sizeof target - 1)
            return alfup_err_set(err, "symlink %s: target empty or too long", src->shown);
        target[n] = '\0';
        archive_entry_copy_symlink(writer->entry, target);
    }
    if (archive_write_header(writer->archive, writer->entry) != ARCHIVE_OK)
        return archive_failed(writer, src->shown, err);
    return manifest_add(writer->manifest, S_ISLNK(st->st_mode) ? MANIFEST_SYMLINK : MANIFEST_DIR, 0, NULL,
                        st->st_mode & 07777, name, S_ISLNK(st->st_mode) ? target : NULL, err);
}

/* A tree being added: its entries are "name/REL". */
typedef struct tree_add {
    archive_writer_t *writer;
    const char *name;
    archive_tree_stats_t stats;
} tree_add_t;

/* The entry's name in the archive ("name" or "name/rel"); NULL with err. Caller frees. */
static char *entry_name_of(const tree_add_t *add, const char *rel, const char *shown, alfup_err_t *err)
{
    char *entry_name = NULL;
    if (asprintf(&entry_name, "%s%s%s", add->name, rel[0] ? "/" : "", rel) < 0)
        return alfup_err_set(err, "%s: out of memory", shown), NULL;
    if (!archive_path_is_safe(entry_name)) {
        free(entry_name);
        return alfup_err_set(err, "%s: name cannot be stored safely", shown), NULL;
    }
    return entry_name;
}

/* Writes the entry once its name is known. */
static int write_entry(tree_add_t *add, const entry_source_t *src, const char *entry_name, alfup_err_t *err)
{
    archive_writer_t *writer = add->writer;
    mode_t type = src->listed->st_mode & S_IFMT;
    if (writer->online && type == S_IFDIR && record_folder(writer, src, entry_name, err) != ALFUP_OK)
        return ALFUP_ERR;
    archive_entry_clear(writer->entry);
    archive_entry_copy_pathname(writer->entry, entry_name);
    int rc = type == S_IFREG ? add_file(writer, src, entry_name, err) : add_other(writer, src, entry_name, err);
    if (rc == LEFT_OUT)
        return ALFUP_OK;
    if (rc == ALFUP_OK && type == S_IFREG) {
        add->stats.files++;
        add->stats.bytes += (uint64_t)src->listed->st_size;
        writer->progress->counts.files_done++;
    } else if (rc == ALFUP_OK) {
        add->stats.others++;
    }
    if (rc == ALFUP_OK && archive_progress_tick(writer->progress, 0) == ARCHIVE_CANCELLED)
        rc = ARCHIVE_CANCELLED;
    return rc;
}

/* Adds one entry of the tree at path rel below its root ("" for the root). */
static int add_entry(tree_add_t *add, const entry_source_t *src, const char *rel, alfup_err_t *err)
{
    mode_t type = src->listed->st_mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK) {
        if (add->writer->log != NULL)
            str_list_addf(add->writer->log, "skipped %s: not a file, folder or symlink", src->shown);
        return ALFUP_OK;
    }
    char *entry_name = entry_name_of(add, rel, src->shown, err);
    if (entry_name == NULL)
        return ALFUP_ERR;
    int rc = write_entry(add, src, entry_name, err);
    free(entry_name);
    return rc;
}

static int add_visit(void *user, const tree_walk_entry_t *entry, alfup_err_t *err)
{
    entry_source_t src = {entry->dir_fd, entry->name, entry->shown, &entry->st};
    return add_entry(user, &src, entry->rel, err);
}

static int add_folder(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err)
{
    (void)child_aux;
    int rc = add_visit(user, entry, err);
    return rc == ALFUP_OK ? TREE_WALK_DESCEND : rc;
}

/* An entry gone between its listing and its reading. Offline a failure
 * (production is stopped: nothing may change, and a file silently missing
 * from the backup would be lost). Online it is left out and its folder marked
 * dirty; a folder that could not be listed is itself dirty as well. */
static int add_gone(void *user, const tree_walk_entry_t *entry, int errnum, alfup_err_t *err)
{
    tree_add_t *add = user;
    archive_writer_t *writer = add->writer;
    if (!writer->online)
        return alfup_err_errno(err, errnum, "%s vanished or was replaced while it was backed up", entry->shown);
    char *entry_name = entry_name_of(add, entry->rel, entry->shown, err);
    if (entry_name == NULL)
        return ALFUP_ERR;
    int rc = ALFUP_OK;
    if (!S_ISDIR(entry->st.st_mode)) {
        rc = leave_out(writer, entry_name, "vanished", err);
    } else if (str_list_add(&writer->dirty, entry_name) != 0) {
        rc = alfup_err_set(err, "%s: out of memory", entry_name);
    } else {
        writer->online_counts.left_out++;
        rc = mark_parent_dirty(writer, entry_name, err);
    }
    free(entry_name);
    return rc;
}

static const tree_walk_ops_t ADD_OPS = {.visit = add_visit, .enter = add_folder, .gone = add_gone};

int archive_writer_add_tree(archive_writer_t *writer, const char *root, const char *name, archive_tree_stats_t *stats,
                            alfup_err_t *err)
{
    tree_add_t add = {.writer = writer, .name = name};
    int fd = tree_walk_open(root, O_DIRECTORY);
    if (fd < 0)
        return alfup_err_errno(err, errno, "back up %s (not a folder, or a symlink in its path)", root);
    struct stat st;
    entry_source_t src = {fd, "", root, &st}; /* a folder: only stat'ed again, never opened */
    int rc = fstat(fd, &st) == 0 ? add_entry(&add, &src, "", err) : alfup_err_errno(err, errno, "stat %s", root);
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

int archive_writer_add_at(archive_writer_t *writer, int dirfd, const char *name_in_dir, const char *shown,
                          const struct stat *listed, const char *entry_name, archive_tree_stats_t *stats,
                          alfup_err_t *err)
{
    mode_t type = listed->st_mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
        return alfup_err_set(err, "%s: not a file, folder or symlink", shown);
    if (!archive_path_is_safe(entry_name))
        return alfup_err_set(err, "%s: name cannot be stored safely", shown);
    entry_source_t src = {dirfd, name_in_dir, shown, listed};
    archive_entry_clear(writer->entry);
    archive_entry_copy_pathname(writer->entry, entry_name);
    int rc = type == S_IFREG ? add_file(writer, &src, entry_name, err) : add_other(writer, &src, entry_name, err);
    if (rc == LEFT_OUT)
        return alfup_err_set(err, "%s: changed while it was backed up", shown);
    if (rc == ALFUP_OK && type == S_IFREG) {
        stats->files++;
        stats->bytes += (uint64_t)listed->st_size;
        writer->progress->counts.files_done++;
    } else if (rc == ALFUP_OK) {
        stats->others++;
    }
    return rc;
}

int archive_writer_add_removed(archive_writer_t *writer, const char *entry_name, alfup_err_t *err)
{
    return manifest_add_removed(writer->manifest, entry_name, err);
}

int archive_writer_set_base(archive_writer_t *writer, const char *base_sha256, alfup_err_t *err)
{
    return manifest_set_base(writer->manifest, base_sha256, err);
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
    if (writer->online)
        page_cache_drop(writer->fd); /* durable now: its last windows leave the cache too */
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

void archive_writer_online_counts(const archive_writer_t *writer, archive_online_counts_t *counts)
{
    *counts = writer->online_counts;
}

/* Online: sets the dirty flag of every folder collected while writing, and counts the dirty folders. */
static int apply_dirty_marks(archive_writer_t *writer, alfup_err_t *err)
{
    for (size_t i = 0; i < writer->dirty.count; i++) {
        manifest_folder_t *folder = manifest_folder_find(writer->manifest, writer->dirty.items[i]);
        if (folder == NULL) /* every folder is recorded before its entries: a defect, never a silent gap */
            return alfup_err_set(err, "online backup: no folder state for %s", writer->dirty.items[i]);
        folder->dirty = 1;
    }
    writer->online_counts.folders_dirty = 0;
    for (size_t i = 0; i < manifest_folder_count(writer->manifest); i++)
        writer->online_counts.folders_dirty += manifest_folder_at(writer->manifest, i)->dirty != 0;
    return ALFUP_OK;
}

int archive_writer_finish(archive_writer_t *writer, char sha256[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    char *text = NULL, *manifest_path = NULL;
    size_t len = 0;
    int rc = writer->online ? apply_dirty_marks(writer, err) : ALFUP_OK;
    if (rc == ALFUP_OK)
        rc = manifest_format(writer->manifest, &text, &len, err);
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
    str_list_clear(&writer->dirty);
    free(writer->path);
    free(writer->tmp_path);
    free(writer);
    *writer_p = NULL;
}
