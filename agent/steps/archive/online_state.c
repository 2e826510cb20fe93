/* online_state.c -- folder identity and the racy-timestamp rule (see online_state.h). */
#include "online_state.h"

static int later_than(const struct timespec *t, const struct timespec *limit)
{
    return t->tv_sec > limit->tv_sec || (t->tv_sec == limit->tv_sec && t->tv_nsec > limit->tv_nsec);
}

int online_is_recent(const struct stat *st, const struct timespec *before, long seconds)
{
    struct timespec limit = {before->tv_sec - seconds, before->tv_nsec};
    return later_than(&st->st_mtim, &limit) || later_than(&st->st_ctim, &limit);
}

int online_is_racy(const struct stat *st, const struct timespec *before)
{
    return online_is_recent(st, before, ONLINE_RACY_MARGIN_S);
}

void online_folder_from_stat(manifest_folder_t *folder, const char *path, const struct stat *st,
                             const struct timespec *before)
{
    *folder = (manifest_folder_t){.path = (char *)path,
                                  .dev = (unsigned long long)st->st_dev,
                                  .ino = (unsigned long long)st->st_ino,
                                  .mtime_sec = (long long)st->st_mtim.tv_sec,
                                  .mtime_nsec = st->st_mtim.tv_nsec,
                                  .ctime_sec = (long long)st->st_ctim.tv_sec,
                                  .ctime_nsec = st->st_ctim.tv_nsec,
                                  .dirty = online_is_racy(st, before)};
}

int online_folder_unchanged(const manifest_folder_t *folder, const struct stat *st)
{
    return folder->dev == (unsigned long long)st->st_dev && folder->ino == (unsigned long long)st->st_ino &&
           folder->mtime_sec == (long long)st->st_mtim.tv_sec && folder->mtime_nsec == st->st_mtim.tv_nsec &&
           folder->ctime_sec == (long long)st->st_ctim.tv_sec && folder->ctime_nsec == st->st_ctim.tv_nsec;
}
