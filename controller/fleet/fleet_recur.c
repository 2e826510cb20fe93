/* fleet_recur.c -- occurrences of an RRULE with libical, converted to UTC intervals. */
#include "fleet_recur.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fleet_time.h"

int fleet_recur_parse_rule(const char *text, struct icalrecurrencetype *rule, alfup_err_t *err)
{
    if (strncasecmp(text, "RRULE:", 6) == 0)
        text += 6;
    if (strlen(text) > FLEET_RRULE_MAX)
        return alfup_err_set(err, "rrule longer than %u characters", FLEET_RRULE_MAX);
    if (strcasestr(text, "RSCALE") != NULL)
        return alfup_err_set(err, "rrule '%s': RSCALE (non-Gregorian calendars) is not supported", text);
    icalerror_clear_errno();
    struct icalrecurrencetype parsed = icalrecurrencetype_from_string(text);
    if (icalerrno == ICAL_NO_ERROR && parsed.freq < ICAL_DAILY_RECURRENCE)
        return alfup_err_set(err,
                             "rrule '%s': FREQ finer than DAILY is not supported (windows and blackouts recur at "
                             "most daily)",
                             text);
    if (icalerrno != ICAL_NO_ERROR || parsed.freq == ICAL_NO_RECURRENCE) {
        const char *why = icalerrno != ICAL_NO_ERROR ? icalerror_strerror(icalerrno) : "no FREQ";
        icalerror_clear_errno();
        return alfup_err_set(err, "rrule '%s' refused by libical: %s", text, why);
    }
    *rule = parsed;
    return ALFUP_OK;
}

static int64_t occurrence_start(const fleet_recur_t *recur, struct icaltimetype when)
{
    return fleet_ical_to_utc(when, recur->zone);
}

int fleet_recur_check(const fleet_recur_t *recur, alfup_err_t *err)
{
    icalrecur_iterator *it = icalrecur_iterator_new(recur->rule, recur->start);
    if (it == NULL)
        return alfup_err_set(err, "libical refused the rule with this start");
    int rc = ALFUP_OK;
    struct icaltimetype first = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(first) || icaltime_compare(first, recur->start) != 0) {
        char want[FLEET_TIME_TEXT_MAX];
        fleet_utc_text(occurrence_start(recur, recur->start), recur->zone, want, sizeof want);
        rc =
            alfup_err_set(err, "the start %s is not an occurrence of the rule (RFC 5545: DTSTART must match it)", want);
        goto out;
    }
    int64_t previous_end = occurrence_start(recur, first) + recur->duration_s;
    for (unsigned i = 1; i < FLEET_RECUR_OVERLAP_CHECK; i++) {
        struct icaltimetype next = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(next))
            break;
        int64_t start = occurrence_start(recur, next);
        if (start < previous_end) {
            char at[FLEET_TIME_TEXT_MAX];
            fleet_utc_text(start, recur->zone, at, sizeof at);
            rc = alfup_err_set(err, "occurrences overlap: the one at %s starts before the previous one ends", at);
            goto out;
        }
        previous_end = start + recur->duration_s;
    }
out:
    icalrecur_iterator_free(it);
    return rc;
}

int fleet_recur_next(const fleet_recur_t *recur, int64_t after, fleet_interval_t *out, alfup_err_t *err)
{
    /* Every occurrence from DTSTART: libical's icalrecur_iterator_set_start would skip ahead, but
     * it shifts the clock time when the jump and DTSTART have different UTC offsets (DST). */
    icalrecur_iterator *it = icalrecur_iterator_new(recur->rule, recur->start);
    if (it == NULL)
        return alfup_err_set(err, "libical refused the rule");
    int rc = ALFUP_ERR;
    for (unsigned i = 0; i < FLEET_RECUR_SCAN_MAX; i++) {
        struct icaltimetype next = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(next)) {
            rc = FLEET_RECUR_NONE;
            goto out;
        }
        int64_t start = occurrence_start(recur, next);
        if (start + recur->duration_s > after) {
            out->start = start;
            out->end = start + recur->duration_s;
            rc = ALFUP_OK;
            goto out;
        }
    }
    alfup_err_set(err, "no occurrence found within %u occurrences of the rule", FLEET_RECUR_SCAN_MAX);
out:
    icalrecur_iterator_free(it);
    return rc;
}
