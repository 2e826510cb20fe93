/* manifest.c -- the line-based sha-256 manifest of tree archives (format in manifest.h). */
#include "manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_path.h"
#include "hex_digits.h"
#include "path_records.h"

#define MANIFEST_MODE_MAX 07777u

/* An "x" or "r" record: just a path. */
typedef struct manifest_path {
    char *path;
} manifest_path_t;

struct manifest {
    manifest_entry_t *entries;
    size_t count, capacity;
    size_t *sorted;                        /* indices sorted by path; rebuilt when stale */
    size_t sorted_count;                   /* how many entries 'sorted' covers */
    int version;                           /* 1, or 2 once a version 2 record was added */
    char base[ARCHIVE_DIGEST_HEX_LEN + 1]; /* "" when none */
    path_records_t folders;                /* manifest_folder_t */
    path_records_t untrusted;              /* manifest_path_t */
    path_records_t removed;                /* manifest_path_t */
};

/* A growable output buffer for manifest_format. */
typedef struct text_buf {
    char *bytes;
    size_t len, capacity;
} text_buf_t;

manifest_t *manifest_new(void)
{
    manifest_t *manifest = calloc(1, sizeof(manifest_t));
    if (manifest == NULL)
        return NULL;
    manifest->version = 1;
    path_records_init(&manifest->folders, sizeof(manifest_folder_t));
    path_records_init(&manifest->untrusted, sizeof(manifest_path_t));
    path_records_init(&manifest->removed, sizeof(manifest_path_t));
    return manifest;
}

static int is_hex_digest(const char *text)
{
    if (text == NULL || strlen(text) != ARCHIVE_DIGEST_HEX_LEN)
        return 0;
    for (const char *p = text; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int manifest_add(manifest_t *manifest, manifest_type_t type, uint64_t size, const char *sha256, unsigned mode,
                 const char *path, const char *link, alfup_err_t *err)
{
    if (!archive_path_is_safe(path) || archive_path_len(path) != strlen(path))
        return alfup_err_set(err, "manifest: unsafe path '%s'", path ? path : "");
    if (type != MANIFEST_FILE && type != MANIFEST_DIR && type != MANIFEST_SYMLINK)
        return alfup_err_set(err, "manifest: %s: unknown type", path);
    if (type == MANIFEST_FILE && !is_hex_digest(sha256))
        return alfup_err_set(err, "manifest: %s: bad sha-256", path);
    if (type == MANIFEST_SYMLINK && (link == NULL || link[0] == '\0' || strlen(link) >= ARCHIVE_PATH_MAX))
        return alfup_err_set(err, "manifest: %s: bad symlink target", path);
    if (mode > MANIFEST_MODE_MAX)
        return alfup_err_set(err, "manifest: %s: bad mode %o", path, mode);
    if (manifest->count == manifest->capacity) {
        size_t capacity = manifest->capacity ? manifest->capacity * 2 : 64;
        manifest_entry_t *grown = realloc(manifest->entries, capacity * sizeof *grown);
        if (grown == NULL)
            return alfup_err_set(err, "manifest: out of memory");
        manifest->entries = grown;
        manifest->capacity = capacity;
    }
    manifest_entry_t *entry = &manifest->entries[manifest->count];
    memset(entry, 0, sizeof *entry);
    entry->type = type;
    entry->mode = mode;
    entry->path = strdup(path);
    if (type == MANIFEST_FILE) {
        entry->size = size;
        memcpy(entry->sha256, sha256, ARCHIVE_DIGEST_HEX_LEN + 1);
    }
    if (type == MANIFEST_SYMLINK)
        entry->link = strdup(link);
    if (entry->path == NULL || (type == MANIFEST_SYMLINK && entry->link == NULL)) {
        free(entry->path);
        free(entry->link);
        return alfup_err_set(err, "manifest: out of memory");
    }
    manifest->count++;
    return ALFUP_OK;
}

static int buf_reserve(text_buf_t *buf, size_t more)
{
    if (buf->len + more + 1 <= buf->capacity)
        return 0;
    size_t capacity = buf->capacity ? buf->capacity : 4096;
    while (capacity < buf->len + more + 1)
        capacity *= 2;
    char *grown = realloc(buf->bytes, capacity);
    if (grown == NULL)
        return -1;
    buf->bytes = grown;
    buf->capacity = capacity;
    return 0;
}

static int buf_printf(text_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(text_buf_t *buf, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || buf_reserve(buf, (size_t)n) != 0)
        return -1;
    memcpy(buf->bytes + buf->len, line, (size_t)n + 1);
    buf->len += (size_t)n;
    return 0;
}

/* Appends ' ' and the escaped form of text. */
static int buf_escaped(text_buf_t *buf, const char *text)
{
    static const char DIGITS[] = "0123456789ABCDEF";
    if (buf_reserve(buf, 1 + 3 * strlen(text)) != 0)
        return -1;
    buf->bytes[buf->len++] = ' ';
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < '!' || *p > '~' || *p == '%') {
            buf->bytes[buf->len++] = '%';
            buf->bytes[buf->len++] = DIGITS[*p >> 4];
            buf->bytes[buf->len++] = DIGITS[*p & 0x0f];
        } else {
            buf->bytes[buf->len++] = (char)*p;
        }
    }
    buf->bytes[buf->len] = '\0';
    return 0;
}

static int format_entry(text_buf_t *buf, const manifest_entry_t *entry)
{
    int rc;
    if (entry->type == MANIFEST_FILE)
        rc = buf_printf(buf, "f %llu %s %04o", (unsigned long long)entry->size, entry->sha256, entry->mode);
    else
        rc = buf_printf(buf, "%c - - %04o", (char)entry->type, entry->mode);
    if (rc == 0)
        rc = buf_escaped(buf, entry->path);
    if (rc == 0 && entry->type == MANIFEST_SYMLINK)
        rc = buf_escaped(buf, entry->link);
    if (rc == 0)
        rc = buf_printf(buf, "\n");
    return rc;
}

static int format_folder(text_buf_t *buf, const manifest_folder_t *folder)
{
    int rc = buf_printf(buf, "s %llu %llu %lld.%09ld %lld.%09ld %s", folder->dev, folder->ino, folder->mtime_sec,
                        folder->mtime_nsec, folder->ctime_sec, folder->ctime_nsec, folder->dirty ? "dirty" : "clean");
    if (rc == 0)
        rc = buf_escaped(buf, folder->path);
    return rc == 0 ? buf_printf(buf, "\n") : rc;
}

/* Writes the "x" or "r" records of list. */
static int format_paths(text_buf_t *buf, char type, const path_records_t *list)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < list->count; i++) {
        const manifest_path_t *record = path_records_at(list, i);
        rc = buf_printf(buf, "%c", type);
        if (rc == 0)
            rc = buf_escaped(buf, record->path);
        if (rc == 0)
            rc = buf_printf(buf, "\n");
    }
    return rc;
}

/* The version 2 records after the entries. */
static int format_v2_records(text_buf_t *buf, const manifest_t *manifest)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < manifest->folders.count; i++)
        rc = format_folder(buf, path_records_at(&manifest->folders, i));
    if (rc == 0)
        rc = format_paths(buf, 'x', &manifest->untrusted);
    if (rc == 0)
        rc = format_paths(buf, 'r', &manifest->removed);
    return rc;
}

static size_t record_total(const manifest_t *manifest)
{
    return manifest->count + manifest->folders.count + manifest->untrusted.count + manifest->removed.count +
           (manifest->base[0] != '\0');
}

int manifest_format(const manifest_t *manifest, char **text, size_t *len, alfup_err_t *err)
{
    text_buf_t buf = {0};
    int rc = buf_printf(&buf, "%s\n", manifest->version == 2 ? MANIFEST_MAGIC_V2 : MANIFEST_MAGIC);
    if (rc == 0 && manifest->base[0] != '\0')
        rc = buf_printf(&buf, "base %s\n", manifest->base);
    for (size_t i = 0; rc == 0 && i < manifest->count; i++)
        rc = format_entry(&buf, &manifest->entries[i]);
    if (rc == 0)
        rc = format_v2_records(&buf, manifest);
    if (rc == 0)
        rc = buf_printf(&buf, "end %zu\n", record_total(manifest));
    if (rc != 0) {
        free(buf.bytes);
        return alfup_err_set(err, "manifest: out of memory");
    }
    *text = buf.bytes;
    *len = buf.len;
    return ALFUP_OK;
}

static int compare_paths(const void *a, const void *b, void *arg)
{
    const manifest_t *manifest = arg;
    return strcmp(manifest->entries[*(const size_t *)a].path, manifest->entries[*(const size_t *)b].path);
}

/* (Re)builds the sorted index. Returns the index of a duplicate path + 1 when
 * one exists, 0 when none, (size_t)-1 when out of memory. */
static size_t build_index(manifest_t *manifest)
{
    if (manifest->sorted != NULL && manifest->sorted_count == manifest->count)
        return 0;
    free(manifest->sorted);
    manifest->sorted_count = 0;
    manifest->sorted = malloc((manifest->count ? manifest->count : 1) * sizeof(size_t));
    if (manifest->sorted == NULL)
        return (size_t)-1;
    for (size_t i = 0; i < manifest->count; i++)
        manifest->sorted[i] = i;
    qsort_r(manifest->sorted, manifest->count, sizeof(size_t), compare_paths, manifest);
    manifest->sorted_count = manifest->count;
    for (size_t i = 1; i < manifest->count; i++)
        if (compare_paths(&manifest->sorted[i - 1], &manifest->sorted[i], manifest) == 0)
            return manifest->sorted[i] + 1;
    return 0;
}

/* One field of a line: not NUL-terminated. */
typedef struct field {
    const char *start;
    size_t len;
} field_t;

#define MANIFEST_FIELDS_MAX 7

/* Splits a line at single spaces. Returns the field count, or 0 when a field is
 * empty or there are more than MANIFEST_FIELDS_MAX. */
static size_t split_fields(const char *line, size_t len, field_t *fields)
{
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ' ')
            continue;
        if (i == start || count == MANIFEST_FIELDS_MAX)
            return 0;
        fields[count].start = line + start;
        fields[count].len = i - start;
        count++;
        start = i + 1;
    }
    return count;
}

static int field_is(const field_t *field, const char *text)
{
    return field->len == strlen(text) && memcmp(field->start, text, field->len) == 0;
}

/* Decodes an escaped field into out (ARCHIVE_PATH_MAX bytes). 0 or -1. */
static int unescape_field(const field_t *field, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < field->len; i++) {
        unsigned char c = (unsigned char)field->start[i];
        if (c < '!' || c > '~')
            return -1;
        if (c == '%') {
            if (i + 2 >= field->len)
                return -1;
            int byte = hex_pair_value(field->start + i + 1);
            if (byte <= 0)
                return -1;
            c = (unsigned char)byte;
            i += 2;
        }
        if (n + 1 >= ARCHIVE_PATH_MAX)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

/* Parses a decimal field of at most 20 digits without overflow. 0 or -1. */
static int parse_u64(const field_t *field, uint64_t *value)
{
    if (field->len == 0 || field->len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < field->len; i++) {
        char c = field->start[i];
        if (c < '0' || c > '9' || v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(c - '0');
    }
    *value = v;
    return 0;
}

/* Parses exactly four octal digits. 0 or -1. */
static int parse_mode(const field_t *field, unsigned *mode)
{
    if (field->len != 4)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < 4; i++) {
        char c = field->start[i];
        if (c < '0' || c > '7')
            return -1;
        v = v * 8 + (unsigned)(c - '0');
    }
    *mode = v;
    return 0;
}

/* Parses one record line into the manifest. 0, or -1 with err (without line number). */
static int parse_record(manifest_t *manifest, const field_t *fields, size_t count, char *path, char *link,
                        alfup_err_t *err)
{
    if (count < 5 || fields[0].len != 1)
        return alfup_err_set(err, "malformed record");
    char type = fields[0].start[0];
    uint64_t size = 0;
    char sha[ARCHIVE_DIGEST_HEX_LEN + 1] = "";
    unsigned mode = 0;
    if (type == MANIFEST_FILE) {
        if (count != 5 || parse_u64(&fields[1], &size) != 0 || fields[2].len != ARCHIVE_DIGEST_HEX_LEN)
            return alfup_err_set(err, "malformed file record");
        memcpy(sha, fields[2].start, ARCHIVE_DIGEST_HEX_LEN);
    } else if (type == MANIFEST_DIR || type == MANIFEST_SYMLINK) {
        if (count != (type == MANIFEST_DIR ? 5u : 6u) || !field_is(&fields[1], "-") || !field_is(&fields[2], "-"))
            return alfup_err_set(err, "malformed %s record", type == MANIFEST_DIR ? "folder" : "symlink");
    } else {
        return alfup_err_set(err, "unknown record type");
    }
    if (parse_mode(&fields[3], &mode) != 0)
        return alfup_err_set(err, "bad mode");
    if (unescape_field(&fields[4], path) != 0 || (count == 6 && unescape_field(&fields[5], link) != 0))
        return alfup_err_set(err, "bad escaped name");
    return manifest_add(manifest, (manifest_type_t)type, size, sha, mode, path, type == MANIFEST_SYMLINK ? link : NULL,
                        err);
}

/* Parses "SEC.NNNNNNNNN" (SEC may be negative). 0 or -1. */
static int parse_time(const field_t *field, long long *sec, long *nsec)
{
    const char *dot = memchr(field->start, '.', field->len);
    if (dot == NULL)
        return -1;
    int negative = field->start[0] == '-';
    field_t whole = {field->start + negative, (size_t)(dot - field->start) - (size_t)negative};
    field_t frac = {dot + 1, field->len - (size_t)(dot + 1 - field->start)};
    uint64_t s = 0, ns = 0;
    if (whole.len > 18 || frac.len != 9 || parse_u64(&whole, &s) != 0 || parse_u64(&frac, &ns) != 0)
        return -1;
    *sec = negative ? -(long long)s : (long long)s;
    *nsec = (long)ns;
    return 0;
}

/* "s DEV INO MTIME CTIME STATE PATH" */
static int parse_folder(manifest_t *manifest, const field_t *fields, size_t count, char *path, alfup_err_t *err)
{
    manifest_folder_t folder = {0};
    uint64_t dev = 0, ino = 0;
    if (count != 7 || parse_u64(&fields[1], &dev) != 0 || parse_u64(&fields[2], &ino) != 0 ||
        parse_time(&fields[3], &folder.mtime_sec, &folder.mtime_nsec) != 0 ||
        parse_time(&fields[4], &folder.ctime_sec, &folder.ctime_nsec) != 0 ||
        !(field_is(&fields[5], "clean") || field_is(&fields[5], "dirty")))
        return alfup_err_set(err, "malformed folder state record");
    if (unescape_field(&fields[6], path) != 0)
        return alfup_err_set(err, "bad escaped name");
    folder.dev = dev;
    folder.ino = ino;
    folder.dirty = field_is(&fields[5], "dirty");
    folder.path = path;
    return manifest_add_folder(manifest, &folder, err);
}

/* A version 2 record other than "base": s, x or r. 1 when the line is not one of them. */
static int parse_v2_record(manifest_t *manifest, const field_t *fields, size_t count, char *path, alfup_err_t *err)
{
    if (manifest->version != 2 || fields[0].len != 1)
        return 1;
    char type = fields[0].start[0];
    if (type == 's')
        return parse_folder(manifest, fields, count, path, err);
    if (type != 'x' && type != 'r')
        return 1;
    if (count != 2)
        return alfup_err_set(err, "malformed %c record", type);
    if (unescape_field(&fields[1], path) != 0)
        return alfup_err_set(err, "bad escaped name");
    return type == 'x' ? manifest_add_untrusted(manifest, path, err) : manifest_add_removed(manifest, path, err);
}

/* One line that is not the end line. */
static int parse_line(manifest_t *manifest, const field_t *fields, size_t count, size_t line_no, char *path, char *link,
                      alfup_err_t *err)
{
    if (count == 0)
        return alfup_err_set(err, "malformed record");
    if (field_is(&fields[0], "base")) {
        if (manifest->version != 2 || line_no != 2 || count != 2)
            return alfup_err_set(err, "misplaced or malformed base record");
        char sha[ARCHIVE_DIGEST_HEX_LEN + 1] = "";
        if (fields[1].len != ARCHIVE_DIGEST_HEX_LEN)
            return alfup_err_set(err, "bad base sha-256");
        memcpy(sha, fields[1].start, ARCHIVE_DIGEST_HEX_LEN);
        return manifest_set_base(manifest, sha, err);
    }
    int rc = parse_v2_record(manifest, fields, count, path, err);
    if (rc != 1)
        return rc;
    return parse_record(manifest, fields, count, path, link, err);
}

/* Parses the lines after the magic line, up to and including "end COUNT". */
static int parse_body(manifest_t *manifest, const char *text, size_t len, size_t pos, char *path, char *link,
                      alfup_err_t *err)
{
    for (size_t line_no = 2;; line_no++) {
        const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
        if (nl == NULL)
            return alfup_err_set(err, "manifest line %zu: truncated (no \"end\" line)", line_no);
        size_t line_len = (size_t)(nl - (text + pos));
        field_t fields[MANIFEST_FIELDS_MAX];
        size_t count = split_fields(text + pos, line_len, fields);
        pos += line_len + 1;
        uint64_t end_count = 0;
        if (count == 2 && field_is(&fields[0], "end")) {
            if (parse_u64(&fields[1], &end_count) != 0 || end_count != record_total(manifest))
                return alfup_err_set(err, "manifest line %zu: record count does not match", line_no);
            if (pos != len)
                return alfup_err_set(err, "manifest line %zu: text after the end line", line_no + 1);
            return ALFUP_OK;
        }
        if (parse_line(manifest, fields, count, line_no, path, link, err) != ALFUP_OK)
            return alfup_err_prefix(err, "manifest line %zu", line_no);
    }
}

/* The magic line's version: 1, 2, or 0 when it is not a manifest. */
static int magic_version(const char *text, size_t len)
{
    size_t magic_len = strlen(MANIFEST_MAGIC);
    if (len <= magic_len || text[magic_len] != '\n')
        return 0;
    if (memcmp(text, MANIFEST_MAGIC, magic_len) == 0)
        return 1;
    return memcmp(text, MANIFEST_MAGIC_V2, magic_len) == 0 ? 2 : 0;
}

/* A duplicate path in the entries or in one of the version 2 lists: its path, or NULL. */
static const char *find_duplicate(manifest_t *manifest, int *oom)
{
    size_t duplicate = build_index(manifest);
    *oom = duplicate == (size_t)-1;
    if (*oom)
        return NULL;
    if (duplicate != 0)
        return manifest->entries[duplicate - 1].path;
    path_records_t *lists[] = {&manifest->folders, &manifest->untrusted, &manifest->removed};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const char *path = path_records_duplicate(lists[i], oom);
        if (path != NULL || *oom)
            return path;
    }
    return NULL;
}

manifest_t *manifest_parse(const char *text, size_t len, alfup_err_t *err)
{
    if (len > MANIFEST_MAX_BYTES)
        return alfup_err_set(err, "manifest: longer than %u bytes", MANIFEST_MAX_BYTES), NULL;
    int version = magic_version(text, len);
    if (version == 0)
        return alfup_err_set(err, "manifest line 1: not an alfup manifest"), NULL;
    manifest_t *manifest = manifest_new();
    char *path = malloc(ARCHIVE_PATH_MAX), *link = malloc(ARCHIVE_PATH_MAX);
    if (manifest == NULL || path == NULL || link == NULL) {
        alfup_err_set(err, "manifest: out of memory");
        goto fail;
    }
    manifest->version = version;
    if (parse_body(manifest, text, len, strlen(MANIFEST_MAGIC) + 1, path, link, err) != ALFUP_OK)
        goto fail;
    int oom = 0;
    const char *duplicate = find_duplicate(manifest, &oom);
    if (oom || duplicate != NULL) {
        if (oom)
            alfup_err_set(err, "manifest: out of memory");
        else
            alfup_err_set(err, "manifest: duplicate path '%s'", duplicate);
        goto fail;
    }
    free(path);
    free(link);
    return manifest;
fail:
    free(path);
    free(link);
    manifest_destroy(&manifest);
    return NULL;
}

manifest_entry_t *manifest_find(manifest_t *manifest, const char *path)
{
    if (build_index(manifest) == (size_t)-1)
        return NULL;
    size_t low = 0, high = manifest->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        manifest_entry_t *entry = &manifest->entries[manifest->sorted[mid]];
        int cmp = strcmp(path, entry->path);
        if (cmp == 0)
            return entry;
        if (cmp < 0)
            high = mid;
        else
            low = mid + 1;
    }
    return NULL;
}

size_t manifest_count(const manifest_t *manifest)
{
    return manifest->count;
}

manifest_entry_t *manifest_entry_at(manifest_t *manifest, size_t index)
{
    return index < manifest->count ? &manifest->entries[index] : NULL;
}

static int path_is_storable(const char *path)
{
    return path != NULL && archive_path_is_safe(path) && archive_path_len(path) == strlen(path);
}

#define NSEC_MAX 999999999L

int manifest_add_folder(manifest_t *manifest, const manifest_folder_t *folder, alfup_err_t *err)
{
    if (!path_is_storable(folder->path))
        return alfup_err_set(err, "manifest: unsafe path '%s'", folder->path ? folder->path : "");
    if (folder->mtime_nsec < 0 || folder->mtime_nsec > NSEC_MAX || folder->ctime_nsec < 0 ||
        folder->ctime_nsec > NSEC_MAX)
        return alfup_err_set(err, "manifest: %s: bad folder times", folder->path);
    manifest_folder_t *added = path_records_append(&manifest->folders, folder->path);
    if (added == NULL)
        return alfup_err_set(err, "manifest: out of memory");
    char *path = added->path;
    *added = *folder;
    added->path = path;
    added->dirty = folder->dirty != 0;
    manifest->version = 2;
    return ALFUP_OK;
}

size_t manifest_folder_count(const manifest_t *manifest)
{
    return manifest->folders.count;
}

manifest_folder_t *manifest_folder_at(manifest_t *manifest, size_t index)
{
    return path_records_at(&manifest->folders, index);
}

manifest_folder_t *manifest_folder_find(manifest_t *manifest, const char *path)
{
    return path_records_find(&manifest->folders, path);
}

static int add_path_record(manifest_t *manifest, path_records_t *list, const char *path, alfup_err_t *err)
{
    if (!path_is_storable(path))
        return alfup_err_set(err, "manifest: unsafe path '%s'", path ? path : "");
    if (path_records_append(list, path) == NULL)
        return alfup_err_set(err, "manifest: out of memory");
    manifest->version = 2;
    return ALFUP_OK;
}

int manifest_add_untrusted(manifest_t *manifest, const char *path, alfup_err_t *err)
{
    return add_path_record(manifest, &manifest->untrusted, path, err);
}

int manifest_is_untrusted(manifest_t *manifest, const char *path)
{
    return path_records_find(&manifest->untrusted, path) != NULL;
}

size_t manifest_untrusted_count(const manifest_t *manifest)
{
    return manifest->untrusted.count;
}

int manifest_add_removed(manifest_t *manifest, const char *path, alfup_err_t *err)
{
    return add_path_record(manifest, &manifest->removed, path, err);
}

size_t manifest_removed_count(const manifest_t *manifest)
{
    return manifest->removed.count;
}

const char *manifest_removed_at(const manifest_t *manifest, size_t index)
{
    const manifest_path_t *record = path_records_at(&manifest->removed, index);
    return record ? record->path : NULL;
}

int manifest_set_base(manifest_t *manifest, const char *sha256, alfup_err_t *err)
{
    if (!is_hex_digest(sha256))
        return alfup_err_set(err, "manifest: bad base sha-256");
    if (manifest->base[0] != '\0')
        return alfup_err_set(err, "manifest: the base is set twice");
    memcpy(manifest->base, sha256, ARCHIVE_DIGEST_HEX_LEN + 1);
    manifest->version = 2;
    return ALFUP_OK;
}

const char *manifest_base(const manifest_t *manifest)
{
    return manifest->base[0] != '\0' ? manifest->base : NULL;
}

int manifest_version(const manifest_t *manifest)
{
    return manifest->version;
}

void manifest_destroy(manifest_t **manifest_p)
{
    if (manifest_p == NULL || *manifest_p == NULL)
        return;
    manifest_t *manifest = *manifest_p;
    for (size_t i = 0; i < manifest->count; i++) {
        free(manifest->entries[i].path);
        free(manifest->entries[i].link);
    }
    free(manifest->entries);
    free(manifest->sorted);
    path_records_clear(&manifest->folders);
    path_records_clear(&manifest->untrusted);
    path_records_clear(&manifest->removed);
    free(manifest);
    *manifest_p = NULL;
}
