/* step_delta_scan.h -- the "delta-scan" step kind. */
#ifndef ALFUP_STEP_DELTA_SCAN_H
#define ALFUP_STEP_DELTA_SCAN_H

#include "step.h"

/* Counts what changed in the trees since an online base, the way backup-delta
 * finds it, without reading or writing any file: the downtime estimate's
 * input, taken while production serves. Parameters and outputs:
 * docs/steps-archive.md. */
step_status_t step_delta_scan_run(step_context_t *ctx);

#endif
