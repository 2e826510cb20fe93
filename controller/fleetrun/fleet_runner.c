/* fleet_runner.c -- the fleet runner's fleets: loading them from the journal, starting one, pause, resume,
 * cancel, drain, and the fleet's events. */
#include "fleet_runner_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event_log.h"
#include "file_util.h"
#include "log.h"

#define COMPONENT FLEET_RUNNER_COMPONENT
#define MS_PER_S 1000

static const char *const STATE_NAMES[] = {"running", "paused", "halted", "cancelled", "finished"};

const char *fleet_run_state_name(fleet_run_state_t state)
{
    return (unsigned)state < sizeof STATE_NAMES / sizeof STATE_NAMES[0] ? STATE_NAMES[state] : "unknown";
}

static fleet_run_state_t state_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof STATE_NAMES / sizeof STATE_NAMES[0]; i++)
        if (strcmp(name, STATE_NAMES[i]) == 0)
            return (fleet_run_state_t)i;
    return FLEET_PAUSED; /* an unknown state: nothing new starts until an operator says so */
}

static fleet_state_t member_state_from_name(const char *name)
{
    for (int s = FLEET_PENDING; s <= FLEET_ROLLED_BACK; s++)
        if (strcmp(name, fleet_state_name((fleet_state_t)s)) == 0)
            return (fleet_state_t)s;
    return FLEET_PENDING;
}

fleet_active_t *fleet_runner_find(const fleet_runner_t *r, const char *name)
{
    for (fleet_active_t *fa = r->fleets; fa; fa = fa->next)
        if (strcmp(fa->fleet->name, name) == 0)
            return fa;
    return NULL;
}

int fleet_runner_owns_run(const fleet_runner_t *r, const char *run_id)
{
    for (const fleet_active_t *fa = r->fleets; fa; fa = fa->next)
        for (size_t i = 0; i < fa->fleet->deployment_count; i++)
            if (strcmp(fa->members[i].run_id, run_id) == 0)
                return 1;
    return 0;
}

void fleet_runner_event(fleet_runner_t *r, const fleet_active_t *fa, const char *deployment, const char *run_id,
                        const char *event, const char *detail)
{
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "fleet", fa->fleet->name, "deployment", deployment ? deployment : "",
                  "event", event, "run", run_id ? run_id : "", "detail", detail ? detail : "");
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    alfup_err_t err;
    if (text == NULL || event_log_append(r->journal, "fleet", run_id, text, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "fleet %s: event %s of %s not in the event log: %s", fa->fleet->name,
                  event, deployment ? deployment : "the fleet", text ? err.msg : "out of memory");
    else
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "fleet %s%s%s: %s%s%s", fa->fleet->name, deployment ? " " : "",
                  deployment ? deployment : "", event, detail && detail[0] ? ": " : "", detail ? detail : "");
    free(text);
}

void fleet_runner_set_state(fleet_runner_t *r, fleet_active_t *fa, fleet_run_state_t state, const char *detail)
{
    alfup_err_t err;
    fa->state = state;
    if (fleet_store_set_fleet_state(r->journal, fa->fleet->name, fleet_run_state_name(state), &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s: state %s not journaled: %s", fa->fleet->name,
                  fleet_run_state_name(state), err.msg);
    fleet_runner_event(r, fa, NULL, NULL, fleet_run_state_name(state), detail);
}

void fleet_runner_save_member(fleet_runner_t *r, fleet_active_t *fa, size_t i)
{
    const fleet_runner_member_t *m = &fa->members[i];
    alfup_err_t err;
    if (fleet_store_save_member(r->journal, fa->fleet->name, fa->fleet->deployments[i].name, m->run_id,
                                fleet_state_name(m->member.state), m->member.settled_at, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s %s: not journaled: %s", fa->fleet->name,
                  fa->fleet->deployments[i].name, err.msg);
}

static void fleet_active_free(fleet_active_t *fa)
{
    if (fa == NULL)
        return;
    fleet_destroy(&fa->fleet);
    free(fa->members);
    free(fa);
}

/* A fleet from its journaled text (its plans were checked when it started). */
static fleet_active_t *fleet_active_new(const char *path, const char *text, alfup_err_t *err)
{
    fleet_read_options_t options = {.check_plans = false};
    plan_diag_t diag = {0};
    fleet_active_t *fa = calloc(1, sizeof *fa);
    if (fa == NULL)
        return alfup_err_set(err, "fleet %s: out of memory", path), NULL;
    fa->fleet = fleet_parse(path, text, strlen(text), &options, &diag);
    if (fa->fleet == NULL)
        plan_diag_to_err(&diag, err);
    plan_diag_clear(&diag);
    if (fa->fleet && !(fa->members = calloc(fa->fleet->deployment_count, sizeof *fa->members))) {
        alfup_err_set(err, "fleet %s: out of memory", path);
        fleet_destroy(&fa->fleet);
    }
    if (fa->fleet == NULL) {
        free(fa);
        return NULL;
    }
    for (size_t i = 0; i < fa->fleet->deployment_count; i++)
        fa->members[i] = (fleet_runner_member_t){.member = {.estimate_s = FLEET_ESTIMATE_UNKNOWN}, .last_why = -1};
    return fa;
}

static void append_fleet(fleet_runner_t *r, fleet_active_t *fa)
{
    fleet_active_t **link = &r->fleets;
    while (*link)
        link = &(*link)->next;
    *link = fa;
}

static void load_member(void *arg, const char *deployment, const char *run_id, const char *state, int64_t settled_s)
{
    fleet_active_t *fa = arg;
    long i = fleet_find(fa->fleet, deployment);
    if (i < 0)
        return;
    fleet_runner_member_t *m = &fa->members[i];
    snprintf(m->run_id, sizeof m->run_id, "%s", run_id);
    m->member.state = member_state_from_name(state);
    m->member.settled_at = settled_s;
}

static int load_fleet(void *arg, const char *name, const char *path, const char *text, const char *state,
                      bool approve_cutovers, int64_t started_ms)
{
    fleet_runner_t *r = arg;
    alfup_err_t err;
    fleet_active_t *fa = fleet_active_new(path, text, &err);
    if (fa == NULL) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s: its journaled file no longer reads (%s); left alone", name,
                  err.msg);
        return 0;
    }
    fa->state = state_from_name(state);
    fa->approve_cutovers = approve_cutovers;
    fa->started_ms = started_ms;
    if (fleet_store_each_member(r->journal, name, load_member, fa, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s: %s", name, err.msg);
    append_fleet(r, fa);
    if (fa->state != FLEET_CANCELLED && fa->state != FLEET_FINISHED)
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "fleet %s: %s, continued from the journal", name, state);
    return 0;
}

fleet_runner_t *fleet_runner_new(journal_t *journal, const char *workflows_dir, const fleet_runner_ops_t *ops,
                                 alfup_err_t *err)
{
    fleet_runner_t *r = calloc(1, sizeof *r);
    if (r == NULL || (r->workflows_dir = strdup(workflows_dir)) == NULL) {
        free(r);
        return alfup_err_set(err, "fleet runner: out of memory"), NULL;
    }
    r->journal = journal;
    r->ops = *ops;
    if (fleet_store_init(journal, err) != ALFUP_OK || fleet_store_drained(journal, &r->drained, err) != ALFUP_OK ||
        fleet_store_each_fleet(journal, load_fleet, r, err) < 0) {
        fleet_runner_destroy(&r);
        return NULL;
    }
    return r;
}

void fleet_runner_destroy(fleet_runner_t **runner_p)
{
    if (runner_p == NULL || *runner_p == NULL)
        return;
    fleet_runner_t *r = *runner_p;
    while (r->fleets) {
        fleet_active_t *next = r->fleets->next;
        fleet_active_free(r->fleets);
        r->fleets = next;
    }
    free(r->workflows_dir);
    free(r);
    *runner_p = NULL;
}

/* Reads and checks the file (its plans too, each with the cutover gate); its text into *text. */
static fleet_t *read_fleet(const fleet_runner_t *r, const char *path, char **text, alfup_err_t *err)
{
    size_t len = 0;
    uint8_t *bytes = NULL;
    if (file_read_all(path, FLEET_MAX_BYTES, &bytes, &len, err) != ALFUP_OK)
        return alfup_err_set(err, "%s: cannot read the fleet file", path), NULL;
    fleet_read_options_t options = {.check_plans = true, .workflows_dir = r->workflows_dir};
    plan_diag_t diag = {0};
    fleet_t *fleet = fleet_parse(path, (const char *)bytes, len, &options, &diag);
    if (fleet == NULL)
        plan_diag_to_err(&diag, err);
    plan_diag_clear(&diag);
    if (fleet == NULL)
        free(bytes);
    else
        *text = (char *)bytes;
    return fleet;
}

int fleet_runner_start(fleet_runner_t *r, const char *path, bool approve_cutovers, char *name, size_t len,
                       alfup_err_t *err)
{
    char *text = NULL;
    fleet_t *checked = read_fleet(r, path, &text, err);
    if (checked == NULL)
        return ALFUP_ERR;
    snprintf(name, len, "%s", checked->name);
    approve_cutovers = approve_cutovers || checked->approve_cutovers;
    fleet_destroy(&checked);
    fleet_active_t *fa = fleet_active_new(path, text, err);
    int64_t now_ms = r->ops.now(r->ops.arg) * MS_PER_S;
    if (fa == NULL || fleet_store_add_fleet(r->journal, name, path, text, approve_cutovers, now_ms, err) != ALFUP_OK) {
        fleet_active_free(fa);
        free(text);
        return ALFUP_ERR;
    }
    free(text);
    fa->approve_cutovers = approve_cutovers;
    fa->started_ms = now_ms;
    for (size_t i = 0; i < fa->fleet->deployment_count; i++)
        fleet_runner_save_member(r, fa, i);
    append_fleet(r, fa);
    char detail[FLEET_NOTE_MAX];
    snprintf(detail, sizeof detail, "%zu deployments in %zu waves from %s%s", fa->fleet->deployment_count,
             fa->fleet->wave_count, path, approve_cutovers ? "; cutovers approved ahead" : "");
    fleet_runner_event(r, fa, NULL, NULL, "started", detail);
    fleet_runner_tick_fleet(r, fa);
    return ALFUP_OK;
}

static fleet_active_t *find_or_err(fleet_runner_t *r, const char *name, alfup_err_t *err)
{
    fleet_active_t *fa = name ? fleet_runner_find(r, name) : NULL;
    if (fa == NULL)
        alfup_err_set(err, "no fleet %s", name ? name : "named");
    return fa;
}

int fleet_runner_pause(fleet_runner_t *r, const char *name, alfup_err_t *err)
{
    fleet_active_t *fa = find_or_err(r, name, err);
    if (fa == NULL)
        return ALFUP_ERR;
    if (fa->state != FLEET_RUNNING)
        return alfup_err_set(err, "fleet %s is %s, not running", name, fleet_run_state_name(fa->state));
    fleet_runner_set_state(r, fa, FLEET_PAUSED, "by an operator: nothing new starts; running work goes on");
    return ALFUP_OK;
}

int fleet_runner_resume(fleet_runner_t *r, const char *name, alfup_err_t *err)
{
    fleet_active_t *fa = find_or_err(r, name, err);
    if (fa == NULL)
        return ALFUP_ERR;
    if (fa->state != FLEET_PAUSED)
        return alfup_err_set(err, "fleet %s is %s, not paused", name, fleet_run_state_name(fa->state));
    fleet_runner_set_state(r, fa, FLEET_RUNNING, "resumed by an operator");
    fleet_runner_tick_fleet(r, fa);
    return ALFUP_OK;
}

int fleet_runner_cancel(fleet_runner_t *r, const char *name, alfup_err_t *err)
{
    fleet_active_t *fa = find_or_err(r, name, err);
    if (fa == NULL)
        return ALFUP_ERR;
    if (fa->state == FLEET_CANCELLED || fa->state == FLEET_FINISHED)
        return alfup_err_set(err, "fleet %s is already %s", name, fleet_run_state_name(fa->state));
    fleet_runner_set_state(r, fa, FLEET_CANCELLED, "by an operator");
    for (size_t i = 0; i < fa->fleet->deployment_count; i++) {
        fleet_runner_member_t *m = &fa->members[i];
        if (m->member.state != FLEET_PREPARING && m->member.state != FLEET_PREPARED)
            continue;
        alfup_err_t e;
        if (r->ops.cancel(r->ops.arg, m->run_id, &e) != ALFUP_OK)
            fleet_runner_event(r, fa, fa->fleet->deployments[i].name, m->run_id, "cancel-refused", e.msg);
        else
            fleet_runner_event(r, fa, fa->fleet->deployments[i].name, m->run_id, "cancelled",
                               "its run is cancelled before its cutover (production never stopped)");
    }
    fleet_runner_tick_fleet(r, fa);
    return ALFUP_OK;
}

int fleet_runner_set_drained(fleet_runner_t *r, bool drained, alfup_err_t *err)
{
    if (fleet_store_set_drained(r->journal, drained, err) != ALFUP_OK)
        return ALFUP_ERR;
    r->drained = drained;
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "controller %s", drained ? "drained: nothing new starts" : "undrained");
    return ALFUP_OK;
}

bool fleet_runner_drained(const fleet_runner_t *r)
{
    return r->drained;
}

void fleet_runner_tick(fleet_runner_t *r)
{
    for (fleet_active_t *fa = r->fleets; fa; fa = fa->next)
        if (fa->state != FLEET_FINISHED)
            fleet_runner_tick_fleet(r, fa);
}
