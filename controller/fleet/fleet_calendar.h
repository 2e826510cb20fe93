/* fleet_calendar.h -- the usable parts of the fleet's window: its occurrences minus every blackout. */
#ifndef ALFUP_FLEET_CALENDAR_H
#define ALFUP_FLEET_CALENDAR_H

#include "fleet.h"

/* How many window occurrences a search looks at (all blacked out: no slot). */
#define FLEET_CALENDAR_OCCURRENCES_MAX 1000u

/* A usable slot: a part of one window occurrence that no blackout overlaps. A cutover may start
 * in it and must end before its end (docs/fleet.md). */
typedef struct fleet_slot {
    fleet_interval_t occurrence; /* the window occurrence it is part of */
    fleet_interval_t usable;     /* the part outside every blackout */
} fleet_slot_t;

/* The first slot whose usable end is after `after` (it may have begun before). 0 with *out,
 * FLEET_RECUR_NONE when the window has no further usable slot (the rule ended, or the next
 * FLEET_CALENDAR_OCCURRENCES_MAX occurrences are all blacked out), ALFUP_ERR with err. The fleet
 * must have been read without errors. */
int fleet_calendar_next(const fleet_t *fleet, int64_t after, fleet_slot_t *out, alfup_err_t *err);

#endif
