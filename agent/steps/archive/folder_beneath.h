/* folder_beneath.h -- open a folder below a root folder descriptor without following any symlink or leaving the
 * root (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or one component at a time with O_NOFOLLOW). */
#ifndef ALFUP_FOLDER_BENEATH_H
#define ALFUP_FOLDER_BENEATH_H

/* Opens rel ("" = root itself; "a/b") below rootfd as a folder (O_RDONLY |
 * O_DIRECTORY | O_CLOEXEC). Returns the descriptor, or -1 with errno: ENOENT
 * or ENOTDIR when it is gone or not a folder, ELOOP or EXDEV when a symlink or
 * an escape is in the way. */
int folder_beneath_open(int rootfd, const char *rel);

/* Splits rel into its parent folder (opened as folder_beneath_open does) and
 * its last component, copied into name (at least NAME_MAX + 1 bytes). The
 * parent descriptor, or -1 with errno (ENAMETOOLONG for a bad rel). */
int folder_beneath_open_parent(int rootfd, const char *rel, char *name);

#endif
