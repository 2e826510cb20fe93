/* fleet_calendar.c -- cutting the window's occurrences by the blackouts (fixed and recurring). */
#include "fleet_calendar.h"

#include <stdbool.h>

/* Bounds the walk through one occurrence (each step passes one blackout occurrence). */
#define SEGMENT_STEPS_MAX 100000u

/* The blackout interval overlapping [from, until) that starts first; false when none. */
static int first_blackout(const fleet_t *fleet, int64_t from, int64_t until, fleet_interval_t *out, alfup_err_t *err)
{
    bool found = false;
    for (size_t i = 0; i < fleet->blackout_count; i++) {
        const fleet_blackout_t *b = &fleet->blackouts[i];
        fleet_interval_t iv = b->fixed;
        if (b->recurring) {
            int rc = fleet_recur_next(&b->recur, from, &iv, err);
            if (rc == FLEET_RECUR_NONE)
                continue;
            if (rc != ALFUP_OK)
                return ALFUP_ERR;
        }
        if (iv.end > from && iv.start < until && (!found || iv.start < out->start)) {
            *out = iv;
            found = true;
        }
    }
    return found ? ALFUP_OK : FLEET_RECUR_NONE;
}

/* The first usable part of occ ending after `after`: 0, FLEET_RECUR_NONE, or ALFUP_ERR. */
static int usable_part(const fleet_t *fleet, fleet_interval_t occ, int64_t after, fleet_interval_t *out,
                       alfup_err_t *err)
{
    int64_t from = occ.start;
    for (unsigned step = 0; step < SEGMENT_STEPS_MAX && from < occ.end; step++) {
        fleet_interval_t black;
        int rc = first_blackout(fleet, from, occ.end, &black, err);
        if (rc == ALFUP_ERR)
            return rc;
        if (rc == FLEET_RECUR_NONE) {
            fleet_interval_t part = {from, occ.end};
            *out = part;
            return part.end > after ? ALFUP_OK : FLEET_RECUR_NONE;
        }
        if (black.start > from && black.start > after) {
            fleet_interval_t part = {from, black.start};
            *out = part;
            return ALFUP_OK;
        }
        from = black.end;
    }
    return FLEET_RECUR_NONE;
}

int fleet_calendar_next(const fleet_t *fleet, int64_t after, fleet_slot_t *out, alfup_err_t *err)
{
    int64_t cursor = after;
    for (unsigned n = 0; n < FLEET_CALENDAR_OCCURRENCES_MAX; n++) {
        fleet_interval_t occ;
        int rc = fleet_recur_next(&fleet->window, cursor, &occ, err);
        if (rc != ALFUP_OK)
            return rc;
        fleet_interval_t part;
        rc = usable_part(fleet, occ, after, &part, err);
        if (rc == ALFUP_ERR)
            return rc;
        if (rc == ALFUP_OK) {
            out->occurrence = occ;
            out->usable = part;
            return ALFUP_OK;
        }
        cursor = occ.end;
    }
    return FLEET_RECUR_NONE;
}
