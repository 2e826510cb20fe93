/* online_state.h -- the "racy timestamp" rule of online backups: a folder's identity and change times when it is
 * listed, and whether they can be trusted to show a later change. */
#ifndef ALFUP_ONLINE_STATE_H
#define ALFUP_ONLINE_STATE_H

#include <sys/stat.h>
#include <time.h>

#include "manifest.h"

/* File system timestamps come from a coarse clock, and a change within the
 * same tick leaves mtime and ctime as they were. A folder (or file) whose
 * mtime or ctime is not at least this much older than the moment it was
 * stat'ed may change again without its times showing it: it is not trusted. */
#define ONLINE_RACY_MARGIN_S 2

/* A file written less than this long before the online copy reads it may be
 * an upload that paused and will go on, growing the file without touching its
 * folder: it is archived, but recorded untrusted so the delta copies it again. */
#define ONLINE_SETTLE_S_DEFAULT 600

/* Non-zero when st's mtime or ctime is later than (before - seconds), where
 * before is a clock reading taken before st was read. */
int online_is_recent(const struct stat *st, const struct timespec *before, long seconds);

/* online_is_recent with ONLINE_RACY_MARGIN_S. */
int online_is_racy(const struct stat *st, const struct timespec *before);

/* Fills folder (path is set to the given pointer, not copied) from st, read
 * after the clock reading before; dirty when online_is_racy. */
void online_folder_from_stat(manifest_folder_t *folder, const char *path, const struct stat *st,
                             const struct timespec *before);

/* Non-zero when st still shows the folder recorded in folder: same device,
 * inode, mtime and ctime to the nanosecond. */
int online_folder_unchanged(const manifest_folder_t *folder, const struct stat *st);

#endif
