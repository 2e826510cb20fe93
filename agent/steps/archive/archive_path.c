/* archive_path.c -- entry-name checks shared by the manifest and secure extraction. */
#include "archive_path.h"

#include <string.h>

size_t archive_path_len(const char *name)
{
    size_t len = strlen(name);
    if (len > 1 && name[len - 1] == '/')
        len--;
    return len;
}

const char *archive_path_skip_dot(const char *name)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    return strcmp(name, ".") == 0 ? "" : name;
}

int archive_path_is_safe(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '/')
        return 0;
    size_t len = archive_path_len(name);
    if (len >= ARCHIVE_PATH_MAX)
        return 0;
    size_t start = 0;
    while (start <= len) {
        const char *slash = memchr(name + start, '/', len - start);
        size_t end = slash ? (size_t)(slash - name) : len;
        size_t part = end - start;
        if (part == 0)
            return 0;
        if (part == 1 && name[start] == '.')
            return 0;
        if (part == 2 && name[start] == '.' && name[start + 1] == '.')
            return 0;
        start = end + 1;
    }
    return 1;
}
