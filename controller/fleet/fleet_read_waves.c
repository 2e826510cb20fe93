/* fleet_read_waves.c -- reading the fleet's waves: ordered groups of deployments, each in exactly one wave. */
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "fleet_read.h"
#include "plan_check.h"

static const char *const WAVE_KEYS[] = {"name", "deployments", "parallelism", "soak", NULL};

static void add_member(plan_diag_t *diag, fleet_t *fleet, size_t w, const char *name, const yaml_doc_node_t *at)
{
    fleet_wave_t *wave = &fleet->waves[w];
    long index = fleet_find(fleet, name);
    if (index < 0) {
        plan_diag_at(diag, at, "unknown deployment '%s' (not under deployments)", name);
        return;
    }
    fleet_deployment_t *d = &fleet->deployments[index];
    if (d->wave != SIZE_MAX) {
        const char *other = fleet->waves[d->wave].name ? fleet->waves[d->wave].name : "?";
        plan_diag_at(diag, at, "deployment '%s' is already in wave '%s'%s", name, other,
                     d->wave == w ? " (listed twice)" : " (a deployment is in exactly one wave)");
        return;
    }
    d->wave = w;
    wave->members[wave->member_count++] = (size_t)index;
}

static void read_wave(plan_diag_t *diag, const yaml_doc_node_t *map, fleet_t *fleet, size_t w)
{
    fleet_wave_t *wave = &fleet->waves[w];
    plan_check_keys(diag, map, WAVE_KEYS);
    wave->name = plan_get_text(diag, map, "name", true);
    if (wave->name != NULL && !config_name_ok(wave->name))
        plan_diag_at(diag, yaml_doc_get(map, "name"), "'%s' is not a name ([A-Za-z0-9][A-Za-z0-9._-], at most %d)",
                     wave->name, CONFIG_NAME_MAX);
    for (size_t k = 0; wave->name != NULL && k < w; k++)
        if (fleet->waves[k].name != NULL && strcmp(fleet->waves[k].name, wave->name) == 0)
            plan_diag_at(diag, yaml_doc_get(map, "name"), "wave name '%s' used twice", wave->name);
    wave->parallelism = 1;
    alfup_err_t err;
    if (yaml_doc_get_uint(map, "parallelism", 0, 1, FLEET_PARALLELISM_MAX, &wave->parallelism, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    fleet_read_duration(diag, map, "soak", true, &wave->soak_s);
    str_list_t names = {0};
    if (yaml_doc_get_string_list(map, "deployments", YAML_DOC_REQUIRED | YAML_DOC_NON_EMPTY, &names, &err) != 0) {
        plan_diag_add_err(diag, &err);
        return;
    }
    const yaml_doc_node_t *list = yaml_doc_get(map, "deployments");
    wave->members = calloc(names.count, sizeof *wave->members);
    for (size_t i = 0; wave->members != NULL && i < names.count; i++) {
        const yaml_doc_node_t *at = yaml_doc_item(list, i) ? yaml_doc_item(list, i) : list;
        add_member(diag, fleet, w, names.items[i], at);
    }
    if (wave->members == NULL)
        plan_diag_addf(diag, "%s: out of memory", fleet->path);
    str_list_clear(&names);
}

void fleet_read_waves(plan_diag_t *diag, const yaml_doc_node_t *root, fleet_t *fleet)
{
    const yaml_doc_node_t *list = NULL;
    alfup_err_t err;
    if (yaml_doc_get_node(root, "waves", YAML_DOC_REQUIRED, YAML_DOC_SEQUENCE, &list, &err) != 0) {
        plan_diag_add_err(diag, &err);
        return;
    }
    size_t count = yaml_doc_count(list);
    if (count == 0 || count > FLEET_MAX_WAVES) {
        plan_diag_at(diag, list, "%zu waves (1 to %u)", count, FLEET_MAX_WAVES);
        return;
    }
    fleet->waves = calloc(count, sizeof *fleet->waves);
    if (fleet->waves == NULL) {
        plan_diag_addf(diag, "%s: out of memory", fleet->path);
        return;
    }
    for (size_t w = 0; w < count; w++) {
        const yaml_doc_node_t *item = yaml_doc_item(list, w);
        fleet->wave_count++;
        if (yaml_doc_expect(item, YAML_DOC_MAPPING, &err) != 0)
            plan_diag_add_err(diag, &err);
        else
            read_wave(diag, item, fleet, w);
    }
    for (size_t i = 0; i < fleet->deployment_count; i++)
        if (fleet->deployments[i].wave == SIZE_MAX && fleet->deployments[i].name != NULL)
            plan_diag_at(diag, fleet->deployments[i].node, "deployment '%s' is in no wave", fleet->deployments[i].name);
}
