/* fleet_read.h -- the fleet reader's parts shared between its files (fleet.c, fleet_read_calendar.c,
 * fleet_read_waves.c). */
#ifndef ALFUP_FLEET_READ_H
#define ALFUP_FLEET_READ_H

#include <stdbool.h>

#include "fleet.h"

/* The duration under key (absent: *out untouched). "0" only when allow_zero. Errors go to diag. */
void fleet_read_duration(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool allow_zero, int64_t *out);

/* window: (timezone, start, rrule, duration). Sets fleet->zone_name, rrule and window; window.zone
 * stays NULL when the zone or the rule is wrong (reported). */
void fleet_read_window(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet);

/* blackouts: dates, ranges and recurrences, in the window's zone (skipped when it is unknown). */
void fleet_read_blackouts(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet);

/* waves: names, members (each deployment in exactly one), parallelism, soak. */
void fleet_read_waves(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet);

#endif
