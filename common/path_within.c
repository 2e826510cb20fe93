/* path_within.c -- is one canonical path the same as, or inside, another? */
#include "path_within.h"

#include <string.h>

int path_is_within(const char *path, const char *root)
{
    size_t root_len = strlen(root);
    if (root_len == 1 && root[0] == '/')
        return 1;
    if (strncmp(path, root, root_len) != 0)
        return 0;
    return path[root_len] == '\0' || path[root_len] == '/';
}
