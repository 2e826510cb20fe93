/* delta_prune.h -- after a delta was applied: the re-listed folders of the copy hold exactly what the source's
 * hold, so an entry an earlier, cut-off attempt wrote there and the source no longer has is removed. */
#ifndef ALFUP_DELTA_PRUNE_H
#define ALFUP_DELTA_PRUNE_H

#include <stdint.h>

#include "alfup_error.h"
#include "str_list.h"

/* For each folder in folders ("name/rel", as delta_scan_tree lists them) of
 * the tree at root (stored as name): removes from target/name/rel every entry
 * whose name the source folder does not have (never following a symlink;
 * folders with their contents). A folder missing on either side is skipped.
 * *pruned counts the entries removed. 0 or ALFUP_ERR. */
int delta_prune_target(const char *target, const char *root, const char *name, const str_list_t *folders,
                       uint64_t *pruned, alfup_err_t *err);

#endif
