/* preflight_fs.h -- which filesystem a backup folder is on, named so that hosts sharing it
 * (one device, or one network export) give the same name. */
#ifndef ALFUP_PREFLIGHT_FS_H
#define ALFUP_PREFLIGHT_FS_H

#include <stddef.h>

#include "alfup_error.h"

#define PREFLIGHT_FS_ID_MAX 512

/* Writes the identity of the filesystem holding path into id:
 *   "remote:<source>"            for nfs, nfs4, cifs, smb3 and ceph mounts: the export as
 *                                /proc/self/mountinfo names it ("server:/export");
 *   "local:<machine>:fsid=<hex>" otherwise (statfs's f_fsid; "dev=<maj>:<min>" when the
 *                                filesystem gives no fsid), machine being /etc/machine-id
 *                                or, without one, the host name.
 * Two hosts that mount one export under different server names or different sub-folders
 * get different identities (the check then misses the sharing; it never invents one).
 * ALFUP_OK, or ALFUP_ERR with err (path not found, mountinfo unreadable). */
int preflight_fs_identity(const char *path, char *id, size_t len, alfup_err_t *err);

#endif
