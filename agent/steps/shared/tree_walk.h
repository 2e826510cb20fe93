/* tree_walk.h -- the agent's one tree walker: descriptors only, no symlink followed, no path re-resolved. */
#ifndef ALFUP_TREE_WALK_H
#define ALFUP_TREE_WALK_H

#include <stdint.h>
#include <sys/stat.h>

#include "alfup_error.h"
#include "step.h"

/* A walk's (or a callback's) return when the step was cancelled part way. */
#define TREE_WALK_CANCELLED 2
/* What an enter callback returns to have a folder's contents walked, or not. */
#define TREE_WALK_DESCEND 3
#define TREE_WALK_SKIP 4
/* tree_walk's return when its root does not exist. */
#define TREE_WALK_MISSING 5
/* Folders nested deeper than this are refused (each level holds descriptors). */
#define TREE_WALK_DEPTH_MAX 128

typedef struct tree_walk_stats {
    uint64_t files;     /* non-folders done (files, symlinks, others) */
    uint64_t folders;
    uint64_t bytes;     /* sizes of regular files done */
} tree_walk_stats_t;

/* One entry met by the walk. Every operation on it goes through dir_fd and
 * name (openat, unlinkat ... with AT_SYMLINK_NOFOLLOW or O_NOFOLLOW): the
 * entry's path is for messages only. */
typedef struct tree_walk_entry {
    int dir_fd;             /* the folder holding the entry */
    int aux_fd;             /* the caller's parallel folder (e.g. a copy's destination), or -1 */
    const char *name;
    const char *rel;        /* path below the walk's root, "a/b" */
    const char *shown;      /* root path + "/" + rel, for messages */
    struct stat st;         /* fstatat(dir_fd, name, AT_SYMLINK_NOFOLLOW) */
    int depth;              /* 0 for the root's entries */
} tree_walk_entry_t;

/* Callbacks return ALFUP_OK, ALFUP_ERR with err set, or TREE_WALK_CANCELLED.
 * visit: a non-folder. enter: a folder, before its contents; returns
 * TREE_WALK_DESCEND (and may set *child_aux to a descriptor the walk passes
 * as aux_fd to the folder's entries and closes afterwards) or TREE_WALK_SKIP.
 * leave: a folder, after its contents. A NULL callback does nothing.
 * gone: an entry readdir listed is no longer there when the walk reaches it:
 * fstatat found nothing (entry->st zeroed, errnum ENOENT), or a folder enter
 * descended into could not be opened as the one stat'ed (vanished or replaced:
 * errnum ENOENT, ENOTDIR or ELOOP from openat, or ESTALE when another folder
 * stands there; leave is not called). NULL: the first is skipped silently, the
 * second is an error; a walk that must notice either (a backup) sets it. */
typedef struct tree_walk_ops {
    int (*visit)(void *user, const tree_walk_entry_t *entry, alfup_err_t *err);
    int (*enter)(void *user, const tree_walk_entry_t *entry, int *child_aux, alfup_err_t *err);
    int (*leave)(void *user, const tree_walk_entry_t *entry, alfup_err_t *err);
    int (*gone)(void *user, const tree_walk_entry_t *entry, int errnum, alfup_err_t *err);
} tree_walk_ops_t;

typedef struct tree_walk_options {
    const tree_walk_ops_t *ops;
    void *user;
    step_context_t *ctx;            /* progress and cancellation; NULL for neither */
    const char *message;            /* the progress message, e.g. "removing" */
    const tree_walk_stats_t *stats; /* what progress reports (the callbacks count); may be NULL */
    int max_depth;                  /* folders deeper are refused; 0: TREE_WALK_DEPTH_MAX */
    int cross_devices;              /* 1: walk into mount points (reading walks); 0: refuse them */
} tree_walk_options_t;

/* Opens the canonical absolute path (no "." or "..", no symlink anywhere in
 * it: as path_policy_resolve or realpath returns it) one component at a
 * time with O_NOFOLLOW, so a component swapped for a symlink after the path
 * was checked is refused (ELOOP or ENOTDIR), never followed. flags are added
 * to the last component's open (O_DIRECTORY to want a folder). Returns the
 * descriptor, or -1 with errno set (ENOENT when something is missing). */
int tree_walk_open(const char *path, int flags);

/* The folder holding canonical path, opened as tree_walk_open does, and
 * path's last component in *name (a pointer into path). -1 with errno. */
int tree_walk_open_parent(const char *path, const char **name);

/* Walks what is below the folder open as dir_fd (taken: closed on return),
 * shown as path in messages, calling opts->ops for every entry, never
 * leaving the file system dir_fd is on (a mount point is an error) unless
 * opts->cross_devices, and refusing a folder that changes between its
 * fstatat and its openat. A callback's own return (other than ALFUP_OK and
 * the TREE_WALK_ codes) ends the walk and is returned as it is. Checks
 * cancellation between entries and reports progress at most every 250 ms
 * and once at the end. aux_fd (may be -1) is passed to the root's entries.
 * Returns ALFUP_OK, TREE_WALK_CANCELLED, or ALFUP_ERR with err. */
int tree_walk_fd(int dir_fd, const char *path, int aux_fd, const tree_walk_options_t *opts,
                 alfup_err_t *err);

/* tree_walk_open(path, O_DIRECTORY) then tree_walk_fd. Returns as
 * tree_walk_fd does, or TREE_WALK_MISSING when path does not exist (err
 * untouched). A path that is not a folder, or holds a symlink, is ALFUP_ERR. */
int tree_walk(const char *path, int aux_fd, const tree_walk_options_t *opts, alfup_err_t *err);

#endif
