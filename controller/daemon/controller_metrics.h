/* controller_metrics.h -- the daemon's answer to GET /metrics (docs/api.md): agents online, the runs'
 * metrics (run_metrics.h) and the certificates' expiry dates, in Prometheus text format 0.0.4. */
#ifndef ALFUP_CONTROLLER_METRICS_H
#define ALFUP_CONTROLLER_METRICS_H

#include "agent_registry.h"
#include "controller_config.h"
#include "journal.h"
#include "run_model.h"

/* The metrics text (malloc'd). NULL with err when memory ran out or the journal failed. The
 * operators' certificates are added by the API thread, which sees them (api_server.c). */
char *controller_metrics_text(const agent_registry_t *registry, const run_t *runs, journal_t *journal,
                              const controller_config_t *config, alfup_err_t *err);

#endif
