/* api_console.h -- the console page's files (controller/api/console/, docs/console.md): a fixed list of
 * names, each with its content type and the page's security headers; no other path reaches the disk. */
#ifndef ALFUP_API_CONSOLE_H
#define ALFUP_API_CONSOLE_H

#include <stddef.h>

#include "alfup_error.h"

/* A console file larger than this is refused (the page's files are a few tens of KiB). */
#define API_CONSOLE_FILE_MAX (1024u * 1024u)

/* The page may load its own script, style and API and nothing else: no inline script, no other
 * origin, no frames, no forms. */
#define API_CONSOLE_CSP                                                                                     \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "       \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

typedef struct api_console_file {
    char *bytes;      /* malloc'd: pad bytes, then the file's len bytes */
    size_t len;
    const char *type; /* its Content-Type */
} api_console_file_t;

/* The content type of the console file a GET of path names ("/" is index.html), or NULL when
 * path is not one of the console's files. */
const char *api_console_type(const char *path);

/* Reads the console file path names from the folder dir into file->bytes after pad bytes (for
 * libwebsockets' LWS_PRE). ALFUP_ERR with err (not a console path, unreadable, too large);
 * the caller frees file->bytes. */
int api_console_read(const char *dir, const char *path, size_t pad, api_console_file_t *file, alfup_err_t *err);

#endif
