/* fleet_time.c -- durations, local date-times and time zones for the fleet (calendar arithmetic is libical's). */
#include "fleet_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_HOUR 3600
#define SECONDS_PER_DAY 86400
#define YEAR_MIN 1970
#define YEAR_MAX 9999
#define OFFSET_MAX_MINUTES (18 * 60)

int fleet_duration_parse(const char *text, int64_t *seconds)
{
    static const char UNITS[] = "dhms";
    static const int64_t FACTOR[] = {SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE, 1};
    int64_t total = 0;
    size_t next_unit = 0;
    const char *p = text;
    if (p == NULL || *p == '\0')
        return -1;
    while (*p != '\0') {
        int64_t value = 0;
        size_t digits = 0;
        for (; isdigit((unsigned char)*p) && digits < 9; p++, digits++)
            value = value * 10 + (*p - '0');
        const char *unit = *p ? strchr(UNITS + next_unit, *p) : NULL;
        if (digits == 0 || unit == NULL)
            return -1;
        next_unit = (size_t)(unit - UNITS) + 1;
        total += value * FACTOR[unit - UNITS];
        if (total > FLEET_DURATION_MAX_S)
            return -1;
        p++;
    }
    if (total <= 0)
        return -1;
    *seconds = total;
    return 0;
}

void fleet_duration_text(int64_t seconds, char *buf, size_t len)
{
    if (seconds < 0)
        seconds = 0;
    int64_t days = seconds / SECONDS_PER_DAY, hours = seconds % SECONDS_PER_DAY / SECONDS_PER_HOUR;
    int64_t minutes = seconds % SECONDS_PER_HOUR / SECONDS_PER_MINUTE;
    if (days > 0)
        snprintf(buf, len, hours ? "%lld d %lld h" : "%lld d", (long long)days, (long long)hours);
    else if (hours > 0)
        snprintf(buf, len, minutes ? "%lld h %lld min" : "%lld h", (long long)hours, (long long)minutes);
    else if (minutes > 0)
        snprintf(buf, len, "%lld min", (long long)minutes);
    else
        snprintf(buf, len, "%lld s", (long long)seconds);
}

/* Reads exactly count digits at *p into *out and moves *p past them. */
static bool digits(const char **p, int count, int *out)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += count;
    *out = value;
    return true;
}

static bool literal(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static bool parse_offset(const char *p, fleet_local_t *out)
{
    if (*p == 'Z')
        return (out->has_offset = true) && p[1] == '\0';
    int sign = *p == '+' ? 1 : *p == '-' ? -1 : 0, hours, minutes;
    if (sign == 0)
        return false;
    p++;
    if (!digits(&p, 2, &hours) || !literal(&p, ':') || !digits(&p, 2, &minutes) || *p != '\0' || minutes > 59 ||
        hours * 60 + minutes > OFFSET_MAX_MINUTES)
        return false;
    out->has_offset = true;
    out->offset_s = sign * (hours * SECONDS_PER_HOUR + minutes * SECONDS_PER_MINUTE);
    return true;
}

static bool parse_clock(const char *p, bool allow_offset, fleet_local_t *out)
{
    if (!digits(&p, 2, &out->hour) || !literal(&p, ':') || !digits(&p, 2, &out->minute))
        return false;
    if (*p == ':' && (!literal(&p, ':') || !digits(&p, 2, &out->second)))
        return false;
    if (out->hour > 23 || out->minute > 59 || out->second > 59)
        return false;
    return *p == '\0' || (allow_offset && parse_offset(p, out));
}

int fleet_local_parse(const char *text, bool allow_offset, fleet_local_t *out)
{
    fleet_local_t local = {0};
    const char *p = text;
    if (p == NULL || !digits(&p, 4, &local.year) || !literal(&p, '-') || !digits(&p, 2, &local.month) ||
        !literal(&p, '-') || !digits(&p, 2, &local.day))
        return -1;
    if (local.year < YEAR_MIN || local.year > YEAR_MAX || local.month < 1 || local.month > 12 || local.day < 1 ||
        local.day > icaltime_days_in_month(local.month, local.year))
        return -1;
    if (*p == '\0') {
        local.is_date = true;
    } else if ((*p != 'T' && *p != ' ') || !parse_clock(p + 1, allow_offset, &local)) {
        return -1;
    }
    *out = local;
    return 0;
}

icaltimezone *fleet_zone_find(const char *name)
{
    if (name == NULL || name[0] == '\0' || strchr(name, ' ') != NULL)
        return NULL;
    if (strcmp(name, "UTC") == 0)
        return icaltimezone_get_utc_timezone();
    return icaltimezone_get_builtin_timezone(name);
}

struct icaltimetype fleet_local_to_ical(const fleet_local_t *local, icaltimezone *zone)
{
    struct icaltimetype when = icaltime_null_time();
    when.year = local->year;
    when.month = local->month;
    when.day = local->day;
    when.hour = local->hour;
    when.minute = local->minute;
    when.second = local->second;
    return icaltime_set_timezone(&when, zone);
}

int64_t fleet_ical_to_utc(struct icaltimetype when, icaltimezone *zone)
{
    when.is_date = 0;
    return (int64_t)icaltime_as_timet_with_zone(when, zone);
}

int64_t fleet_local_to_utc(const fleet_local_t *local, icaltimezone *zone)
{
    if (local->has_offset) {
        icaltimezone *utc = icaltimezone_get_utc_timezone();
        return fleet_ical_to_utc(fleet_local_to_ical(local, utc), utc) - local->offset_s;
    }
    return fleet_ical_to_utc(fleet_local_to_ical(local, zone), zone);
}

void fleet_utc_text(int64_t utc, icaltimezone *zone, char *buf, size_t len)
{
    struct icaltimetype t = icaltime_from_timet_with_zone((time_t)utc, 0, zone);
    if (t.second != 0)
        snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.minute, t.second);
    else
        snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day, t.hour, t.minute);
}

void fleet_utc_iso(int64_t utc, char *buf, size_t len)
{
    struct icaltimetype t = icaltime_from_timet_with_zone((time_t)utc, 0, icaltimezone_get_utc_timezone());
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month, t.day, t.hour, t.minute, t.second);
}
