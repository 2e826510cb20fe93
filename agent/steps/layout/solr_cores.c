/* solr_cores.c -- a bounded walk for solrcore.properties files that follows no symlink. */
#include "solr_cores.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void search(const char *dir, int depth, str_list_t *found, unsigned *entries)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL && (*entries)++ < SOLR_SEARCH_ENTRIES && found->count < SOLR_CORE_FILES_MAX) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, entry->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) && strcmp(entry->d_name, SOLR_CORE_FILE) == 0) {
            if (str_list_add(found, path) != 0)
                break; /* out of memory: what was found so far decides */
        } else if (S_ISDIR(st.st_mode) && depth < SOLR_SEARCH_DEPTH) {
            search(path, depth + 1, found, entries);
        }
    }
    closedir(d);
}

void solr_cores_find(const char *dir, str_list_t *found)
{
    unsigned entries = 0;
    search(dir, 0, found, &entries);
}
