/* archive_path.h -- is an archive entry name a safe relative path? */
#ifndef ALFUP_ARCHIVE_PATH_H
#define ALFUP_ARCHIVE_PATH_H

#include <stddef.h>

#define ARCHIVE_PATH_MAX 4096 /* longest entry name accepted, in bytes */

/* 1 when name is non-empty, relative, shorter than ARCHIVE_PATH_MAX, has no
 * empty, "." or ".." component and no NUL-free control trickery (no byte 0 can
 * occur in a C string); a single trailing '/' (folders in tar and zip) is
 * allowed. 0 otherwise. */
int archive_path_is_safe(const char *name);

/* name after any leading "./" (as `tar -C DIR .` writes them); "" for "." or "./". */
const char *archive_path_skip_dot(const char *name);

/* Length of name without one trailing '/', for comparing folder names. */
size_t archive_path_len(const char *name);

#endif
