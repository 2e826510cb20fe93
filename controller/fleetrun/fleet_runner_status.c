/* fleet_runner_status.c -- `fleet status`: each fleet's state, window, failures, every deployment with its state,
 * run, estimate and, when it waits, why with the numbers; the fleet's latest events. Text or JSON. */
#include "fleet_runner_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_time.h"

static json_t *member_json(const fleet_active_t *fa, size_t i)
{
    const fleet_runner_member_t *m = &fa->members[i];
    const fleet_deployment_t *dep = &fa->fleet->deployments[i];
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "deployment", dep->name, "wave",
                          fa->fleet->waves[dep->wave].name, "state", fleet_state_name(m->member.state), "run",
                          m->run_id, "action", fleet_action_name(m->verdict.action), "why",
                          fleet_why_name(m->verdict.why), "detail", m->verdict.text);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "estimate_s", m->member.estimate_s < 0 ? json_null() : json_integer(m->member.estimate_s));
    json_object_set_new(o, "estimate_basis", json_string(m->basis));
    json_object_set_new(o, "note", json_string(m->note));
    return o;
}

static json_t *window_json(const fleet_active_t *fa)
{
    const fleet_outcome_t *o = &fa->outcome;
    if (!o->has_slot)
        return json_null();
    char start[FLEET_TIME_TEXT_MAX], end[FLEET_TIME_TEXT_MAX];
    fleet_utc_iso(o->slot.usable.start, start, sizeof start);
    fleet_utc_iso(o->slot.usable.end, end, sizeof end);
    return json_pack("{s:s, s:s, s:b}", "start", start, "end", end, "open", o->in_window);
}

static json_t *fleet_json(fleet_runner_t *r, const fleet_active_t *fa)
{
    json_t *deployments = json_array();
    for (size_t i = 0; deployments && i < fa->fleet->deployment_count; i++)
        json_array_append_new(deployments, member_json(fa, i));
    char *events_text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&events_text, &len);
    alfup_err_t err;
    if (out) {
        if (fleet_store_print_events(r->journal, fa->fleet->name, FLEET_STATUS_EVENTS, true, out, &err) != ALFUP_OK)
            fputs("[]", out);
        fclose(out);
    }
    json_t *events = events_text ? json_loads(events_text, 0, NULL) : NULL;
    free(events_text);
    return json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:o, s:o, s:o}", "fleet", fa->fleet->name, "path", fa->fleet->path,
                     "state", fleet_run_state_name(fa->state), "drained", r->drained, "failures",
                     (json_int_t)fa->failures, "halt_failures", (json_int_t)fa->fleet->halt_failures, "window",
                     window_json(fa), "deployments", deployments ? deployments : json_array(), "events",
                     events ? events : json_array());
}

static void print_text(fleet_runner_t *r, const fleet_active_t *fa, FILE *out)
{
    const fleet_outcome_t *o = &fa->outcome;
    char a[FLEET_TIME_TEXT_MAX], b[FLEET_TIME_TEXT_MAX];
    fprintf(out, "fleet %s: %s%s (%s); failures %u, halts at %u\n", fa->fleet->name, fleet_run_state_name(fa->state),
            r->drained ? ", controller drained" : "", fa->fleet->path, fa->failures, fa->fleet->halt_failures);
    if (o->has_slot) {
        fleet_utc_text(o->slot.usable.start, fa->fleet->zone, a, sizeof a);
        fleet_utc_text(o->slot.usable.end, fa->fleet->zone, b, sizeof b);
        fprintf(out, "window: %s .. %s %s (%s)\n", a, b, fa->fleet->zone_name, o->in_window ? "open" : "not open yet");
    } else {
        fprintf(out, "window: no further usable occurrence\n");
    }
    for (size_t i = 0; i < fa->fleet->deployment_count; i++) {
        const fleet_runner_member_t *m = &fa->members[i];
        const fleet_deployment_t *dep = &fa->fleet->deployments[i];
        fprintf(out, "  %-16s %-10s %-12s %-20s %s%s%s\n", dep->name, fa->fleet->waves[dep->wave].name,
                fleet_state_name(m->member.state), m->run_id[0] ? m->run_id : "-",
                m->verdict.action == FLEET_ACT_WAIT ? "waits: " : "", m->verdict.text, m->note[0] ? " -- " : "");
        if (m->note[0])
            fprintf(out, "  %-16s %s\n", "", m->note);
    }
    fprintf(out, "events:\n");
    alfup_err_t err;
    if (fleet_store_print_events(r->journal, fa->fleet->name, FLEET_STATUS_EVENTS, false, out, &err) != ALFUP_OK)
        fprintf(out, "  (%s)\n", err.msg);
}

int fleet_runner_status(fleet_runner_t *r, const char *name, bool json, FILE *out)
{
    const fleet_active_t *only = name ? fleet_runner_find(r, name) : NULL;
    if (name && only == NULL)
        return fprintf(out, "no fleet %s\n", name), 1;
    if (!json) {
        if (r->fleets == NULL)
            fprintf(out, "no fleet yet%s\n", r->drained ? " (controller drained)" : "");
        for (const fleet_active_t *fa = r->fleets; fa; fa = fa->next)
            if (only == NULL || fa == only)
                print_text(r, fa, out);
        return 0;
    }
    json_t *value = only ? fleet_json(r, only) : json_array();
    for (const fleet_active_t *fa = only ? NULL : r->fleets; fa; fa = fa->next)
        json_array_append_new(value, fleet_json(r, fa));
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    fprintf(out, "%s\n", text ? text : "{\"error\":\"out of memory\"}");
    free(text);
    return text ? 0 : 1;
}
