/* api_console.c -- the console page's files: the fixed list of names and reading one of them. */
#include "api_console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *path, *file, *type;
} CONSOLE_FILES[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/console.css", "console.css", "text/css; charset=utf-8"},
    {"/console.js", "console.js", "text/javascript; charset=utf-8"},
    {"/favicon.svg", "favicon.svg", "image/svg+xml"},
};

static int find(const char *path)
{
    for (size_t i = 0; i < sizeof CONSOLE_FILES / sizeof CONSOLE_FILES[0]; i++)
        if (strcmp(CONSOLE_FILES[i].path, path) == 0)
            return (int)i;
    return -1;
}

const char *api_console_type(const char *path)
{
    int i = find(path);
    return i < 0 ? NULL : CONSOLE_FILES[i].type;
}

int api_console_read(const char *dir, const char *path, size_t pad, api_console_file_t *file, alfup_err_t *err)
{
    memset(file, 0, sizeof *file);
    int i = find(path);
    if (i < 0)
        return alfup_err_set(err, "console: %s is not one of its files", path);
    char name[4096];
    if ((size_t)snprintf(name, sizeof name, "%s/%s", dir, CONSOLE_FILES[i].file) >= sizeof name)
        return alfup_err_set(err, "console: folder name too long: %s", dir);
    FILE *in = fopen(name, "rb");
    if (in == NULL)
        return alfup_err_set(err, "console: %s: %s", name, strerror(errno));
    file->bytes = malloc(pad + API_CONSOLE_FILE_MAX + 1);
    size_t got = file->bytes ? fread(file->bytes + pad, 1, API_CONSOLE_FILE_MAX + 1, in) : 0;
    int failed = file->bytes == NULL || ferror(in) || got > API_CONSOLE_FILE_MAX;
    fclose(in);
    if (failed) {
        free(file->bytes);
        file->bytes = NULL;
        return alfup_err_set(err, "console: %s: unreadable or over %u bytes", name, API_CONSOLE_FILE_MAX);
    }
    file->len = got;
    file->type = CONSOLE_FILES[i].type;
    return ALFUP_OK;
}
