/* properties_encode.c -- write one key=value line in .properties syntax. */
#include "properties_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (len bytes left) into *cp. Returns its
 * length, or 0 when the bytes are not valid UTF-8. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n;
    uint32_t min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        n = 2, min = 0x80, *cp = s[0] & 0x1Fu;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, min = 0x800, *cp = s[0] & 0x0Fu;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

static void put_u_escape(props_buf_t *buf, uint32_t unit)
{
    char hex[8];
    snprintf(hex, sizeof hex, "\\u%04X", (unsigned)unit);
    props_buf_puts(buf, hex);
}

static void put_code_point(props_buf_t *buf, uint32_t cp)
{
    if (cp < 0x10000) {
        put_u_escape(buf, cp);
        return;
    }
    cp -= 0x10000;
    put_u_escape(buf, 0xD800 + (cp >> 10));
    put_u_escape(buf, 0xDC00 + (cp & 0x3FF));
}

/* Appends text escaped; is_key also escapes separators and every space. */
static int put_escaped(props_buf_t *buf, const char *text, int is_key)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);
        if (n == 0)
            return -1;
        const char *named = cp == '\t' ? "\\t" : cp == '\n' ? "\\n" : cp == '\r' ? "\\r"
                          : cp == '\f' ? "\\f" : cp == '\\' ? "\\\\" : NULL;
        int special = (cp == ' ' && (is_key || i == 0)) ||
                      ((cp == '#' || cp == '!') && i == 0) ||
                      (is_key && (cp == '=' || cp == ':' || cp == '#' || cp == '!'));
        if (named != NULL)
            props_buf_puts(buf, named);
        else if (cp < 0x20 || cp >= 0x7F)
            put_code_point(buf, cp);
        else if (special) {
            char pair[2] = {'\\', (char)cp};
            props_buf_put(buf, pair, 2);
        } else {
            props_buf_put(buf, (const char *)s + i, 1);
        }
        i += n;
    }
    return 0;
}

char *props_encode_line(const char *key, const char *value)
{
    props_buf_t buf = {0};
    props_buf_put(&buf, "", 0);
    int rc = put_escaped(&buf, key, 1);
    props_buf_put(&buf, "=", 1);
    if (rc == 0)
        rc = put_escaped(&buf, value, 0);
    if (rc != 0 || buf.failed) {
        free(buf.bytes);
        return NULL;
    }
    return buf.bytes;
}
