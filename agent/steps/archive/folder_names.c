/* folder_names.c -- the sorted names of an open folder (see folder_names.h). */
#include "folder_names.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

int folder_names_list(int fd, const char *shown, str_list_t *names, alfup_err_t *err)
{
    int dup_fd = dup(fd);
    DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (dir == NULL) {
        int saved = errno;
        if (dup_fd >= 0)
            close(dup_fd);
        return alfup_err_errno(err, saved, "list %s", shown);
    }
    int rc = ALFUP_OK;
    struct dirent *d;
    while (rc == ALFUP_OK && (errno = 0, d = readdir(dir)) != NULL)
        if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 && str_list_add(names, d->d_name) != 0)
            rc = alfup_err_set(err, "out of memory");
    if (rc == ALFUP_OK && errno != 0)
        rc = alfup_err_errno(err, errno, "list %s", shown);
    closedir(dir);
    if (rc == ALFUP_OK)
        str_list_sort(names);
    return rc;
}
