/* file_stale.c -- removes the temporary files a killed writer left beside its target. */
#include "file_stale.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMP_INFIX ".tmp."
#define TEMP_SUFFIX_MAX 16

/* 1 when name is base + TEMP_INFIX + 1..TEMP_SUFFIX_MAX alphanumerics. */
static int is_temp_of(const char *name, const char *base)
{
    size_t base_len = strlen(base), infix_len = strlen(TEMP_INFIX);
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, TEMP_INFIX, infix_len) != 0)
        return 0;
    const char *suffix = name + base_len + infix_len;
    size_t n = strlen(suffix);
    if (n == 0 || n > TEMP_SUFFIX_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)suffix[i]))
            return 0;
    return 1;
}

int file_remove_stale_temps(const char *path, size_t *removed, alfup_err_t *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char folder[PATH_MAX];
    if (*base == '\0')
        return alfup_err_set(err, "%s: not a file name", path);
    if (slash == NULL)
        snprintf(folder, sizeof folder, ".");
    else if (slash == path)
        snprintf(folder, sizeof folder, "/");
    else if (snprintf(folder, sizeof folder, "%.*s", (int)(slash - path), path) >= (int)sizeof folder)
        return alfup_err_set(err, "%s: path too long", path);
    DIR *dir = opendir(folder);
    if (dir == NULL)
        return errno == ENOENT ? 0 : alfup_err_errno(err, errno, "open folder %s", folder);
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir(dir)) != NULL) {
        struct stat st;
        if (!is_temp_of(entry->d_name, base) ||
            fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (unlinkat(dirfd(dir), entry->d_name, 0) != 0)
            rc = alfup_err_errno(err, errno, "remove %s/%s", folder, entry->d_name);
        else if (removed != NULL)
            (*removed)++;
    }
    closedir(dir);
    return rc;
}
