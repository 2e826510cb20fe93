/* restore_set.h -- `alfup-agent --restore-set`: rebuild trees from a backup set's base and delta archives. */
#ifndef ALFUP_RESTORE_SET_H
#define ALFUP_RESTORE_SET_H

#include <stdatomic.h>
#include <stdio.h>

#include "agent_config.h"

/* What to restore: an online base archive (backup-tree), optionally the delta
 * archive chained to it (backup-delta), and an empty or absent folder. */
typedef struct restore_set_request {
    const char *base, *delta, *into;
} restore_set_request_t;

/* Runs the restore-tree step on this host with the agent's own config (its
 * allowed_roots and backup_dir apply as for a step from the controller): every
 * tree of the base is restored as INTO/NAME, then the delta is applied, every
 * file checked against the manifests and the archives against their .sha256.
 * Prints the step's log lines and outputs ("key=value") to out, and progress
 * to stderr at most every few seconds. cancel (may be NULL) stops it; what was
 * written is then removed. Returns 0 when the restore succeeded, 1 with the
 * step's error printed to stderr. */
int restore_set_run(const agent_config_t *config, const restore_set_request_t *request, atomic_int *cancel, FILE *out);

#endif
