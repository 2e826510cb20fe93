/* delta_scan.c -- the delta of one tree against its online base (see delta_scan.h). */
#include "delta_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_path.h"
#include "folder_beneath.h"
#include "folder_names.h"
#include "online_state.h"
#include "tree_walk.h"

/* One tree's scan. */
typedef struct scan {
    manifest_t *base;
    const char *root, *name;
    size_t name_len;
    int rootfd;
    manifest_entry_t **kids; /* the base entries of the tree, sorted by (parent folder, last component) */
    size_t kid_count;
    str_list_t relist; /* base folders to list again */
    archive_writer_t *writer; /* NULL: count only (the delta-scan step) */
    archive_tree_stats_t stats;
    archive_progress_t *progress;
    delta_counts_t *counts;
    str_list_t *listed; /* may be NULL: every folder listed */
    str_list_t *log;
} scan_t;

/* The parent part of path ("a/b" for "a/b/c", "" for "a"). */
static size_t parent_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) : 0;
}

static int compare_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
    int cmp = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (cmp != 0)
        return cmp;
    return a_len < b_len ? -1 : a_len > b_len;
}

static int compare_kids(const void *a, const void *b)
{
    const char *pa = (*(manifest_entry_t *const *)a)->path, *pb = (*(manifest_entry_t *const *)b)->path;
    size_t la = parent_len(pa), lb = parent_len(pb);
    int cmp = compare_bytes(pa, la, pb, lb);
    return cmp != 0 ? cmp : strcmp(pa + la, pb + lb);
}

/* "name" or "name/..." */
static int in_tree(const scan_t *scan, const char *path)
{
    return strncmp(path, scan->name, scan->name_len) == 0 &&
           (path[scan->name_len] == '\0' || path[scan->name_len] == '/');
}

/* The path below the tree root: "" for the root itself. */
static const char *rel_of(const scan_t *scan, const char *path)
{
    return path[scan->name_len] == '/' ? path + scan->name_len + 1 : "";
}

static int build_kids(scan_t *scan, alfup_err_t *err)
{
    size_t total = manifest_count(scan->base);
    scan->kids = malloc((total ? total : 1) * sizeof *scan->kids);
    if (scan->kids == NULL)
        return alfup_err_set(err, "delta: out of memory");
    for (size_t i = 0; i < total; i++) {
        manifest_entry_t *entry = manifest_entry_at(scan->base, i);
        if (in_tree(scan, entry->path) && entry->path[scan->name_len] == '/')
            scan->kids[scan->kid_count++] = entry;
    }
    qsort(scan->kids, scan->kid_count, sizeof *scan->kids, compare_kids);
    return ALFUP_OK;
}

/* The base entries directly inside folder: kids[*first .. *end). */
static void kids_of(const scan_t *scan, const char *folder, size_t *first, size_t *end)
{
    size_t folder_len = strlen(folder), low = 0, high = scan->kid_count;
    while (low < high) { /* first entry whose parent is >= folder */
        size_t mid = low + (high - low) / 2;
        const char *p = scan->kids[mid]->path;
        if (compare_bytes(p, parent_len(p), folder, folder_len) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    *first = low;
    while (low < scan->kid_count) {
        const char *p = scan->kids[low]->path;
        if (compare_bytes(p, parent_len(p), folder, folder_len) != 0)
            break;
        low++;
    }
    *end = low;
}

static int add_relist(scan_t *scan, const char *folder, size_t len, alfup_err_t *err)
{
    if (str_list_addf(&scan->relist, "%.*s", (int)len, folder) != 0)
        return alfup_err_set(err, "delta: out of memory");
    return ALFUP_OK;
}

static int gone_errno(int e)
{
    return e == ENOENT || e == ENOTDIR || e == ELOOP || e == EXDEV;
}

/* Writes an added entry to the delta, or only counts it when the scan has no writer. */
static int emit_added(scan_t *scan, int fd, const char *name, const char *path, const struct stat *st,
                      alfup_err_t *err)
{
    if (scan->writer == NULL)
        return ALFUP_OK;
    return archive_writer_add_at(scan->writer, fd, name, path, st, path, &scan->stats, err);
}

/* Phase 1: one open + fstat per base folder; the ones that differ, are dirty,
 * or are the parent of a gone one are listed again. */
static int find_changed_folders(scan_t *scan, alfup_err_t *err)
{
    for (size_t i = 0; i < manifest_folder_count(scan->base); i++) {
        const manifest_folder_t *folder = manifest_folder_at(scan->base, i);
        if (!in_tree(scan, folder->path))
            continue;
        scan->counts->folders_total++;
        const char *rel = rel_of(scan, folder->path);
        int fd = folder_beneath_open(scan->rootfd, rel);
        if (fd < 0 && gone_errno(errno) && rel[0] != '\0') {
            if (add_relist(scan, folder->path, parent_len(folder->path), err) != ALFUP_OK)
                return ALFUP_ERR;
            continue;
        }
        if (fd < 0)
            return alfup_err_errno(err, errno, "delta: open %s/%s", scan->root, rel);
        struct stat st;
        int stat_rc = fstat(fd, &st);
        close(fd);
        if (stat_rc != 0)
            return alfup_err_errno(err, errno, "delta: stat %s/%s", scan->root, rel);
        if ((folder->dirty || !online_folder_unchanged(folder, &st)) &&
            add_relist(scan, folder->path, strlen(folder->path), err) != ALFUP_OK)
            return ALFUP_ERR;
        if (archive_progress_tick(scan->progress, 0) == ARCHIVE_CANCELLED)
            return ARCHIVE_CANCELLED;
    }
    return ALFUP_OK;
}

/* A base folder without a recorded state is listed again too. */
static int add_unrecorded(scan_t *scan, alfup_err_t *err)
{
    if (manifest_folder_find(scan->base, scan->name) == NULL)
        return alfup_err_set(err, "delta: the base has no folder state for tree %s (not an online base?)", scan->name);
    for (size_t i = 0; i < scan->kid_count; i++) {
        const manifest_entry_t *entry = scan->kids[i];
        int unrecorded = entry->type == MANIFEST_DIR && manifest_folder_find(scan->base, entry->path) == NULL;
        if (unrecorded && add_relist(scan, entry->path, strlen(entry->path), err) != ALFUP_OK)
            return ALFUP_ERR;
    }
    return ALFUP_OK;
}

static void sort_relist(scan_t *scan)
{
    str_list_sort(&scan->relist);
}

/* Whether the folder of path will be listed again (the relist list is sorted). */
static int parent_relisted(const scan_t *scan, const char *path)
{
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", (int)parent_len(path), path);
    return str_list_sorted_has(&scan->relist, parent);
}

/* The lstat of a base file below the tree root: 0, or -1 with errno (ENOENT etc. when gone). */
static int stat_in_tree(const scan_t *scan, const char *path, struct stat *st, int *parent_fd, char *name)
{
    *parent_fd = folder_beneath_open_parent(scan->rootfd, rel_of(scan, path), name);
    if (*parent_fd < 0)
        return -1;
    if (fstatat(*parent_fd, name, st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    int saved = errno;
    close(*parent_fd);
    *parent_fd = -1;
    errno = saved;
    return -1;
}

/* Untrusted files (changed while read, or written within settle_s of the
 * base) in folders that are not listed again: one that is still there is
 * copied again; one that is gone or replaced makes its folder listed again. */
static int recheck_untrusted(scan_t *scan, int copy, alfup_err_t *err)
{
    for (size_t i = 0; i < scan->kid_count; i++) {
        const manifest_entry_t *entry = scan->kids[i];
        if (entry->type != MANIFEST_FILE || !manifest_is_untrusted(scan->base, entry->path) ||
            parent_relisted(scan, entry->path))
            continue;
        struct stat st;
        char name[NAME_MAX + 1];
        int fd = -1, rc = ALFUP_OK;
        if (stat_in_tree(scan, entry->path, &st, &fd, name) != 0 && !gone_errno(errno))
            return alfup_err_errno(err, errno, "delta: stat %s/%s", scan->root, rel_of(scan, entry->path));
        if (!copy && (fd < 0 || !S_ISREG(st.st_mode)))
            rc = add_relist(scan, entry->path, parent_len(entry->path), err);
        if (copy && fd >= 0) {
            rc = emit_added(scan, fd, name, entry->path, &st, err);
            scan->counts->files_added += rc == ALFUP_OK;
            scan->counts->bytes_added += rc == ALFUP_OK ? (uint64_t)st.st_size : 0;
        }
        if (fd >= 0)
            close(fd);
        if (rc != ALFUP_OK)
            return rc;
    }
    return ALFUP_OK;
}

/* Records base entry kid and (for a folder) every base entry below it as removed. */
static int remove_subtree(scan_t *scan, const manifest_entry_t *kid, alfup_err_t *err)
{
    if (scan->writer != NULL && archive_writer_add_removed(scan->writer, kid->path, err) != ALFUP_OK)
        return ALFUP_ERR;
    scan->counts->removed++;
    if (kid->type != MANIFEST_DIR)
        return ALFUP_OK;
    size_t first, end;
    kids_of(scan, kid->path, &first, &end);
    for (size_t i = first; i < end; i++)
        if (remove_subtree(scan, scan->kids[i], err) != ALFUP_OK)
            return ALFUP_ERR;
    return ALFUP_OK;
}

/* The last component of a base path. */
static const char *last_component(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static manifest_type_t type_of(mode_t mode)
{
    return S_ISREG(mode) ? MANIFEST_FILE : S_ISDIR(mode) ? MANIFEST_DIR : S_ISLNK(mode) ? MANIFEST_SYMLINK : 0;
}

/* Base entries of folder that are gone, or are now of another type: removed. */
static int removed_in(scan_t *scan, int fd, const char *folder, const str_list_t *names, alfup_err_t *err)
{
    size_t first, end;
    kids_of(scan, folder, &first, &end);
    for (size_t i = first; i < end; i++) {
        const manifest_entry_t *kid = scan->kids[i];
        const char *name = last_component(kid->path);
        struct stat st;
        int gone = !str_list_sorted_has(names, name);
        if (!gone && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT)
                return alfup_err_errno(err, errno, "delta: stat %s/%s", scan->root, rel_of(scan, kid->path));
            gone = 1;
        }
        if ((gone || type_of(st.st_mode) != kid->type) && remove_subtree(scan, kid, err) != ALFUP_OK)
            return ALFUP_ERR;
    }
    return ALFUP_OK;
}

/* Whether the entry listed as name in folder (its lstat st) is the same as in the base. */
static int same_as_base(scan_t *scan, int fd, const char *name, const char *path, const struct stat *st)
{
    manifest_entry_t *kid = manifest_find(scan->base, path);
    if (kid == NULL || kid->type != type_of(st->st_mode))
        return 0;
    if (kid->type == MANIFEST_FILE)
        return kid->size == (uint64_t)st->st_size && kid->mode == (unsigned)(st->st_mode & 07777) &&
               !manifest_is_untrusted(scan->base, path);
    if (kid->type == MANIFEST_DIR)
        return kid->mode == (unsigned)(st->st_mode & 07777);
    char target[ARCHIVE_PATH_MAX];
    ssize_t n = readlinkat(fd, name, target, sizeof target - 1);
    if (n <= 0 || (size_t)n >= sizeof target - 1)
        return 0; /* added: the writer reads it again and reports the error */
    target[n] = '\0';
    return strcmp(target, kid->link) == 0;
}

static int relist_folder(scan_t *scan, const char *folder, int is_new, alfup_err_t *err);

/* One entry of a re-listed folder: written when new or different; a new folder is listed in turn. */
static int visit_entry(scan_t *scan, int fd, const char *folder, const char *name, alfup_err_t *err)
{
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return alfup_err_errno(err, errno, "delta: stat %s/%s/%s", scan->root, rel_of(scan, folder), name);
    if (type_of(st.st_mode) == 0) {
        str_list_addf(scan->log, "skipped %s/%s: not a file, folder or symlink", folder, name);
        return ALFUP_OK;
    }
    char *path = NULL;
    if (asprintf(&path, "%s/%s", folder, name) < 0)
        return alfup_err_set(err, "delta: out of memory");
    manifest_entry_t *kid = manifest_find(scan->base, path);
    int new_folder = S_ISDIR(st.st_mode) && (kid == NULL || kid->type != MANIFEST_DIR);
    int rc = ALFUP_OK;
    if (!same_as_base(scan, fd, name, path, &st)) {
        rc = emit_added(scan, fd, name, path, &st, err);
        if (rc == ALFUP_OK && S_ISREG(st.st_mode)) {
            scan->counts->files_added++;
            scan->counts->bytes_added += (uint64_t)st.st_size;
        } else if (rc == ALFUP_OK) {
            scan->counts->others_added++;
        }
    }
    if (rc == ALFUP_OK && new_folder)
        rc = relist_folder(scan, path, 1, err);
    free(path);
    return rc;
}

/* Lists folder (a base path, or a new one) and compares it with the base. A
 * folder gone since phase 1 is left to its parent, which phase 1 re-lists. */
static int relist_folder(scan_t *scan, const char *folder, int is_new, alfup_err_t *err)
{
    int fd = folder_beneath_open(scan->rootfd, rel_of(scan, folder));
    if (fd < 0 && gone_errno(errno) && !is_new && folder[scan->name_len] != '\0')
        return ALFUP_OK;
    if (fd < 0)
        return alfup_err_errno(err, errno, "delta: open %s/%s", scan->root, rel_of(scan, folder));
    scan->counts->folders_relisted++;
    if (scan->listed != NULL && str_list_add(scan->listed, folder) != 0) {
        close(fd);
        return alfup_err_set(err, "delta: out of memory");
    }
    str_list_t names = {0};
    int rc = folder_names_list(fd, folder, &names, err);
    if (rc != ALFUP_OK)
        alfup_err_prefix(err, "delta");
    if (rc == ALFUP_OK && !is_new)
        rc = removed_in(scan, fd, folder, &names, err);
    for (size_t i = 0; rc == ALFUP_OK && i < names.count; i++)
        rc = visit_entry(scan, fd, folder, names.items[i], err);
    if (rc == ALFUP_OK && archive_progress_tick(scan->progress, 0) == ARCHIVE_CANCELLED)
        rc = ARCHIVE_CANCELLED;
    str_list_clear(&names);
    close(fd);
    return rc;
}

/* Phase 2: every folder to list again, once, parents first. */
static int relist_changed(scan_t *scan, alfup_err_t *err)
{
    str_list_t *relist = &scan->relist;
    sort_relist(scan);
    for (size_t i = 0; i < relist->count; i++) {
        if (i > 0 && strcmp(relist->items[i], relist->items[i - 1]) == 0)
            continue;
        int rc = relist_folder(scan, relist->items[i], 0, err);
        if (rc != ALFUP_OK)
            return rc;
    }
    return ALFUP_OK;
}

int delta_scan_tree(manifest_t *base, const char *root, const char *name, archive_writer_t *writer,
                    archive_progress_t *progress, delta_counts_t *counts, str_list_t *relisted, str_list_t *log,
                    alfup_err_t *err)
{
    scan_t scan = {.listed = relisted,
                   .base = base,
                   .root = root,
                   .name = name,
                   .name_len = strlen(name),
                   .writer = writer,
                   .progress = progress,
                   .counts = counts,
                   .log = log};
    scan.rootfd = tree_walk_open(root, O_DIRECTORY); /* no symlink anywhere in the path */
    if (scan.rootfd < 0)
        return alfup_err_errno(err, errno, "delta: open tree %s", root);
    int rc = build_kids(&scan, err);
    if (rc == ALFUP_OK)
        rc = add_unrecorded(&scan, err);
    if (rc == ALFUP_OK)
        rc = find_changed_folders(&scan, err);
    if (rc == ALFUP_OK) {
        sort_relist(&scan);
        rc = recheck_untrusted(&scan, 0, err); /* gone ones: their folders join the list */
    }
    if (rc == ALFUP_OK) {
        sort_relist(&scan);
        rc = recheck_untrusted(&scan, 1, err); /* present ones in folders not listed: copied */
    }
    if (rc == ALFUP_OK)
        rc = relist_changed(&scan, err);
    close(scan.rootfd);
    free(scan.kids);
    str_list_clear(&scan.relist);
    return rc;
}
