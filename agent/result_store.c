/* result_store.c -- durable step results: STATE_DIR/results/<id>.result and <id>.acked. */
#include "result_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "file_util.h"

#define RESULT_SUFFIX ".result"
#define ACKED_SUFFIX ".acked"
#define STARTED_SUFFIX ".started"

struct result_store {
    char *dir;
};

result_store_t *result_store_open(const char *state_dir, alfup_err_t *err)
{
    result_store_t *store = calloc(1, sizeof *store);
    if (store == NULL || asprintf(&store->dir, "%s/results", state_dir) < 0) {
        free(store);
        return alfup_err_set(err, "result store: out of memory"), NULL;
    }
    if (file_mkdir_p(store->dir, 0700, err) != 0) {
        result_store_destroy(&store);
        return NULL;
    }
    return store;
}

void result_store_destroy(result_store_t **store_p)
{
    if (store_p == NULL || *store_p == NULL)
        return;
    free((*store_p)->dir);
    free(*store_p);
    *store_p = NULL;
}

static char *entry_path(const result_store_t *store, const char *step_id, const char *suffix)
{
    char *path = NULL;
    if (!step_id_is_valid(step_id) || asprintf(&path, "%s/%s%s", store->dir, step_id, suffix) < 0)
        return NULL;
    return path;
}

int result_store_put(result_store_t *store, const msg_step_result_t *result, alfup_err_t *err)
{
    alfup_msg_t msg = {.kind = MSG_STEP_RESULT, .result = *result};
    uint8_t *bytes = NULL;
    size_t len = 0;
    char *path = entry_path(store, result->step_id, RESULT_SUFFIX);
    int rc = ALFUP_ERR;
    if (path == NULL) {
        alfup_err_set(err, "result store: bad step id");
        goto out;
    }
    if (msg_encode(&msg, &bytes, &len, err) != 0)
        goto out;
    rc = file_write_atomic(path, bytes, len, 0600, err);
out:
    free(bytes);
    free(path);
    return rc;
}

int result_store_get(result_store_t *store, const char *step_id, msg_step_result_t *result,
                     alfup_err_t *err)
{
    memset(result, 0, sizeof *result);
    char *path = entry_path(store, step_id, RESULT_SUFFIX);
    if (path == NULL)
        return alfup_err_set(err, "result store: bad step id");
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = file_read_all(path, ALFUP_ENVELOPE_MAX, &bytes, &len, err);
    if (rc == FILE_MISSING) {
        free(path);
        return 0;
    }
    alfup_msg_t msg = {0};
    if (rc == ALFUP_OK && msg_decode(bytes, len, &msg, err) == ALFUP_OK) {
        if (msg.kind == MSG_STEP_RESULT) {
            *result = msg.result;
            memset(&msg.result, 0, sizeof msg.result);
            rc = 1;
        } else {
            rc = alfup_err_set(err, "result store: %s holds no step result", path);
        }
    } else if (rc == ALFUP_OK) {
        rc = alfup_err_prefix(err, "result store: %s", path);
    }
    alfup_msg_clear(&msg);
    free(bytes);
    free(path);
    return rc;
}

int result_store_mark_started(result_store_t *store, const char *step_id, alfup_err_t *err)
{
    char *started = entry_path(store, step_id, STARTED_SUFFIX);
    char *result = entry_path(store, step_id, RESULT_SUFFIX);
    int rc = ALFUP_ERR;
    if (started == NULL || result == NULL) {
        alfup_err_set(err, "result store: bad step id");
        goto out;
    }
    int before = access(started, F_OK) == 0 && access(result, F_OK) != 0;
    rc = file_touch_durable(started, 0600, err);
    if (rc == ALFUP_OK)
        rc = before;
out:
    free(started);
    free(result);
    return rc;
}

int result_store_ack(result_store_t *store, const char *step_id, alfup_err_t *err)
{
    char *path = entry_path(store, step_id, ACKED_SUFFIX);
    if (path == NULL)
        return alfup_err_set(err, "result store: bad step id");
    int rc = file_touch_durable(path, 0600, err);
    free(path);
    return rc;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

typedef struct pending_result {
    time_t mtime;
    char *id;
} pending_result_t;

static int by_mtime(const void *a, const void *b)
{
    const pending_result_t *x = a, *y = b;
    return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

int result_store_unacked(result_store_t *store, str_list_t *ids, alfup_err_t *err)
{
    DIR *dir = opendir(store->dir);
    if (dir == NULL)
        return alfup_err_errno(err, errno, "result store: %s", store->dir);
    pending_result_t *found = NULL;
    size_t count = 0, capacity = 0;
    int rc = ALFUP_OK;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!has_suffix(entry->d_name, RESULT_SUFFIX))
            continue;
        char *id = strndup(entry->d_name, strlen(entry->d_name) - strlen(RESULT_SUFFIX));
        char *acked = id ? entry_path(store, id, ACKED_SUFFIX) : NULL;
        char *result = id ? entry_path(store, id, RESULT_SUFFIX) : NULL;
        struct stat st;
        if (acked == NULL || result == NULL || access(acked, F_OK) == 0 || stat(result, &st) != 0) {
            free(id);
            free(acked);
            free(result);
            continue;
        }
        free(acked);
        free(result);
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            void *grown = realloc(found, capacity * sizeof *found);
            if (grown == NULL) {
                free(id);
                rc = alfup_err_set(err, "result store: out of memory");
                break;
            }
            found = grown;
        }
        found[count].mtime = st.st_mtime;
        found[count++].id = id;
    }
    closedir(dir);
    if (count > 1)
        qsort(found, count, sizeof *found, by_mtime);
    for (size_t i = 0; i < count; i++) {
        if (rc == ALFUP_OK && str_list_add(ids, found[i].id) != 0)
            rc = alfup_err_set(err, "result store: out of memory");
        free(found[i].id);
    }
    free(found);
    return rc;
}
