/* db_guard.c -- records of alfup-created databases under state_dir/databases. */
#include "db_guard.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_ident.h"
#include "file_util.h"
#include "message.h"

#define DB_GUARD_FOLDER_MODE 0700
#define DB_GUARD_FILE_MODE 0600

static int record_path(const agent_config_t *config, const char *name, char *path, size_t len,
                       alfup_err_t *err)
{
    if (config->state_dir == NULL)
        return alfup_err_set(err, "database %s: the agent config has no state_dir", name);
    if (!db_ident_valid(name))
        return alfup_err_set(err, "database '%.80s': not a valid name", name);
    int n = snprintf(path, len, "%s/%s/%s", config->state_dir, DB_GUARD_FOLDER, name);
    if (n < 0 || (size_t)n >= len)
        return alfup_err_set(err, "database %s: state_dir path too long", name);
    return ALFUP_OK;
}

int db_guard_record(const agent_config_t *config, const char *name, const char *step_id,
                    alfup_err_t *err)
{
    char path[PATH_MAX], folder[PATH_MAX];
    if (record_path(config, name, path, sizeof path, err) != ALFUP_OK)
        return ALFUP_ERR;
    snprintf(folder, sizeof folder, "%s/%s", config->state_dir, DB_GUARD_FOLDER);
    if (file_mkdir_p(folder, DB_GUARD_FOLDER_MODE, err) != ALFUP_OK)
        return alfup_err_prefix(err, "database %s: record", name);
    char text[256];
    int n = snprintf(text, sizeof text, "database=%s\nstep=%.96s\ncreated_unix_ms=%" PRIu64 "\n",
                     name, step_id ? step_id : "", alfup_now_unix_ms());
    if (n < 0 || (size_t)n >= sizeof text)
        return alfup_err_set(err, "database %s: record too long", name);
    if (file_write_atomic(path, (const uint8_t *)text, (size_t)n, DB_GUARD_FILE_MODE, err) !=
        ALFUP_OK)
        return alfup_err_prefix(err, "database %s: record", name);
    return ALFUP_OK;
}

int db_guard_is_recorded(const agent_config_t *config, const char *name, alfup_err_t *err)
{
    char path[PATH_MAX];
    if (record_path(config, name, path, sizeof path, err) != ALFUP_OK)
        return ALFUP_ERR;
    struct stat st;
    if (lstat(path, &st) == 0)
        return S_ISREG(st.st_mode) ? 1 : 0;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    return alfup_err_errno(err, errno, "database %s: record %s", name, path);
}

int db_guard_forget(const agent_config_t *config, const char *name, alfup_err_t *err)
{
    char path[PATH_MAX];
    if (record_path(config, name, path, sizeof path, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (unlink(path) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return ALFUP_OK;
        return alfup_err_errno(err, errno, "database %s: remove record %s", name, path);
    }
    return file_sync_parent(path, err) == ALFUP_OK ? ALFUP_OK
                                                   : alfup_err_prefix(err, "database %s", name);
}
