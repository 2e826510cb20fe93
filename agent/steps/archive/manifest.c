/* manifest.c -- the line-based sha-256 manifest of tree archives (format in manifest.h). */
#include "manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_path.h"
#include "hex_digits.h"

#define MANIFEST_MODE_MAX 07777u

struct manifest {
    manifest_entry_t *entries;
    size_t count, capacity;
    size_t *sorted;      /* indices sorted by path; rebuilt when stale */
    size_t sorted_count; /* how many entries 'sorted' covers */
};

/* A growable output buffer for manifest_format. */
typedef struct text_buf {
    char *bytes;
    size_t len, capacity;
} text_buf_t;

manifest_t *manifest_new(void)
{
    return calloc(1, sizeof(manifest_t));
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

int manifest_format(const manifest_t *manifest, char **text, size_t *len, alfup_err_t *err)
{
    text_buf_t buf = {0};
    int rc = buf_printf(&buf, "%s\n", MANIFEST_MAGIC);
    for (size_t i = 0; rc == 0 && i < manifest->count; i++)
        rc = format_entry(&buf, &manifest->entries[i]);
    if (rc == 0)
        rc = buf_printf(&buf, "end %zu\n", manifest->count);
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

#define MANIFEST_FIELDS_MAX 6

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
            if (parse_u64(&fields[1], &end_count) != 0 || end_count != manifest->count)
                return alfup_err_set(err, "manifest line %zu: record count does not match", line_no);
            if (pos != len)
                return alfup_err_set(err, "manifest line %zu: text after the end line", line_no + 1);
            return ALFUP_OK;
        }
        if (parse_record(manifest, fields, count, path, link, err) != ALFUP_OK)
            return alfup_err_prefix(err, "manifest line %zu", line_no);
    }
}

manifest_t *manifest_parse(const char *text, size_t len, alfup_err_t *err)
{
    if (len > MANIFEST_MAX_BYTES)
        return alfup_err_set(err, "manifest: longer than %u bytes", MANIFEST_MAX_BYTES), NULL;
    size_t magic_len = strlen(MANIFEST_MAGIC);
    if (len <= magic_len || memcmp(text, MANIFEST_MAGIC, magic_len) != 0 || text[magic_len] != '\n')
        return alfup_err_set(err, "manifest line 1: not an alfup manifest"), NULL;
    manifest_t *manifest = manifest_new();
    char *path = malloc(ARCHIVE_PATH_MAX), *link = malloc(ARCHIVE_PATH_MAX);
    if (manifest == NULL || path == NULL || link == NULL) {
        alfup_err_set(err, "manifest: out of memory");
        goto fail;
    }
    if (parse_body(manifest, text, len, magic_len + 1, path, link, err) != ALFUP_OK)
        goto fail;
    size_t duplicate = build_index(manifest);
    if (duplicate == (size_t)-1) {
        alfup_err_set(err, "manifest: out of memory");
        goto fail;
    }
    if (duplicate != 0) {
        alfup_err_set(err, "manifest: duplicate path '%s'", manifest->entries[duplicate - 1].path);
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
    free(manifest);
    *manifest_p = NULL;
}
