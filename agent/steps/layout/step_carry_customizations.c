/* step_carry_customizations.c -- merge alfresco-global.properties, copy extension files. */
#include "step_carry_customizations.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "extension_copy.h"
#include "file_util.h"
#include "layout_util.h"
#include "path_policy.h"
#include "properties.h"

#define GLOBAL_PROPERTIES "tomcat/shared/classes/alfresco-global.properties"
#define EXTENSION_DIR "tomcat/shared/classes/alfresco/extension"
#define SET_PREFIX "set."

static int key_is_valid(const char *key)
{
    size_t len = strlen(key);
    return len > 0 && len <= CARRY_KEY_MAX &&
           strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

/* Bounded, no control characters, valid UTF-8 (props_encode_line checks that). */
static int value_is_valid(const char *value)
{
    if (strlen(value) > CARRY_VALUE_MAX)
        return 0;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 0;
    char *encoded = props_encode_line("k", value);
    free(encoded);
    return encoded != NULL;
}

/* Collects the set.KEY parameters into set (KEY -> VALUE), checking them. */
static step_status_t collect_set(step_context_t *ctx, kv_list_t *set)
{
    for (size_t i = 0; i < ctx->params->count; i++) {
        const char *name = ctx->params->items[i].key, *value = ctx->params->items[i].value;
        if (strncmp(name, SET_PREFIX, strlen(SET_PREFIX)) != 0)
            continue;
        const char *key = name + strlen(SET_PREFIX);
        if (!key_is_valid(key) || !value_is_valid(value))
            return step_fail(ctx, STEP_REFUSED, "%s: parameter '%.*s': bad key or value",
                             ctx->step_id, CARRY_KEY_MAX, name);
        if (kv_list_get(set, key) != NULL || set->count >= CARRY_SET_MAX)
            return step_fail(ctx, STEP_REFUSED, "%s: parameter '%s' repeated, or more than %d set.",
                             ctx->step_id, name, CARRY_SET_MAX);
        if (kv_list_add(set, key, value) != 0)
            return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    }
    if (kv_list_get(set, "dir.root") == NULL || kv_list_get(set, "db.url") == NULL)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: set.dir.root and set.db.url are required: the new installation "
                         "must not point at the old data", ctx->step_id);
    return STEP_SUCCEEDED;
}

/* The new installation must not use the old data or database. */
static step_status_t check_not_old(step_context_t *ctx, const kv_list_t *set, const props_t *old,
                                   const char *old_home)
{
    const char *dir_root = kv_list_get(set, "dir.root"), *db_url = kv_list_get(set, "db.url");
    const char *old_dir_root = props_get(old, "dir.root"), *old_db_url = props_get(old, "db.url");
    if (dir_root[0] != '/' || path_is_within(dir_root, old_home) ||
        (old_dir_root && strcmp(old_dir_root, dir_root) == 0))
        return step_fail(ctx, STEP_REFUSED,
                         "%s: set.dir.root %s is not absolute or is the old installation's data",
                         ctx->step_id, dir_root);
    if (old_db_url && strcmp(old_db_url, db_url) == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: set.db.url is the old installation's database",
                         ctx->step_id);
    return STEP_SUCCEEDED;
}

/* Reads and parses a properties file; a missing one is empty when allowed. */
static props_t *load_props(step_context_t *ctx, const char *path, int may_be_missing)
{
    uint8_t *text = NULL;
    size_t len = 0;
    alfup_err_t err = {{0}};
    int rc = file_read_all(path, PROPS_MAX_BYTES, &text, &len, &err);
    if (rc == FILE_MISSING && !may_be_missing) {
        step_fail(ctx, STEP_FAILED, "%s: %s does not exist", ctx->step_id, path);
        return NULL;
    }
    if (rc == ALFUP_ERR) {
        step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
        return NULL;
    }
    props_t *props = props_parse(text ? (const char *)text : "", len, path, &err);
    free(text);
    if (props == NULL)
        step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    return props;
}

static int add_keys(step_context_t *ctx, const char *key, const str_list_t *keys)
{
    for (size_t i = 0; i < keys->count; i++)
        if (layout_output(ctx, key, keys->items[i]) != 0)
            return -1;
    return 0;
}

/* Carried values that still name the old installation are worth a look:
 * an output points_at_old=KEY and a log line for each (values stay out). */
static int note_old_paths(step_context_t *ctx, const props_t *old, const str_list_t *keys,
                          const char *old_home)
{
    for (size_t i = 0; i < keys->count; i++) {
        const char *value = props_get(old, keys->items[i]);
        if (value == NULL || strstr(value, old_home) == NULL)
            continue;
        if (layout_output(ctx, "points_at_old", keys->items[i]) != 0 ||
            str_list_addf(&ctx->result->log_lines, "carried %s still names the old installation %s",
                          keys->items[i], old_home) != 0)
            return -1;
    }
    return 0;
}

/* Writes merged into new_path unless it already holds exactly that. */
static int write_if_changed(const char *new_path, const char *merged, size_t len, mode_t mode,
                            alfup_err_t *err)
{
    uint8_t *current = NULL;
    size_t current_len = 0;
    int rc = file_read_all(new_path, PROPS_MAX_BYTES, &current, &current_len, NULL);
    int same = rc == ALFUP_OK && current_len == len && memcmp(current, merged, len) == 0;
    free(current);
    if (same)
        return ALFUP_OK;
    return file_write_atomic(new_path, (const uint8_t *)merged, len, mode, err);
}

/* "# --- carried from OLD_HOME by alfup on YYYY-MM-DD ---" (UTC date). */
static void marker_line(const char *old_home, char *buf, size_t len)
{
    char date[32] = "?";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) != NULL)
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(buf, len, "# --- carried from %s by alfup on %s ---", old_home, date);
}

static step_status_t merge_files(step_context_t *ctx, const char *old_home, const char *old_path,
                                 const char *new_path, const kv_list_t *set)
{
    props_t *old = load_props(ctx, old_path, 0);
    props_t *new_props = old ? load_props(ctx, new_path, 1) : NULL;
    step_status_t status = new_props ? check_not_old(ctx, set, old, old_home) : STEP_FAILED;
    char marker[PATH_MAX + 64];
    marker_line(old_home, marker, sizeof marker);
    props_merge_outcome_t outcome = {0};
    char *merged = NULL;
    size_t len = 0;
    alfup_err_t err = {{0}};
    struct stat st;
    mode_t mode = stat(new_path, &st) == 0 || stat(old_path, &st) == 0 ? st.st_mode & 0777 : 0640;
    if (status == STEP_SUCCEEDED &&
        (props_merge(old, new_props, set, marker, &merged, &len, &outcome, &err) != ALFUP_OK ||
         write_if_changed(new_path, merged, len, mode, &err) != ALFUP_OK))
        status = step_fail(ctx, STEP_FAILED, "%s: %s: %s", ctx->step_id, new_path, err.msg);
    if (status == STEP_SUCCEEDED &&
        (layout_output(ctx, "properties", new_path) != 0 ||
         add_keys(ctx, "carried", &outcome.carried) != 0 ||
         add_keys(ctx, "replaced", &outcome.replaced) != 0 ||
         add_keys(ctx, "set", &outcome.set) != 0 ||
         note_old_paths(ctx, old, &outcome.carried, old_home) != 0 ||
         note_old_paths(ctx, old, &outcome.replaced, old_home) != 0))
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    free(merged);
    props_merge_outcome_clear(&outcome);
    props_destroy(&old);
    props_destroy(&new_props);
    return status;
}

static step_status_t copy_extensions(step_context_t *ctx, const char *old_home,
                                     const char *new_home)
{
    alfup_err_t err = {{0}};
    char *src = layout_join_resolve(ctx->config, old_home, EXTENSION_DIR, &err);
    char *dst = src ? layout_join_resolve(ctx->config, new_home, EXTENSION_DIR, &err) : NULL;
    step_status_t status = STEP_SUCCEEDED;
    extension_copy_outcome_t outcome = {0};
    int rc = dst && path_is_within(dst, new_home) && !path_is_within(dst, old_home)
                 ? extension_copy(ctx, src, dst, &outcome, &err)
                 : ALFUP_ERR;
    if (dst == NULL)
        status = step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
    else if (!path_is_within(dst, new_home) || path_is_within(dst, old_home))
        status = step_fail(ctx, STEP_REFUSED, "%s: %s leads outside %s", ctx->step_id, dst,
                           new_home);
    else if (rc == LAYOUT_CANCELLED)
        status = step_fail(ctx, STEP_CANCELLED, "%s: copying extensions cancelled", ctx->step_id);
    else if (rc != ALFUP_OK)
        status = step_fail(ctx, STEP_FAILED, "%s: extension folder: %s", ctx->step_id, err.msg);
    if (add_keys(ctx, "copied", &outcome.copied) != 0 ||
        add_keys(ctx, "conflict", &outcome.conflicts) != 0 ||
        add_keys(ctx, "skipped", &outcome.skipped) != 0)
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    extension_copy_outcome_clear(&outcome);
    free(src);
    free(dst);
    return status;
}

static step_status_t carry(step_context_t *ctx, const char *old_home, const char *new_home,
                           const kv_list_t *set)
{
    if (layout_overlaps(old_home, new_home))
        return step_fail(ctx, STEP_REFUSED, "%s: old_home %s and new_home %s overlap",
                         ctx->step_id, old_home, new_home);
    alfup_err_t err = {{0}};
    char *old_path = layout_join_resolve(ctx->config, old_home, GLOBAL_PROPERTIES, &err);
    char *new_path = old_path ? layout_join_resolve(ctx->config, new_home, GLOBAL_PROPERTIES, &err)
                              : NULL;
    step_status_t status = STEP_REFUSED;
    if (new_path == NULL)
        step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
    else if (!path_is_within(new_path, new_home))
        step_fail(ctx, STEP_REFUSED, "%s: %s leads outside %s", ctx->step_id, new_path, new_home);
    else
        status = merge_files(ctx, old_home, old_path, new_path, set);
    if (status == STEP_SUCCEEDED)
        status = copy_extensions(ctx, old_home, new_home);
    free(old_path);
    free(new_path);
    return status;
}

step_status_t step_carry_customizations_run(step_context_t *ctx)
{
    kv_list_t set = {0};
    step_status_t status = collect_set(ctx, &set);
    char *old_home = status == STEP_SUCCEEDED ? layout_param_path(ctx, "old_home") : NULL;
    char *new_home = old_home ? layout_param_path(ctx, "new_home") : NULL;
    if (status == STEP_SUCCEEDED)
        status = new_home ? carry(ctx, old_home, new_home, &set) : STEP_REFUSED;
    free(old_home);
    free(new_home);
    kv_list_clear(&set);
    return status;
}
