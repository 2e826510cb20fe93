/* fleet.c -- reading a fleet file into fleet_t: the root keys, deployments and their plans, the threshold. */
#include "fleet.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "file_util.h"
#include "fleet_read.h"
#include "fleet_time.h"
#include "plan_check.h"
#include "run_plan.h"

#define PERCENT_MAX 100u
#define FACTOR_DECIMALS 3

static const char *const ROOT_KEYS[] = {
    "fleet",         "deployments",   "window",           "blackouts", "waves", "failure_threshold",
    "prepare_ahead", "safety_factor", "approve_cutovers", NULL};

void fleet_read_duration(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool allow_zero, int64_t *out)
{
    char *text = plan_get_text(diag, map, key, false);
    if (text == NULL)
        return;
    int64_t seconds = 0;
    if (allow_zero && strcmp(text, "0") == 0)
        *out = 0;
    else if (fleet_duration_parse(text, &seconds) == 0)
        *out = seconds;
    else
        plan_diag_at(diag, yaml_doc_get(map, key),
                     "'%s' is not a duration (e.g. 4h, 90m, 1h30m, 2d: units d h m s in that order%s, at most "
                     "366 days)",
                     text, allow_zero ? ", or 0" : "");
    free(text);
}

/* The folder of the fleet file joined with a relative plan path; an absolute one as it is. */
static char *resolve_plan(const char *fleet_path, const char *plan)
{
    if (plan[0] == '/')
        return strdup(plan);
    const char *slash = strrchr(fleet_path, '/');
    int folder_len = slash ? (int)(slash - fleet_path) : 1;
    const char *folder = slash ? fleet_path : ".";
    if (slash == fleet_path)
        folder_len = 0; /* "/fleet.yaml": the folder is "/" */
    size_t len = (size_t)folder_len + strlen(plan) + 2;
    char *out = malloc(len);
    if (out != NULL)
        snprintf(out, len, "%.*s/%s", folder_len, folder, plan);
    return out;
}

static void read_deployment(plan_diag_t *diag, const yaml_doc_node_t *map, size_t i, fleet_t *fleet)
{
    fleet_deployment_t *d = &fleet->deployments[fleet->deployment_count++];
    d->node = yaml_doc_value(map, i);
    d->wave = SIZE_MAX;
    d->name = strdup(yaml_doc_key(map, i));
    if (d->name != NULL && !config_name_ok(d->name))
        plan_diag_at(diag, d->node, "'%s' is not a deployment name ([A-Za-z0-9][A-Za-z0-9._-], at most %d)", d->name,
                     CONFIG_NAME_MAX);
    alfup_err_t err;
    if (yaml_doc_to_string(d->node, &d->plan, &err) != 0) {
        plan_diag_at(diag, d->node, "expected the path of the deployment's plan file");
        return;
    }
    if (d->plan[0] == '\0' || strlen(d->plan) >= PATH_MAX) {
        plan_diag_at(diag, d->node, "the plan path must be 1 to %d characters", PATH_MAX - 1);
        return;
    }
    d->plan_path = resolve_plan(fleet->path, d->plan);
}

static void read_deployments(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    const yaml_doc_node_t *map = plan_get_map(diag, root, "deployments", true);
    size_t count = map ? yaml_doc_count(map) : 0;
    if (map != NULL && count == 0)
        plan_diag_at(diag, map, "no deployments");
    if (count > FLEET_MAX_DEPLOYMENTS) {
        plan_diag_at(diag, map, "%zu deployments (at most %u)", count, FLEET_MAX_DEPLOYMENTS);
        return;
    }
    fleet->deployments = count ? calloc(count, sizeof *fleet->deployments) : NULL;
    if (count && fleet->deployments == NULL) {
        plan_diag_addf(diag, "%s: out of memory", fleet->path);
        return;
    }
    for (size_t i = 0; i < count; i++)
        read_deployment(diag, map, i, fleet);
}

/* "2" (a count of failed deployments) or "10%" (of the fleet's deployments). */
static void read_threshold(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    fleet->threshold_kind = FLEET_THRESHOLD_COUNT;
    fleet->threshold_value = 1;
    char *text = plan_get_text(diag, root, "failure_threshold", false);
    if (text == NULL)
        goto out;
    size_t len = strlen(text), digits = strspn(text, "0123456789");
    bool percent = digits + 1 == len && text[digits] == '%';
    unsigned max = percent ? PERCENT_MAX : (unsigned)(fleet->deployment_count ? fleet->deployment_count : 1);
    unsigned long value = digits > 0 && digits <= 6 ? strtoul(text, NULL, 10) : 0;
    if ((digits != len && !percent) || value < 1 || value > max) {
        plan_diag_at(diag, yaml_doc_get(root, "failure_threshold"),
                     "'%s' is not a failure threshold (a count 1..%u, the number of deployments, or a "
                     "percentage 1%%..100%%)",
                     text, max);
        goto out;
    }
    fleet->threshold_kind = percent ? FLEET_THRESHOLD_PERCENT : FLEET_THRESHOLD_COUNT;
    fleet->threshold_value = (unsigned)value;
out:
    free(text);
    if (fleet->threshold_kind == FLEET_THRESHOLD_COUNT) {
        fleet->halt_failures = fleet->threshold_value;
    } else { /* the smallest count that reaches the percentage, at least one */
        size_t n = fleet->deployment_count;
        size_t failures = (fleet->threshold_value * n + PERCENT_MAX - 1) / PERCENT_MAX;
        fleet->halt_failures = failures ? (unsigned)failures : 1;
    }
}

/* "1.5": at most three decimals, 1.000 .. 10.000. */
static void read_factor(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    fleet->safety_factor_milli = FLEET_FACTOR_DEFAULT_MILLI;
    char *text = plan_get_text(diag, root, "safety_factor", false);
    if (text == NULL)
        return;
    unsigned whole = 0, milli = 0, scale = 1000;
    const char *p = text;
    size_t int_digits = 0, decimals = 0;
    for (; *p >= '0' && *p <= '9' && int_digits < 3; p++, int_digits++)
        whole = whole * 10 + (unsigned)(*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9' && decimals < FACTOR_DECIMALS; p++, decimals++)
            milli += (unsigned)(*p - '0') * (scale /= 10);
    unsigned value = whole * 1000 + milli;
    if (int_digits == 0 || *p != '\0' || value < FLEET_FACTOR_MIN_MILLI || value > FLEET_FACTOR_MAX_MILLI)
        plan_diag_at(diag, yaml_doc_get(root, "safety_factor"),
                     "'%s' is not a safety factor (a number from 1 to 10, at most 3 decimals)", text);
    else
        fleet->safety_factor_milli = value;
    free(text);
}

static void read_root(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    plan_check_keys(diag, root, ROOT_KEYS);
    fleet->name = plan_get_text(diag, root, "fleet", true);
    if (fleet->name != NULL && !config_name_ok(fleet->name))
        plan_diag_at(diag, yaml_doc_get(root, "fleet"), "'%s' is not a name ([A-Za-z0-9][A-Za-z0-9._-], at most %d)",
                     fleet->name, CONFIG_NAME_MAX);
    read_deployments(diag, root, fleet);
    fleet_read_window(diag, root, fleet);
    fleet_read_blackouts(diag, root, fleet);
    fleet_read_waves(diag, root, fleet);
    read_threshold(diag, root, fleet);
    fleet->prepare_ahead_s = FLEET_PREPARE_AHEAD_DEFAULT_S;
    fleet_read_duration(diag, root, "prepare_ahead", true, &fleet->prepare_ahead_s);
    read_factor(diag, root, fleet);
    alfup_err_t err;
    if (yaml_doc_get_bool(root, "approve_cutovers", 0, &fleet->approve_cutovers, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
}

static bool has_cutover_gate(const run_plan_t *plan)
{
    for (size_t s = 0; s < plan->step_count; s++)
        if (plan->steps[s].gate && strcmp(plan->steps[s].gate, FLEET_CUTOVER_GATE) == 0)
            return true;
    return false;
}

/* Each plan read and checked as `plan check` does, and with the cutover gate; two deployments may not share a
 * plan file. */
static void check_plans(plan_diag_t *diag, fleet_t *fleet, const char *workflows_dir)
{
    str_list_t seen = {0};
    for (size_t i = 0; i < fleet->deployment_count; i++) {
        const fleet_deployment_t *d = &fleet->deployments[i];
        if (d->plan_path == NULL)
            continue;
        char real[PATH_MAX];
        const char *key = realpath(d->plan_path, real) ? real : d->plan_path;
        if (str_list_contains(&seen, key))
            plan_diag_at(diag, d->node, "plan '%s' is also another deployment's plan", d->plan);
        else
            str_list_add(&seen, key);
        uint8_t *text = NULL;
        size_t len = 0;
        alfup_err_t err;
        int rc = file_read_all(d->plan_path, YAML_DOC_MAX_BYTES, &text, &len, &err);
        if (rc == FILE_MISSING)
            plan_diag_at(diag, d->node, "plan file '%s' not found", d->plan_path);
        else if (rc != ALFUP_OK)
            plan_diag_at(diag, d->node, "%s", err.msg);
        run_plan_t *plan =
            rc == ALFUP_OK ? run_plan_build_diag(d->plan_path, (const char *)text, len, workflows_dir, diag) : NULL;
        if (plan && !has_cutover_gate(plan))
            plan_diag_at(diag, d->node, "plan '%s' (workflow %s) has no '" FLEET_CUTOVER_GATE "' gate: a fleet's "
                         "plans use the prestaged workflow (alfresco-upgrade-prestaged), whose cutover the fleet "
                         "approves inside a window", d->plan, plan->workflow);
        run_plan_destroy(&plan);
        free(text);
    }
    str_list_clear(&seen);
}

fleet_t *fleet_parse(const char *path, const char *text, size_t len, const fleet_read_options_t *options,
                     plan_diag_t *diag)
{
    size_t errors_before = plan_diag_count(diag);
    alfup_err_t err;
    if (len > FLEET_MAX_BYTES) {
        plan_diag_addf(diag, "%s: %zu bytes, a fleet file has at most %u", path, len, FLEET_MAX_BYTES);
        return NULL;
    }
    fleet_t *fleet = calloc(1, sizeof *fleet);
    if (fleet == NULL || (fleet->path = strdup(path)) == NULL) {
        plan_diag_addf(diag, "%s: out of memory", path);
        goto fail;
    }
    fleet->doc = yaml_doc_load(text, len, path, &err);
    if (fleet->doc == NULL || yaml_doc_expect(yaml_doc_root(fleet->doc), YAML_DOC_MAPPING, &err) != 0) {
        plan_diag_add_err(diag, &err);
        goto fail;
    }
    read_root(diag, yaml_doc_root(fleet->doc), fleet);
    if (options != NULL && options->check_plans)
        check_plans(diag, fleet, options->workflows_dir);
    if (plan_diag_count(diag) == errors_before)
        return fleet;
fail:
    fleet_destroy(&fleet);
    return NULL;
}

fleet_t *fleet_load(const char *path, const fleet_read_options_t *options, plan_diag_t *diag)
{
    uint8_t *text = NULL;
    size_t len = 0;
    alfup_err_t err;
    int rc = file_read_all(path, FLEET_MAX_BYTES, &text, &len, &err);
    if (rc == FILE_MISSING) {
        plan_diag_addf(diag, "%s: no such file", path);
        return NULL;
    }
    if (rc != ALFUP_OK) {
        plan_diag_add_err(diag, &err);
        return NULL;
    }
    fleet_t *fleet = fleet_parse(path, (const char *)text, len, options, diag);
    free(text);
    return fleet;
}

void fleet_destroy(fleet_t **fleet_p)
{
    fleet_t *fleet = fleet_p ? *fleet_p : NULL;
    if (fleet == NULL)
        return;
    for (size_t i = 0; i < fleet->deployment_count; i++) {
        free(fleet->deployments[i].name);
        free(fleet->deployments[i].plan);
        free(fleet->deployments[i].plan_path);
    }
    free(fleet->deployments);
    for (size_t i = 0; i < fleet->wave_count; i++) {
        free(fleet->waves[i].name);
        free(fleet->waves[i].members);
    }
    free(fleet->waves);
    for (size_t i = 0; i < fleet->blackout_count; i++)
        free(fleet->blackouts[i].reason);
    free(fleet->blackouts);
    free(fleet->name);
    free(fleet->zone_name);
    free(fleet->rrule);
    free(fleet->path);
    yaml_doc_destroy(&fleet->doc);
    free(fleet);
    *fleet_p = NULL;
}

long fleet_find(const fleet_t *fleet, const char *name)
{
    for (size_t i = 0; i < fleet->deployment_count; i++)
        if (fleet->deployments[i].name && strcmp(fleet->deployments[i].name, name) == 0)
            return (long)i;
    return -1;
}
