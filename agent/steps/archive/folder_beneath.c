/* folder_beneath.c -- symlink-free folder opening below a root descriptor (see folder_beneath.h). */
#include "folder_beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FOLDER_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)

/* The same, one component at a time, for kernels without openat2 (before 5.6). */
static int open_by_components(int rootfd, const char *rel)
{
    int fd = openat(rootfd, ".", FOLDER_FLAGS);
    char component[NAME_MAX + 1];
    for (const char *p = rel; fd >= 0 && *p != '\0';) {
        size_t len = strcspn(p, "/");
        if (len == 0 || len > NAME_MAX || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
            close(fd);
            errno = EXDEV;
            return -1;
        }
        memcpy(component, p, len);
        component[len] = '\0';
        int next = openat(fd, component, FOLDER_FLAGS);
        int saved = errno;
        close(fd);
        errno = saved;
        fd = next;
        p += len + (p[len] == '/');
    }
    return fd;
}

int folder_beneath_open(int rootfd, const char *rel)
{
    struct open_how how = {.flags = FOLDER_FLAGS,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    const char *path = rel[0] != '\0' ? rel : ".";
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        return open_by_components(rootfd, rel);
    return (int)fd;
}

int folder_beneath_open_parent(int rootfd, const char *rel, char *name)
{
    const char *slash = strrchr(rel, '/');
    const char *last = slash ? slash + 1 : rel;
    size_t parent_len = slash ? (size_t)(slash - rel) : 0;
    char parent[PATH_MAX];
    if (last[0] == '\0' || strlen(last) > NAME_MAX || parent_len >= sizeof parent) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(parent, rel, parent_len);
    parent[parent_len] = '\0';
    memcpy(name, last, strlen(last) + 1);
    return folder_beneath_open(rootfd, parent);
}
