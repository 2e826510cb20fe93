/* archive_check.c -- one pass over a tree archive: manifest checks, sha-256 per file, optional extraction. */
#include "archive_check.h"

#include "page_cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_path.h"
#include "archive_stream.h"
#include "archive_writer.h"
#include "file_util.h"
#include "manifest.h"

/* State of one check run. */
typedef struct check_run {
    const char *path;
    const archive_check_options_t *options;
    archive_progress_t *progress;
    archive_check_result_t *result;
    manifest_t *manifest;
    uint8_t *manifest_text; /* the copy beside the archive */
    size_t manifest_len;
    int manifest_inside_seen;
    struct archive *archive;
    archive_stream_t *stream;
    archive_digest_t *digest;
    int fd;
    char recorded_sha256[ARCHIVE_DIGEST_HEX_LEN + 1]; /* from ARCHIVE.sha256 */
    char name[ARCHIVE_PATH_MAX];                      /* the current entry's name without a trailing '/' */
} check_run_t;

/* "tree/x" -> "x", "tree" -> "", other trees -> NULL. Everything when no tree is chosen. */
static const char *selected_rel(const check_run_t *run, const char *name)
{
    const char *tree = run->options->tree;
    if (tree == NULL)
        return name;
    size_t len = strlen(tree);
    if (strncmp(name, tree, len) != 0)
        return NULL;
    if (name[len] == '\0')
        return "";
    return name[len] == '/' ? name + len + 1 : NULL;
}

static int load_manifest(check_run_t *run, alfup_err_t *err)
{
    char *manifest_path = NULL;
    if (asprintf(&manifest_path, "%s%s", run->path, ARCHIVE_MANIFEST_SUFFIX) < 0)
        return alfup_err_set(err, "%s: out of memory", run->path);
    int rc = file_read_all(manifest_path, MANIFEST_MAX_BYTES, &run->manifest_text, &run->manifest_len, err);
    if (rc == FILE_MISSING)
        rc = alfup_err_set(err, "manifest %s is missing", manifest_path);
    if (rc == ALFUP_OK) {
        run->manifest = manifest_parse((const char *)run->manifest_text, run->manifest_len, err);
        if (run->manifest == NULL)
            rc = alfup_err_prefix(err, "%s", manifest_path);
    }
    free(manifest_path);
    if (rc != ALFUP_OK)
        return rc;
    for (size_t i = 0; i < manifest_count(run->manifest); i++) {
        manifest_entry_t *entry = manifest_entry_at(run->manifest, i);
        if (entry->type == MANIFEST_FILE && selected_rel(run, entry->path) != NULL) {
            run->progress->counts.files_total++;
            run->progress->counts.bytes_total += entry->size;
        }
    }
    return ALFUP_OK;
}

#define SHA256_FILE_MAX 4096

int archive_check_read_sha256(const char *archive, char sha256[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    char *sum_path = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    if (asprintf(&sum_path, "%s%s", archive, ARCHIVE_SHA256_SUFFIX) < 0)
        return alfup_err_set(err, "%s: out of memory", archive);
    int rc = file_read_all(sum_path, SHA256_FILE_MAX, &text, &len, err);
    if (rc == FILE_MISSING)
        rc = alfup_err_set(err, "checksum file %s is missing", sum_path);
    if (rc == ALFUP_OK) {
        size_t hex = strspn((const char *)text, "0123456789abcdef");
        if (hex != ARCHIVE_DIGEST_HEX_LEN || (text[hex] != ' ' && text[hex] != '\n'))
            rc = alfup_err_set(err, "checksum file %s: no sha-256 at its start", sum_path);
        else {
            memcpy(sha256, text, ARCHIVE_DIGEST_HEX_LEN);
            sha256[ARCHIVE_DIGEST_HEX_LEN] = '\0';
        }
    }
    free(text);
    free(sum_path);
    return rc;
}

static int open_archive(check_run_t *run, alfup_err_t *err)
{
    run->fd = open(run->path, O_RDONLY | O_CLOEXEC);
    if (run->fd < 0)
        return alfup_err_errno(err, errno, "open archive %s", run->path);
    run->archive = archive_read_new();
    run->digest = archive_digest_new(err);
    if (run->archive == NULL || run->digest == NULL)
        return alfup_err_set(err, "%s: out of memory", run->path);
    archive_read_support_format_tar(run->archive);
    archive_read_support_filter_zstd(run->archive);
    run->stream = archive_stream_new(run->fd, run->path, err);
    if (run->stream == NULL)
        return ALFUP_ERR;
    if (run->options->drop_cache)
        archive_stream_drop_cache(run->stream, 0);
    return archive_stream_open_read(run->stream, run->archive, err);
}

/* libarchive's read error, preferring the stream's own I/O error. */
static int read_failed(check_run_t *run, const char *name, alfup_err_t *err)
{
    const char *io = archive_stream_io_error(run->stream);
    return alfup_err_set(err, "archive %s: entry '%s': %s", run->path, name,
                         io ? io : archive_error_string(run->archive));
}

/* The manifest stored inside must equal the one beside, byte for byte. */
static int check_inner_manifest(check_run_t *run, struct archive_entry *entry, alfup_err_t *err)
{
    if (run->manifest_inside_seen)
        return alfup_err_set(err, "archive %s: two manifest entries", run->path);
    run->manifest_inside_seen = 1;
    if (archive_entry_size(entry) != (la_int64_t)run->manifest_len)
        return alfup_err_set(err, "archive %s: the manifest inside differs from %s%s", run->path, run->path,
                             ARCHIVE_MANIFEST_SUFFIX);
    char *inner = malloc(run->manifest_len + 1);
    if (inner == NULL)
        return alfup_err_set(err, "%s: out of memory", run->path);
    la_ssize_t n = run->manifest_len ? archive_read_data(run->archive, inner, run->manifest_len) : 0;
    int same = n == (la_ssize_t)run->manifest_len && memcmp(inner, run->manifest_text, run->manifest_len) == 0;
    free(inner);
    if (n < 0)
        return read_failed(run, ARCHIVE_MANIFEST_ENTRY, err);
    if (!same)
        return alfup_err_set(err, "archive %s: the manifest inside differs from %s%s", run->path, run->path,
                             ARCHIVE_MANIFEST_SUFFIX);
    return ALFUP_OK;
}

/* Type, mode, size and symlink target of the entry against its manifest record. */
static int check_metadata(check_run_t *run, struct archive_entry *entry, const manifest_entry_t *record,
                          alfup_err_t *err)
{
    const char *name = record->path;
    if (archive_entry_hardlink(entry) != NULL)
        return alfup_err_set(err, "archive %s: entry '%s' is a hardlink; refused", run->path, name);
    mode_t type = archive_entry_filetype(entry);
    manifest_type_t want = type == AE_IFREG   ? MANIFEST_FILE
                           : type == AE_IFDIR ? MANIFEST_DIR
                           : type == AE_IFLNK ? MANIFEST_SYMLINK
                                              : (manifest_type_t)0;
    if (want == 0)
        return alfup_err_set(err, "archive %s: entry '%s' is a device node, fifo or socket; refused", run->path, name);
    if (want != record->type)
        return alfup_err_set(err, "archive %s: entry '%s' has another type than in the manifest", run->path, name);
    if ((unsigned)(archive_entry_perm(entry) & 07777) != record->mode)
        return alfup_err_set(err, "archive %s: entry '%s' has mode %04o, the manifest says %04o", run->path, name,
                             (unsigned)archive_entry_perm(entry), record->mode);
    if (want == MANIFEST_FILE && (uint64_t)archive_entry_size(entry) != record->size)
        return alfup_err_set(err, "archive %s: file '%s' has size %lld, the manifest says %llu", run->path, name,
                             (long long)archive_entry_size(entry), (unsigned long long)record->size);
    const char *link = archive_entry_symlink(entry);
    if (want == MANIFEST_SYMLINK && (link == NULL || strcmp(link, record->link) != 0))
        return alfup_err_set(err, "archive %s: symlink '%s' has another target than in the manifest", run->path, name);
    return ALFUP_OK;
}

/* Reads a file entry's data, hashing it and writing it through the extractor
 * when extract is set; compares size and sha-256 with the record. */
static int check_file_data(check_run_t *run, const manifest_entry_t *record, int extract, alfup_err_t *err)
{
    if (archive_digest_reset(run->digest, err) != ALFUP_OK)
        return ALFUP_ERR;
    uint64_t seen = 0;
    for (;;) {
        const void *block;
        size_t len;
        la_int64_t offset;
        int rc = archive_read_data_block(run->archive, &block, &len, &offset);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            return read_failed(run, record->path, err);
        if ((uint64_t)offset != seen)
            return alfup_err_set(err, "archive %s: file '%s' is sparse or out of order; refused", run->path,
                                 record->path);
        if (archive_digest_update(run->digest, block, len, err) != ALFUP_OK)
            return ALFUP_ERR;
        if (extract && archive_extract_data(run->options->extract, block, len, offset, record->path, err) != 0)
            return ALFUP_ERR;
        seen += len;
        run->progress->counts.bytes_done += len;
        if (archive_progress_tick(run->progress, 0) == ARCHIVE_CANCELLED)
            return ARCHIVE_CANCELLED;
    }
    char sha[ARCHIVE_DIGEST_HEX_LEN + 1];
    if (archive_digest_final_hex(run->digest, sha, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (seen != record->size)
        return alfup_err_set(err, "archive %s: file '%s' has %llu bytes, the manifest says %llu", run->path,
                             record->path, (unsigned long long)seen, (unsigned long long)record->size);
    if (strcmp(sha, record->sha256) != 0)
        return alfup_err_set(err, "archive %s: file '%s': sha-256 %s does not match the manifest (%s)", run->path,
                             record->path, sha, record->sha256);
    return ALFUP_OK;
}

/* Checks (and maybe extracts) one entry that is not the manifest. */
static int check_entry(check_run_t *run, struct archive_entry *entry, const char *name, alfup_err_t *err)
{
    manifest_entry_t *record = manifest_find(run->manifest, name);
    if (record == NULL)
        return alfup_err_set(err, "archive %s: entry '%s' is not in the manifest", run->path, name);
    if (record->seen)
        return alfup_err_set(err, "archive %s: entry '%s' appears twice", run->path, name);
    record->seen = 1;
    if (check_metadata(run, entry, record, err) != ALFUP_OK)
        return ALFUP_ERR;
    const char *rel = selected_rel(run, name);
    if (rel == NULL)
        return archive_read_data_skip(run->archive) == ARCHIVE_OK ? ALFUP_OK : read_failed(run, name, err);
    int extract = run->options->extract != NULL && rel[0] != '\0';
    if (run->options->extract != NULL && rel[0] == '\0' && record->type == MANIFEST_DIR)
        archive_extract_set_root(run->options->extract, entry);
    if (extract && archive_extract_header(run->options->extract, entry, rel, NULL, name, err) != ALFUP_OK)
        return ALFUP_ERR;
    int rc = ALFUP_OK;
    if (record->type == MANIFEST_FILE) {
        rc = check_file_data(run, record, extract, err);
        if (rc == ALFUP_OK) {
            run->result->files++;
            run->result->bytes += record->size;
            run->progress->counts.files_done++;
        }
    } else {
        run->result->others++;
    }
    if (rc == ALFUP_OK && extract)
        rc = archive_extract_finish_entry(run->options->extract, name, err);
    return rc;
}

static int read_entries(check_run_t *run, alfup_err_t *err)
{
    struct archive_entry *entry;
    for (;;) {
        int rc = archive_read_next_header(run->archive, &entry);
        if (rc == ARCHIVE_EOF)
            return ALFUP_OK;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            const char *io = archive_stream_io_error(run->stream);
            return alfup_err_set(err, "archive %s: %s", run->path, io ? io : archive_error_string(run->archive));
        }
        const char *raw = archive_entry_pathname(entry);
        if (raw == NULL || raw[0] == '\0' || strlen(raw) >= sizeof run->name)
            return alfup_err_set(err, "archive %s: an entry without a name or with a too long one", run->path);
        /* tar writes folders as "name/"; the manifest has "name" */
        size_t len = archive_path_len(raw);
        memcpy(run->name, raw, len);
        run->name[len] = '\0';
        const char *name = run->name;
        if (run->manifest_inside_seen)
            return alfup_err_set(err, "archive %s: entry '%s' after the manifest", run->path, name);
        if (strcmp(name, ARCHIVE_MANIFEST_ENTRY) == 0)
            rc = check_inner_manifest(run, entry, err);
        else
            rc = check_entry(run, entry, name, err);
        if (rc == ALFUP_OK && archive_progress_tick(run->progress, 0) == ARCHIVE_CANCELLED)
            rc = ARCHIVE_CANCELLED;
        if (rc != ALFUP_OK)
            return rc;
    }
}

/* After the last entry: nothing missing, the file's digest as expected. */
static int check_complete(check_run_t *run, alfup_err_t *err)
{
    if (!run->manifest_inside_seen)
        return alfup_err_set(err, "archive %s: the manifest entry %s is missing (truncated archive?)", run->path,
                             ARCHIVE_MANIFEST_ENTRY);
    for (size_t i = 0; i < manifest_count(run->manifest); i++) {
        const manifest_entry_t *record = manifest_entry_at(run->manifest, i);
        if (!record->seen)
            return alfup_err_set(err, "archive %s: '%s' is in the manifest but not in the archive", run->path,
                                 record->path);
    }
    if (archive_stream_drain(run->stream, err) != ALFUP_OK ||
        archive_stream_sha256(run->stream, run->result->archive_sha256, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (strcmp(run->recorded_sha256, run->result->archive_sha256) != 0)
        return alfup_err_set(err, "archive %s: sha-256 %s does not match %s%s (%s): the file is corrupted", run->path,
                             run->result->archive_sha256, run->path, ARCHIVE_SHA256_SUFFIX, run->recorded_sha256);
    const char *want = run->options->expected_sha256;
    if (want != NULL && strcmp(want, run->result->archive_sha256) != 0)
        return alfup_err_set(err, "archive %s: sha-256 %s, expected %s", run->path, run->result->archive_sha256, want);
    return ALFUP_OK;
}

int archive_check_run(const char *archive_path, const archive_check_options_t *options, archive_progress_t *progress,
                      archive_check_result_t *result, alfup_err_t *err)
{
    check_run_t run = {.path = archive_path, .options = options, .progress = progress, .result = result, .fd = -1};
    *result = (archive_check_result_t){0};
    int rc = load_manifest(&run, err);
    if (rc == ALFUP_OK)
        rc = archive_check_read_sha256(archive_path, run.recorded_sha256, err);
    if (rc == ALFUP_OK && options->tree != NULL && !options->tree_may_be_absent &&
        manifest_find(run.manifest, options->tree) == NULL)
        rc = alfup_err_set(err, "archive %s has no tree '%s'", archive_path, options->tree);
    if (rc == ALFUP_OK)
        rc = open_archive(&run, err);
    if (rc == ALFUP_OK)
        rc = read_entries(&run, err);
    if (rc == ALFUP_OK)
        rc = check_complete(&run, err);
    if (rc == ALFUP_OK)
        archive_progress_tick(progress, 1);
    if (run.archive != NULL)
        archive_read_free(run.archive);
    archive_stream_destroy(&run.stream);
    archive_digest_destroy(&run.digest);
    manifest_destroy(&run.manifest);
    free(run.manifest_text);
    if (run.fd >= 0 && options->drop_cache)
        page_cache_drop(run.fd);
    if (run.fd >= 0)
        close(run.fd);
    return rc;
}
