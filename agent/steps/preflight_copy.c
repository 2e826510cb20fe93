/* preflight_copy.c -- the preflight's checks for the prestaged workflow's copies: room where the
 * contentstore and indexes are copied to, and the same-server test for the database copy. */
#include "preflight_copy.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "db_conn.h"
#include "db_server.h"
#include "path_policy.h"
#include "step_preflight.h"

uint64_t preflight_with_margin(uint64_t bytes)
{
    return bytes / PREFLIGHT_SPACE_DEN * PREFLIGHT_SPACE_NUM +
           (bytes % PREFLIGHT_SPACE_DEN * PREFLIGHT_SPACE_NUM + PREFLIGHT_SPACE_DEN - 1) /
               PREFLIGHT_SPACE_DEN;
}

/* The deepest existing ancestor of path (path itself when it exists) into out. */
static int existing_ancestor(const char *path, char *out, size_t len, alfup_err_t *err)
{
    if ((size_t)snprintf(out, len, "%s", path) >= len)
        return alfup_err_set(err, "%s: path too long", path);
    struct stat st;
    while (lstat(out, &st) != 0) {
        if (errno != ENOENT)
            return alfup_err_errno(err, errno, "stat %s", out);
        char *slash = strrchr(out, '/');
        if (slash == NULL || slash == out) {
            snprintf(out, len, "/");
            return ALFUP_OK;
        }
        *slash = '\0';
    }
    return ALFUP_OK;
}

/* One copy_to folder: its filesystem and free bytes; the check's verdict. */
static void check_one_copy(preflight_t *pf, const char *path, uint64_t need, int first)
{
    char name[PATH_MAX + 32], at[PATH_MAX], fs_id[PREFLIGHT_FS_ID_MAX];
    alfup_err_t err;
    struct statvfs fs;
    snprintf(name, sizeof name, "copy_space:%s", path);
    char *resolved = path_policy_resolve(pf->ctx->config, path, &err);
    if (resolved == NULL) {
        preflight_check_result(pf, name, "%s", err.msg);
        return;
    }
    if (existing_ancestor(resolved, at, sizeof at, &err) != ALFUP_OK ||
        preflight_fs_identity(at, fs_id, sizeof fs_id, &err) != ALFUP_OK) {
        preflight_check_result(pf, name, "%s", err.msg);
    } else if (statvfs(at, &fs) != 0) {
        preflight_check_result(pf, name, "statvfs %s: %s", at, strerror(errno));
    } else {
        uint64_t free_bytes = (uint64_t)fs.f_bavail * (uint64_t)fs.f_frsize;
        if (first) {
            pf->copy_need = need;
            snprintf(pf->copy_fs, sizeof pf->copy_fs, "%s", fs_id);
            kv_list_add(&pf->ctx->result->outputs, "copy_fs", fs_id);
            kv_list_addf(&pf->ctx->result->outputs, "copy_needed_bytes", "%" PRIu64, need);
            kv_list_addf(&pf->ctx->result->outputs, "copy_free_bytes", "%" PRIu64, free_bytes);
        }
        if (free_bytes < need)
            preflight_check_result(pf, name,
                                   "%s has %" PRIu64 " bytes free, the copy needs %" PRIu64
                                   " (1.1 x the trees' %" PRIu64 ": base and delta)",
                                   at, free_bytes, need, pf->tree_bytes);
        else
            preflight_check_result(pf, name, NULL);
    }
    free(resolved);
}

void preflight_check_copy_space(preflight_t *pf)
{
    size_t count = kv_list_count_key(pf->ctx->params, "copy_to");
    if (count == 0)
        return;
    if (!pf->trees_sized) {
        preflight_check_result(pf, "copy_space", "copy_to needs size_tree (what is copied)");
        return;
    }
    uint64_t need = preflight_with_margin(pf->tree_bytes);
    for (size_t i = 0; i < count; i++)
        check_one_copy(pf, kv_list_get_nth(pf->ctx->params, "copy_to", i), need, i == 0);
}

void preflight_check_copy_server(preflight_t *pf, const char *database)
{
    const char *server = kv_list_get(pf->ctx->params, "copy_server");
    if (server == NULL || server[0] == '\0')
        return;
    char name[160], text[DB_SERVER_TEXT_MAX + 96];
    snprintf(name, sizeof name, "copy_server:%.100s", server);
    alfup_err_t err;
    db_server_view_t view;
    db_server_identity_t source_id = {0}, target_id = {0};
    int same = 0;
    if (db_server_view(pf->ctx->config, server, &view, &err) != ALFUP_OK ||
        db_server_same(pf->ctx->config, &view.config, &same, &source_id, &target_id, &err) !=
            ALFUP_OK) {
        preflight_check_result(pf, name, "%s", err.msg);
        return;
    }
    kv_list_t *out = &pf->ctx->result->outputs;
    db_server_describe(&source_id, text, sizeof text);
    kv_list_add(out, "db_server_source", text);
    db_server_describe(&target_id, text, sizeof text);
    kv_list_add(out, "db_server_target", text);
    kv_list_add(out, "db_server_same", same ? "yes" : "no");
    kv_list_add(out, "db_copy_method", same ? "template" : "dump-restore");
    str_list_addf(&pf->ctx->result->log_lines, "copy of %s to server %s: %s", database, server,
                  same ? "the same server, template copy" : "another server, dump and restore");
    if (!same) { /* the copy's dump goes to backup_dir beside the backup set's */
        db_conn_t *conn = db_conn_open(pf->ctx->config, database, pf->ctx->cancel, &err);
        int64_t size = 0;
        if (conn == NULL || db_conn_query_int64(conn, "select pg_catalog.pg_database_size(current_database())",
                                                0, NULL, &size, NULL, &err) != ALFUP_OK) {
            preflight_check_result(pf, name, "%s", err.msg);
            db_conn_destroy(&conn);
            return;
        }
        db_conn_destroy(&conn);
        pf->estimate += (uint64_t)size;
        pf->estimated = 1;
    }
    preflight_check_result(pf, name, NULL);
}
