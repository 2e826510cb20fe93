/* step_install_distribution.h -- the "install-distribution" step kind. */
#ifndef ALFUP_STEP_INSTALL_DISTRIBUTION_H
#define ALFUP_STEP_INSTALL_DISTRIBUTION_H

#include "step.h"

/* Unpacks a distribution archive into an empty new installation folder.
 * Parameters and outputs: docs/steps-archive.md. */
step_status_t step_install_distribution_run(step_context_t *ctx);

#endif
