/* step_configure_solr.c -- data.dir.root (and other keys) set in the new Solr's cores. */
#include "step_configure_solr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_util.h"
#include "layout_util.h"
#include "properties.h"
#include "solr_cores.h"

#define SET_PREFIX "set."
#define SET_KEY_MAX 200
#define SET_MARKER "# --- set by alfup (configure-solr) ---"

static int key_ok(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > SET_KEY_MAX)
        return 0;
    return strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* data.dir.root plus every set.KEY parameter. */
static step_status_t collect_settings(step_context_t *ctx, const char *data, kv_list_t *set)
{
    if (kv_list_add(set, "data.dir.root", data) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    for (size_t i = 0; i < ctx->params->count; i++) {
        const char *key = ctx->params->items[i].key;
        const char *value = ctx->params->items[i].value;
        if (strncmp(key, SET_PREFIX, strlen(SET_PREFIX)) != 0)
            continue;
        key += strlen(SET_PREFIX);
        if (!key_ok(key) || strcmp(key, "data.dir.root") == 0 || strpbrk(value, "\r\n") != NULL)
            return step_fail(ctx, STEP_REFUSED, "%s: parameter set.%.64s is not a settable key=value", ctx->step_id,
                             key);
        if (kv_list_add(set, key, value) != 0)
            return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    }
    return STEP_SUCCEEDED;
}

/* Sets the keys in one solrcore.properties. 1 changed, 0 unchanged, -1 failed (err). */
static int configure_core(const char *path, const kv_list_t *set, alfup_err_t *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char *merged = NULL;
    size_t merged_len = 0;
    props_t *core = NULL, *nothing = NULL;
    props_merge_outcome_t outcome = {0};
    struct stat st;
    int rc = -1;
    if (stat(path, &st) != 0 || file_read_all(path, PROPS_MAX_BYTES, &text, &len, err) != ALFUP_OK) {
        alfup_err_set(err, "%s: cannot read it", path);
        goto out;
    }
    core = props_parse((const char *)text, len, path, err);
    nothing = props_parse("", 0, path, err);
    if (core == NULL || nothing == NULL ||
        props_merge(nothing, core, set, SET_MARKER, &merged, &merged_len, &outcome, err) != ALFUP_OK)
        goto out;
    if (merged_len == len && memcmp(merged, text, len) == 0) {
        rc = 0;
        goto out;
    }
    if (file_write_atomic(path, (const uint8_t *)merged, merged_len, st.st_mode & 07777, err) != ALFUP_OK)
        goto out;
    rc = 1;
out:
    props_merge_outcome_clear(&outcome);
    props_destroy(&core);
    props_destroy(&nothing);
    free(merged);
    free(text);
    return rc;
}

static step_status_t configure_cores(step_context_t *ctx, const char *solr_home, const kv_list_t *set)
{
    str_list_t cores = {0};
    solr_cores_find(solr_home, &cores);
    step_status_t status = STEP_SUCCEEDED;
    if (cores.count == 0)
        status = step_fail(ctx, STEP_REFUSED, "%s: no %s below %s: not a Solr home", ctx->step_id, SOLR_CORE_FILE,
                           solr_home);
    for (size_t i = 0; i < cores.count && status == STEP_SUCCEEDED; i++) {
        alfup_err_t err = {{0}};
        int changed = configure_core(cores.items[i], set, &err);
        if (changed < 0)
            status = step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
        else if (layout_output(ctx, changed ? "configured" : "unchanged", cores.items[i]) != 0)
            status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    }
    str_list_clear(&cores);
    return status;
}

step_status_t step_configure_solr_run(step_context_t *ctx)
{
    char *solr_home = layout_param_path(ctx, "solr_home");
    char *data = solr_home ? layout_param_path(ctx, "data_dir_root") : NULL;
    kv_list_t set = {0};
    step_status_t status = STEP_REFUSED;
    if (solr_home == NULL || data == NULL)
        goto out;
    if (kv_list_get(ctx->params, "old_solr_home") == NULL) {
        status = step_fail(ctx, STEP_REFUSED, "%s: missing parameter 'old_solr_home'", ctx->step_id);
        goto out;
    }
    status = layout_refuse_old(ctx, "old_solr_home", solr_home);
    if (status == STEP_SUCCEEDED)
        status = layout_refuse_old(ctx, "old_solr_home", data);
    if (status == STEP_SUCCEEDED)
        status = collect_settings(ctx, data, &set);
    if (status == STEP_SUCCEEDED)
        status = configure_cores(ctx, solr_home, &set);
    if (status == STEP_SUCCEEDED && layout_output(ctx, "data_dir_root", data) != 0)
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
out:
    kv_list_clear(&set);
    free(solr_home);
    free(data);
    return status;
}
