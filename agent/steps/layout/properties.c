/* properties.c -- parse a Java .properties file into logical lines; look up; render back. */
#include "properties_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROPS_NO_DEF ((size_t)-1)
#define UNICODE_REPLACEMENT 0xFFFDu

void props_buf_put(props_buf_t *buf, const char *bytes, size_t len)
{
    if (buf->failed)
        return;
    if (buf->len + len + 1 > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity : 256;
        while (capacity < buf->len + len + 1)
            capacity *= 2;
        char *bigger = realloc(buf->bytes, capacity);
        if (bigger == NULL) {
            buf->failed = 1;
            return;
        }
        buf->bytes = bigger;
        buf->capacity = capacity;
    }
    memcpy(buf->bytes + buf->len, bytes, len);
    buf->len += len;
    buf->bytes[buf->len] = '\0';
}

void props_buf_puts(props_buf_t *buf, const char *text)
{
    props_buf_put(buf, text, strlen(text));
}

static int is_blank_char(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(props_buf_t *buf, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    props_buf_put(buf, out, n);
}

/* Reads the 4 hex digits of a \u escape at s (len bytes left). -1 if malformed. */
static long read_u_escape(const char *s, size_t len)
{
    if (len < 4)
        return -1;
    long cp = 0;
    for (int i = 0; i < 4; i++) {
        int digit = hex_value(s[i]);
        if (digit < 0)
            return -1;
        cp = cp * 16 + digit;
    }
    return cp;
}

/* Appends the code point of a \u escape at s[i] (after "\u"), joining a
 * surrogate pair. Returns the bytes consumed, or 0 when malformed. */
static size_t decode_u(props_buf_t *buf, const char *s, size_t len)
{
    long cp = read_u_escape(s, len);
    if (cp < 0)
        return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF && len >= 10 && s[4] == '\\' && s[5] == 'u') {
        long low = read_u_escape(s + 6, len - 6);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            put_utf8(buf, 0x10000u + (((uint32_t)cp - 0xD800u) << 10) + ((uint32_t)low - 0xDC00u));
            return 10;
        }
    }
    put_utf8(buf, (cp >= 0xD800 && cp <= 0xDFFF) ? UNICODE_REPLACEMENT : (uint32_t)cp);
    return 4;
}

/* Decodes the escapes of s[0..len) into a new string. NULL when a \u escape
 * is malformed or out of memory (*malformed says which). */
static char *unescape(const char *s, size_t len, int *malformed)
{
    props_buf_t buf = {0};
    *malformed = 0;
    props_buf_put(&buf, "", 0);
    for (size_t i = 0; i < len && !buf.failed; i++) {
        if (s[i] != '\\') {
            props_buf_put(&buf, &s[i], 1);
            continue;
        }
        if (++i == len)
            break;  /* a lone trailing backslash is dropped, as Java does */
        char c = s[i];
        if (c == 'u') {
            size_t used = decode_u(&buf, s + i + 1, len - i - 1);
            if (used == 0) {
                *malformed = 1;
                free(buf.bytes);
                return NULL;
            }
            i += used;
            continue;
        }
        char plain = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        props_buf_put(&buf, &plain, 1);
    }
    if (buf.failed) {
        free(buf.bytes);
        return NULL;
    }
    return buf.bytes;
}

/* Splits a logical line (continuations already joined) into key and value. */
static int split_entry(props_line_t *line, const char *s, size_t len, int *malformed)
{
    size_t key_len = 0;
    int escaped = 0;
    while (key_len < len) {
        char c = s[key_len];
        if (!escaped && (c == '=' || c == ':' || is_blank_char(c)))
            break;
        escaped = !escaped && c == '\\';
        key_len++;
    }
    size_t value_start = key_len;
    int has_separator = 0;
    while (value_start < len) {
        char c = s[value_start];
        if (!is_blank_char(c)) {
            if (has_separator || (c != '=' && c != ':'))
                break;
            has_separator = 1;
        }
        value_start++;
    }
    line->key = unescape(s, key_len, malformed);
    if (line->key == NULL)
        return -1;
    line->value = unescape(s + value_start, len - value_start, malformed);
    return line->value == NULL ? -1 : 0;
}

/* The end of the physical line starting at pos (index of its terminator or len). */
static size_t line_end(const char *text, size_t len, size_t pos)
{
    while (pos < len && text[pos] != '\n' && text[pos] != '\r')
        pos++;
    return pos;
}

/* The position after the terminator at end. */
static size_t skip_terminator(const char *text, size_t len, size_t end)
{
    if (end < len && text[end] == '\r' && end + 1 < len && text[end + 1] == '\n')
        return end + 2;
    return end < len ? end + 1 : end;
}

static int ends_with_odd_backslashes(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && s[len - 1 - n] == '\\')
        n++;
    return n % 2 == 1;
}

static int add_line(props_t *props, props_line_t *line)
{
    if (props->line_count == props->line_capacity) {
        size_t capacity = props->line_capacity ? props->line_capacity * 2 : 64;
        props_line_t *bigger = realloc(props->lines, capacity * sizeof *bigger);
        if (bigger == NULL)
            return -1;
        props->lines = bigger;
        props->line_capacity = capacity;
    }
    props->lines[props->line_count++] = *line;
    return 0;
}

/* Reads one property definition starting at pos (its first non-blank byte at
 * first), following continuation lines. Fills line and returns the position
 * after it; *physical counts the lines used. (size_t)-1 on error. raw keeps
 * the physical lines verbatim but joins them with newline, so that a lone
 * "\r" inside cannot pair with a line end written after it. */
static size_t read_entry(const char *text, size_t len, size_t pos, size_t first,
                         const char *newline, props_line_t *line, size_t *physical,
                         int *malformed)
{
    props_buf_t logical = {0}, raw = {0};
    size_t start = first, end, dangling = 0;
    for (;;) {
        end = line_end(text, len, start);
        (*physical)++;
        if (!ends_with_odd_backslashes(text + start, end - start) || end == len) {
            /* a continuation at the very end of the file continues nothing:
             * dropped here and from raw, so nothing appended after it joins it */
            if (end == len && ends_with_odd_backslashes(text + start, end - start))
                dangling = 1;
            props_buf_put(&logical, text + start, end - start - dangling);
            props_buf_put(&raw, text + pos, end - pos - dangling);
            break;
        }
        props_buf_put(&logical, text + start, end - start - 1);
        props_buf_put(&raw, text + pos, end - pos);
        props_buf_puts(&raw, newline);
        pos = start = skip_terminator(text, len, end);
        while (start < len && is_blank_char(text[start]))
            start++;
    }
    props_buf_put(&logical, "", 0);
    props_buf_put(&raw, "", 0);
    if (logical.len == 0)
        line->kind = PROPS_BLANK;   /* only continuation backslashes: defines nothing */
    int rc = logical.failed || raw.failed ? -1
             : line->kind == PROPS_BLANK ? 0
             : split_entry(line, logical.bytes, logical.len, malformed);
    free(logical.bytes);
    if (rc != 0) {
        free(raw.bytes);
        return (size_t)-1;
    }
    line->raw = raw.bytes;
    return skip_terminator(text, len, end);
}

static void line_clear(props_line_t *line)
{
    free(line->raw);
    free(line->key);
    free(line->value);
}

static int parse_lines(props_t *props, const char *text, size_t len, const char *name,
                       alfup_err_t *err)
{
    size_t pos = 0, line_no = 1;
    while (pos < len) {
        if (line_no > PROPS_MAX_LINES)
            return alfup_err_set(err, "%s: more than %u lines", name, PROPS_MAX_LINES);
        props_line_t line = {0};
        size_t first = pos, end = line_end(text, len, pos), next, physical = 0;
        while (first < end && is_blank_char(text[first]))
            first++;
        int malformed = 0;
        if (first == end || text[first] == '#' || text[first] == '!') {
            line.kind = first == end ? PROPS_BLANK : PROPS_COMMENT;
            line.raw = strndup(text + pos, end - pos);
            next = line.raw ? skip_terminator(text, len, end) : (size_t)-1;
            physical = 1;
        } else {
            line.kind = PROPS_ENTRY;
            next = read_entry(text, len, pos, first, props->newline, &line, &physical,
                              &malformed);
        }
        if (next == (size_t)-1 || add_line(props, &line) != 0) {
            line_clear(&line);
            if (malformed)
                return alfup_err_set(err, "%s:%zu: malformed \\uxxxx escape", name, line_no);
            return alfup_err_set(err, "%s:%zu: out of memory", name, line_no);
        }
        line_no += physical;
        pos = next;
    }
    return ALFUP_OK;
}

static const char *detect_newline(const char *text, size_t len)
{
    size_t end = line_end(text, len, 0);
    if (end < len && text[end] == '\r')
        return end + 1 < len && text[end + 1] == '\n' ? "\r\n" : "\r";
    return "\n";
}

static int compare_defs(const void *a, const void *b, void *arg)
{
    const props_t *props = arg;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    int by_key = strcmp(props->lines[props->defs[ia]].key, props->lines[props->defs[ib]].key);
    if (by_key != 0)
        return by_key;
    return ia < ib ? -1 : ia > ib;
}

static int index_defs(props_t *props)
{
    size_t n = 0;
    for (size_t i = 0; i < props->line_count; i++)
        n += props->lines[i].kind == PROPS_ENTRY;
    props->defs = calloc(n ? n : 1, sizeof *props->defs);
    props->sorted = calloc(n ? n : 1, sizeof *props->sorted);
    if (props->defs == NULL || props->sorted == NULL)
        return -1;
    for (size_t i = 0; i < props->line_count; i++)
        if (props->lines[i].kind == PROPS_ENTRY) {
            props->sorted[props->def_count] = props->def_count;
            props->defs[props->def_count++] = i;
        }
    qsort_r(props->sorted, props->def_count, sizeof *props->sorted, compare_defs, props);
    return 0;
}

props_t *props_parse(const char *text, size_t len, const char *name, alfup_err_t *err)
{
    if (len > PROPS_MAX_BYTES)
        return alfup_err_set(err, "%s: larger than %u bytes", name, PROPS_MAX_BYTES), NULL;
    if (memchr(text, '\0', len) != NULL)
        return alfup_err_set(err, "%s: contains a NUL byte; not a properties file", name), NULL;
    props_t *props = calloc(1, sizeof *props);
    if (props == NULL)
        return alfup_err_set(err, "%s: out of memory", name), NULL;
    props->newline = detect_newline(text, len);
    if (parse_lines(props, text, len, name, err) != ALFUP_OK) {
        props_destroy(&props);
        return NULL;
    }
    if (index_defs(props) != 0) {
        props_destroy(&props);
        return alfup_err_set(err, "%s: out of memory", name), NULL;
    }
    return props;
}

void props_destroy(props_t **props_p)
{
    if (props_p == NULL || *props_p == NULL)
        return;
    props_t *props = *props_p;
    for (size_t i = 0; i < props->line_count; i++)
        line_clear(&props->lines[i]);
    free(props->lines);
    free(props->defs);
    free(props->sorted);
    free(props);
    *props_p = NULL;
}

size_t props_find_last_def(const props_t *props, const char *key)
{
    size_t lo = 0, hi = props->def_count, found = PROPS_NO_DEF;
    while (lo < hi) {   /* the last sorted entry whose key is <= key */
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(props->lines[props->defs[props->sorted[mid]]].key, key);
        if (cmp <= 0) {
            if (cmp == 0)
                found = props->sorted[mid];
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return found;
}

const char *props_get(const props_t *props, const char *key)
{
    size_t def = props_find_last_def(props, key);
    return def == PROPS_NO_DEF ? NULL : props->lines[props->defs[def]].value;
}

size_t props_count(const props_t *props)
{
    return props->def_count;
}

const char *props_key_at(const props_t *props, size_t i)
{
    return i < props->def_count ? props->lines[props->defs[i]].key : NULL;
}

const char *props_value_at(const props_t *props, size_t i)
{
    return i < props->def_count ? props->lines[props->defs[i]].value : NULL;
}

char *props_render(const props_t *props, size_t *len)
{
    props_buf_t buf = {0};
    props_buf_put(&buf, "", 0);
    for (size_t i = 0; i < props->line_count; i++) {
        props_buf_puts(&buf, props->lines[i].raw);
        props_buf_puts(&buf, props->newline);
    }
    if (buf.failed) {
        free(buf.bytes);
        return NULL;
    }
    *len = buf.len;
    return buf.bytes;
}
