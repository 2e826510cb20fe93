/* fleet_read_calendar.c -- reading the fleet's window (DTSTART, TZID, RRULE, duration) and its blackouts. */
#include <stdlib.h>
#include <string.h>

#include "fleet_read.h"
#include "fleet_time.h"
#include "plan_check.h"

static const char *const WINDOW_KEYS[] = {"timezone", "start", "rrule", "duration", NULL};
static const char *const BLACKOUT_KEYS[] = {"date", "from", "to", "start", "rrule", "duration", "reason", NULL};

/* Adds the error at node and returns false, so a reader can `return refuse(...)`. */
static bool refuse(plan_diag_t *diag, const yaml_doc_node_t *node, const char *message)
{
    plan_diag_at(diag, node, "%s", message);
    return false;
}

/* A local date or date-time under key (no offset: times are in the window's zone). */
static bool read_local(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required,
                       bool date_time_only, fleet_local_t *out)
{
    char *text = plan_get_text(diag, map, key, required);
    if (text == NULL)
        return false;
    bool ok = fleet_local_parse(text, false, out) == 0 && !(date_time_only && out->is_date);
    if (!ok)
        plan_diag_at(diag, yaml_doc_get(map, key),
                     "'%s' is not a %s in the window's time zone (YYYY-MM-DDTHH:MM[:SS]%s, no offset)", text,
                     date_time_only ? "date-time" : "date or date-time", date_time_only ? "" : " or YYYY-MM-DD");
    free(text);
    return ok;
}

static bool read_rule(plan_diag_t *diag, const yaml_doc_node_t *map, struct icalrecurrencetype *rule, char **text_out)
{
    char *text = plan_get_text(diag, map, "rrule", true);
    if (text == NULL)
        return false;
    alfup_err_t err;
    bool ok = fleet_recur_parse_rule(text, rule, &err) == 0;
    if (!ok)
        plan_diag_at(diag, yaml_doc_get(map, "rrule"), "%s", err.msg);
    if (ok && text_out != NULL)
        *text_out = text;
    else
        free(text);
    return ok;
}

/* A recurrence (start, rrule, duration) in zone; false when any part is wrong (reported). */
static bool read_recur(plan_diag_t *diag, const yaml_doc_node_t *map, icaltimezone *zone, bool date_time_only,
                       fleet_recur_t *recur, char **rrule_text)
{
    fleet_local_t start;
    recur->duration_s = 0;
    bool ok = read_local(diag, map, "start", true, date_time_only, &start);
    ok = read_rule(diag, map, &recur->rule, rrule_text) && ok;
    if (yaml_doc_get(map, "duration") == NULL)
        ok = refuse(diag, map, "missing required key 'duration'");
    fleet_read_duration(diag, map, "duration", false, &recur->duration_s);
    if (!ok || zone == NULL || recur->duration_s == 0)
        return false;
    if (recur->duration_s < FLEET_WINDOW_MIN_S)
        return refuse(diag, yaml_doc_get(map, "duration"), "at least 1 minute");
    recur->zone = zone;
    recur->start = fleet_local_to_ical(&start, zone);
    alfup_err_t err;
    if (fleet_recur_check(recur, &err) != 0)
        return refuse(diag, yaml_doc_get(map, "rrule"), err.msg);
    return true;
}

void fleet_read_window(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    const yaml_doc_node_t *map = plan_get_map(diag, root, "window", true);
    if (map == NULL)
        return;
    plan_check_keys(diag, map, WINDOW_KEYS);
    fleet->zone_name = plan_get_text(diag, map, "timezone", true);
    icaltimezone *zone = fleet->zone_name ? fleet_zone_find(fleet->zone_name) : NULL;
    fleet->zone = zone;
    if (fleet->zone_name != NULL && zone == NULL)
        plan_diag_at(diag, yaml_doc_get(map, "timezone"),
                     "unknown time zone '%s' (an IANA name such as Europe/Berlin, from the system's zoneinfo: "
                     "package tzdata)",
                     fleet->zone_name);
    fleet_recur_t recur = {0};
    if (read_recur(diag, map, zone, true, &recur, &fleet->rrule))
        fleet->window = recur;
}

/* [start of day, start of the next day) of a date in zone. */
static fleet_interval_t whole_days(const fleet_local_t *first, const fleet_local_t *last, icaltimezone *zone)
{
    struct icaltimetype end = fleet_local_to_ical(last, zone);
    end.hour = end.minute = end.second = 0;
    icaltime_adjust(&end, 1, 0, 0, 0);
    fleet_interval_t out = {fleet_local_to_utc(first, zone), fleet_ical_to_utc(end, zone)};
    return out;
}

/* from/to: dates (whole days, to included) or date-times ([from, to)). */
static bool read_range(plan_diag_t *diag, const yaml_doc_node_t *map, icaltimezone *zone, fleet_interval_t *out)
{
    fleet_local_t from, to;
    bool ok = read_local(diag, map, "from", true, false, &from);
    ok = read_local(diag, map, "to", true, false, &to) && ok;
    if (!ok || zone == NULL)
        return false;
    if (from.is_date != to.is_date)
        return refuse(diag, map, "from and to must both be dates or both date-times");
    if (from.is_date) {
        *out = whole_days(&from, &to, zone);
    } else {
        out->start = fleet_local_to_utc(&from, zone);
        out->end = fleet_local_to_utc(&to, zone);
    }
    if (out->end <= out->start)
        return refuse(diag, yaml_doc_get(map, "to"), "the blackout ends before it starts");
    return true;
}

static void read_blackout(plan_diag_t *diag, const yaml_doc_node_t *map, icaltimezone *zone, fleet_blackout_t *out)
{
    plan_check_keys(diag, map, BLACKOUT_KEYS);
    bool date = yaml_doc_get(map, "date") != NULL, range = yaml_doc_get(map, "from") || yaml_doc_get(map, "to");
    bool recurring = yaml_doc_get(map, "rrule") || yaml_doc_get(map, "start") || yaml_doc_get(map, "duration");
    if (date + range + recurring != 1) {
        plan_diag_at(diag, map, "a blackout is one of: date; from and to; start, rrule and duration");
        return;
    }
    out->reason = plan_get_text(diag, map, "reason", false);
    fleet_local_t day = {0};
    if (date) {
        if (read_local(diag, map, "date", true, false, &day) && !day.is_date)
            plan_diag_at(diag, yaml_doc_get(map, "date"), "a date (YYYY-MM-DD); for a time range use from and to");
        else if (day.is_date && zone != NULL)
            out->fixed = whole_days(&day, &day, zone);
    } else if (range) {
        read_range(diag, map, zone, &out->fixed);
    } else if (recurring) {
        out->recurring = read_recur(diag, map, zone, false, &out->recur, NULL);
    }
}

void fleet_read_blackouts(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    const yaml_doc_node_t *list = NULL;
    alfup_err_t err;
    if (yaml_doc_get_node(root, "blackouts", 0, YAML_DOC_SEQUENCE, &list, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    size_t count = list ? yaml_doc_count(list) : 0;
    if (count > FLEET_MAX_BLACKOUTS) {
        plan_diag_at(diag, list, "%zu blackouts (at most %u)", count, FLEET_MAX_BLACKOUTS);
        return;
    }
    fleet->blackouts = count ? calloc(count, sizeof *fleet->blackouts) : NULL;
    if (count && fleet->blackouts == NULL) {
        plan_diag_addf(diag, "%s: out of memory", fleet->path);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const yaml_doc_node_t *item = yaml_doc_item(list, i);
        if (yaml_doc_expect(item, YAML_DOC_MAPPING, &err) != 0) {
            plan_diag_add_err(diag, &err);
            continue;
        }
        read_blackout(diag, item, fleet->zone, &fleet->blackouts[fleet->blackout_count++]);
    }
}
