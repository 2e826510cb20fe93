/* fleet_time.h -- the fleet's times: durations ("4h", "1h30m"), local date-times in a named time zone, their text. */
#ifndef ALFUP_FLEET_TIME_H
#define ALFUP_FLEET_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libical/ical.h>

/* Durations are at most a year. */
#define FLEET_DURATION_MAX_S (366LL * 24 * 3600)
/* Room for fleet_utc_text and fleet_duration_text. */
#define FLEET_TIME_TEXT_MAX 64

/* A date or date-time as written in the fleet file (no zone of its own unless has_offset). */
typedef struct fleet_local {
    int year, month, day, hour, minute, second;
    bool is_date;    /* YYYY-MM-DD only */
    bool has_offset; /* ended in Z or +HH:MM / -HH:MM (only where allowed) */
    int offset_s;    /* east of UTC */
} fleet_local_t;

/* Parses "4h", "90m", "1h30m", "45s", "2d", "1d12h" (units d, h, m, s, in that order, each at
 * most once, at least one). 0 with *seconds set, or -1 (bad syntax, 0, over FLEET_DURATION_MAX_S). */
int fleet_duration_parse(const char *text, int64_t *seconds);

/* "45 s", "48 min", "1 h 12 min", "2 d 3 h" (rounded down to what is shown) into buf. */
void fleet_duration_text(int64_t seconds, char *buf, size_t len);

/* Parses YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (a space may replace the T); when
 * allow_offset, also a trailing Z or +HH:MM / -HH:MM. Years 1970..9999; the date must exist.
 * 0 with *out set, or -1. */
int fleet_local_parse(const char *text, bool allow_offset, fleet_local_t *out);

/* The zone of an IANA name ("Europe/Berlin", also "UTC") from the system's zoneinfo (libical's
 * built-in time zones read /usr/share/zoneinfo on Debian: package tzdata), or NULL when unknown.
 * The zone belongs to libical: never freed. */
icaltimezone *fleet_zone_find(const char *name);

/* The local time as libical's time in zone (a date is its midnight). */
struct icaltimetype fleet_local_to_ical(const fleet_local_t *local, icaltimezone *zone);

/* UTC seconds of a local time: in zone, or at its own offset when it has one. A local time that
 * does not exist (skipped by a DST change) or exists twice is resolved as libical does. */
int64_t fleet_local_to_utc(const fleet_local_t *local, icaltimezone *zone);

/* UTC seconds of a libical time in zone. */
int64_t fleet_ical_to_utc(struct icaltimetype when, icaltimezone *zone);

/* "2027-01-02 01:00" (local time in zone, seconds shown only when not 0) into buf. */
void fleet_utc_text(int64_t utc, icaltimezone *zone, char *buf, size_t len);

/* "2027-01-02T00:00:00Z" into buf. */
void fleet_utc_iso(int64_t utc, char *buf, size_t len);

#endif
