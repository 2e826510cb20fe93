/* step_rehearsal_start.h -- the "rehearsal-start" step kind: the new version started isolated on the
 * rehearsal's copy of production, measured (docs/workflow.md, "The rehearsal"). */
#ifndef ALFUP_STEP_REHEARSAL_START_H
#define ALFUP_STEP_REHEARSAL_START_H

#include "step.h"

/* The two overrides a rehearsal never starts without: it must not join production's cluster nor index. */
#define REHEARSAL_REQUIRED_CLUSTER "alfresco.cluster.enabled"
#define REHEARSAL_REQUIRED_INDEX "index.subsystem.name"
#define REHEARSAL_KEY_MAX 200u

/* Params: service (a service of the agent's config that has a properties_file), set.KEY = VALUE for every
 * property override (at least set.alfresco.cluster.enabled=false and set.index.subsystem.name=noindex; keys
 * [A-Za-z0-9._-], at most REHEARSAL_KEY_MAX), and property = KEY=VALUE (repeatable: the plan's own, which
 * may not name dir.root, db.url or the two above). Writes the overrides to the service's properties_file
 * (atomically; the path comes from the agent's config only), then starts the service as service-start
 * does (log patterns, readiness probe, timeout; a failure keeps the log tail as the result's lines and
 * stops the service again; a cancelled start stops it too, as no rollback would). Refuses a service that
 * is running already: its settings are not known. Outputs on success: service-start's, plus
 * start_to_ready_ms, schema_update_ms (from "Updating the DB schema took N ms"; 0 when the log has none),
 * patches_applied (the "Applying patch '" lines), properties_file, overrides (how many). */
step_status_t step_rehearsal_start_run(step_context_t *ctx);

#endif
