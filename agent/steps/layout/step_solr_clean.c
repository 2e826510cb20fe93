/* step_solr_clean.c -- remove Alfresco's Solr models and indexes, nothing else. */
#include "step_solr_clean.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_util.h"
#include "layout_util.h"
#include "path_policy.h"
#include "properties.h"
#include "solr_cores.h"

/* 1 when one of the solrcore.properties files sets data.dir.root to data_root. */
static int named_by_a_core(const str_list_t *cores, const char *data_root)
{
    for (size_t i = 0; i < cores->count; i++) {
        uint8_t *text = NULL;
        size_t len = 0;
        if (file_read_all(cores->items[i], PROPS_MAX_BYTES, &text, &len, NULL) != ALFUP_OK)
            continue;
        props_t *props = props_parse((const char *)text, len, cores->items[i], NULL);
        free(text);
        const char *value = props ? props_get(props, "data.dir.root") : NULL;
        char resolved[PATH_MAX];
        int same = value && value[0] == '/' && realpath(value, resolved) &&
                   strcmp(resolved, data_root) == 0;
        props_destroy(&props);
        if (same)
            return 1;
    }
    return 0;
}

static step_status_t check_solr_home(step_context_t *ctx, const char *solr_home, const char *data)
{
    str_list_t cores = {0};
    solr_cores_find(solr_home, &cores);
    step_status_t status = STEP_SUCCEEDED;
    if (cores.count == 0)
        status = step_fail(ctx, STEP_REFUSED,
                           "%s: %s does not look like a Solr home: no %s below it; refusing",
                           ctx->step_id, solr_home, SOLR_CORE_FILE);
    else if (!path_is_within(data, solr_home) && !named_by_a_core(&cores, data))
        status = step_fail(ctx, STEP_REFUSED,
                           "%s: data_dir_root %s is neither inside %s nor the data.dir.root of "
                           "its cores; refusing", ctx->step_id, data, solr_home);
    str_list_clear(&cores);
    return status;
}

typedef struct solr_target {
    int from_data;          /* relative to data_dir_root, else to solr_home */
    const char *relative;
    int is_model;
} solr_target_t;

static const solr_target_t TARGETS[] = {
    {1, "alfresco/index", 0},
    {1, "archive/index", 0},
    {1, "workspace/SpacesStore", 0},
    {1, "archive/SpacesStore", 0},
    {0, "alfrescoModels", 1},
    {0, "solrhome/alfrescoModels", 1},
    {0, "data/alfrescoModels", 1},
    {1, "alfrescoModels", 1},
    {0, "workspace-SpacesStore/alfrescoModels", 1},
    {0, "archive-SpacesStore/alfrescoModels", 1},
};

#define SOLR_TARGETS_MAX (sizeof TARGETS / sizeof TARGETS[0] + 1)

typedef struct solr_clean {
    const char *solr_home, *data;
    char *paths[SOLR_TARGETS_MAX];   /* existing, distinct, checked folders to empty */
    int is_model[SOLR_TARGETS_MAX];
    size_t count;
    tree_remove_stats_t models, indexes;
} solr_clean_t;

/* Adds path (taking it) when it is an existing folder not yet listed; refuses
 * one that leads outside solr_home and data_dir_root. */
static step_status_t add_target(step_context_t *ctx, solr_clean_t *clean, char *path, int is_model)
{
    struct stat st;
    int wanted = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
    for (size_t i = 0; wanted && i < clean->count; i++)
        wanted = strcmp(clean->paths[i], path) != 0;
    if (!wanted) {
        free(path);
        return STEP_SUCCEEDED;
    }
    if (!path_is_within(path, clean->solr_home) && !path_is_within(path, clean->data)) {
        step_fail(ctx, STEP_REFUSED, "%s: %s leads outside %s and %s; refusing", ctx->step_id,
                  path, clean->solr_home, clean->data);
        free(path);
        return STEP_REFUSED;
    }
    clean->is_model[clean->count] = is_model;
    clean->paths[clean->count++] = path;
    return STEP_SUCCEEDED;
}

/* Solr 4 keeps its models in alf_data/solr4/model, beside the index folder. */
static char *solr4_model_path(const agent_config_t *config, const char *data)
{
    const char *base = strrchr(data, '/');
    if (base == NULL || base == data || strcmp(base, "/index") != 0)
        return NULL;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", (int)(base - data), data);
    char *model = layout_join_resolve(config, parent, "model", NULL);
    if (model != NULL && !path_is_within(model, parent)) {
        free(model);
        return NULL;
    }
    return model;
}

/* Resolves and checks every target before anything is removed. */
static step_status_t collect_targets(step_context_t *ctx, solr_clean_t *clean)
{
    step_status_t status = STEP_SUCCEEDED;
    for (size_t i = 0; i < sizeof TARGETS / sizeof TARGETS[0] && status == STEP_SUCCEEDED; i++) {
        alfup_err_t err = {{0}};
        const char *base = TARGETS[i].from_data ? clean->data : clean->solr_home;
        char *path = layout_join_resolve(ctx->config, base, TARGETS[i].relative, &err);
        if (path == NULL)
            status = step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
        else
            status = add_target(ctx, clean, path, TARGETS[i].is_model);
    }
    char *model = status == STEP_SUCCEEDED ? solr4_model_path(ctx->config, clean->data) : NULL;
    struct stat st;
    if (model != NULL && lstat(model, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* beside data_dir_root: solr4_model_path checked it stays in its parent */
        clean->is_model[clean->count] = 1;
        clean->paths[clean->count++] = model;
    } else {
        free(model);
    }
    if (status == STEP_SUCCEEDED && clean->count == 0)
        status = step_fail(ctx, STEP_REFUSED,
                           "%s: no model or index folder of a known Solr layout under %s or %s",
                           ctx->step_id, clean->solr_home, clean->data);
    return status;
}

static step_status_t clean_all(step_context_t *ctx, solr_clean_t *clean)
{
    for (size_t i = 0; i < clean->count; i++) {
        alfup_err_t err = {{0}};
        tree_remove_stats_t *stats = clean->is_model[i] ? &clean->models : &clean->indexes;
        int rc = layout_clear(ctx, clean->paths[i], 0, stats, &err);
        if (rc == LAYOUT_CANCELLED)
            return step_fail(ctx, STEP_CANCELLED, "%s: solr-clean cancelled in %s", ctx->step_id,
                             clean->paths[i]);
        if (rc != ALFUP_OK)
            return step_fail(ctx, STEP_FAILED, "%s: solr-clean: %s", ctx->step_id, err.msg);
        if (layout_output(ctx, "cleared", clean->paths[i]) != 0)
            return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    }
    return STEP_SUCCEEDED;
}

/* Optional old_solr_home / old_data_dir_root: the old Solr must not overlap the new one. */
static step_status_t check_not_old(step_context_t *ctx, const char *solr_home, const char *data)
{
    static const char *const KEYS[] = {"old_solr_home", "old_data_dir_root"};
    step_status_t status = STEP_SUCCEEDED;
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0] && status == STEP_SUCCEEDED; i++) {
        status = layout_refuse_old(ctx, KEYS[i], solr_home);
        if (status == STEP_SUCCEEDED)
            status = layout_refuse_old(ctx, KEYS[i], data);
    }
    return status;
}

step_status_t step_solr_clean_run(step_context_t *ctx)
{
    char *solr_home = layout_param_path(ctx, "solr_home");
    char *data = solr_home ? layout_param_path(ctx, "data_dir_root") : NULL;
    step_status_t status = STEP_REFUSED;
    solr_clean_t clean = {.solr_home = solr_home, .data = data};
    if (data != NULL)
        status = check_not_old(ctx, solr_home, data);
    if (status == STEP_SUCCEEDED)
        status = check_solr_home(ctx, solr_home, data);
    if (status == STEP_SUCCEEDED)
        status = collect_targets(ctx, &clean);
    if (status == STEP_SUCCEEDED)
        status = clean_all(ctx, &clean);
    if (data != NULL &&
        (kv_list_addf(&ctx->result->outputs, "model_files_removed", "%llu",
                      (unsigned long long)clean.models.files) != 0 ||
         kv_list_addf(&ctx->result->outputs, "index_files_removed", "%llu",
                      (unsigned long long)clean.indexes.files) != 0 ||
         kv_list_addf(&ctx->result->outputs, "bytes_removed", "%llu",
                      (unsigned long long)(clean.models.bytes + clean.indexes.bytes)) != 0))
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    for (size_t i = 0; i < clean.count; i++)
        free(clean.paths[i]);
    free(solr_home);
    free(data);
    return status;
}
