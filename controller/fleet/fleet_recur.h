/* fleet_recur.h -- a recurring interval: an RFC 5545 RRULE from a DTSTART in a time zone, each occurrence lasting a
 * duration. */
#ifndef ALFUP_FLEET_RECUR_H
#define ALFUP_FLEET_RECUR_H

#include <stdint.h>

#include <libical/ical.h>

#include "alfup_error.h"

/* How many occurrences a search looks at before it gives up (a rule whose occurrences all
 * lie far in the past of the instant asked about). */
#define FLEET_RECUR_SCAN_MAX 200000u
/* How many first occurrences fleet_recur_check compares for overlaps. */
#define FLEET_RECUR_OVERLAP_CHECK 64u
#define FLEET_RRULE_MAX 512u

/* Returned by fleet_recur_next when the rule has no occurrence ending after the instant. */
#define FLEET_RECUR_NONE 1

/* A half-open interval [start, end) in UTC seconds. */
typedef struct fleet_interval {
    int64_t start, end;
} fleet_interval_t;

typedef struct fleet_recur {
    struct icalrecurrencetype rule;
    struct icaltimetype start; /* DTSTART, local in zone */
    icaltimezone *zone;        /* libical's, not owned */
    int64_t duration_s;        /* exact seconds (a 4 h window over a DST change is still 4 h) */
} fleet_recur_t;

/* Reads rrule text ("FREQ=WEEKLY;BYDAY=SA", an optional leading "RRULE:") with libical.
 * 0, or ALFUP_ERR with err holding libical's reason (or ours: RSCALE, too long). */
int fleet_recur_parse_rule(const char *text, struct icalrecurrencetype *rule, alfup_err_t *err);

/* Checks a filled recur: its start is its first occurrence (RFC 5545 leaves a DTSTART off the
 * rule undefined), and its first occurrences do not overlap each other. 0 or ALFUP_ERR. */
int fleet_recur_check(const fleet_recur_t *recur, alfup_err_t *err);

/* The first occurrence whose end is after `after` (it may have started before). 0 with *out,
 * FLEET_RECUR_NONE when the rule ended, ALFUP_ERR when FLEET_RECUR_SCAN_MAX occurrences were
 * looked at without reaching it. */
int fleet_recur_next(const fleet_recur_t *recur, int64_t after, fleet_interval_t *out, alfup_err_t *err);

#endif
