/* step_verify_archive.h -- the "verify-archive" step kind. */
#ifndef ALFUP_STEP_VERIFY_ARCHIVE_H
#define ALFUP_STEP_VERIFY_ARCHIVE_H

#include "step.h"

/* Re-reads an archive and checks every file against its manifest.
 * Parameters and outputs: docs/steps-archive.md. */
step_status_t step_verify_archive_run(step_context_t *ctx);

#endif
