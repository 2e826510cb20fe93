/* workflow_kinds.c -- the table of agent step kinds known to workflows (see step_registry.c). */
#include "workflow_kinds.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define HOUR 3600u

static const workflow_kind_t KINDS[] = {
    {"ping", "payload hold_ms", "payload agent", 60, false},
    {"preflight", "path_exists* path_absent* size_tree* database service* tool* backup_dir copy_to* copy_server", "*", 1800, false},
    {"service-start", "service!", "pid started_line ready_after_ms already_running", 2 * HOUR, false},
    {"service-stop", "service!", "pid stop_ms killed already_stopped", HOUR, false},
    {"backup-tree", "archive! tree*! zstd_level threads online max_mb_per_s settle_s",
     "tree tree_files tree_bytes archive manifest sha256_file archive_sha256 files bytes recovered online folders "
     "folders_dirty files_left_out files_untrusted files_recent",
     12 * HOUR, false},
    {"backup-delta", "base! archive! tree*! target base_sha256 zstd_level threads",
     "archive manifest sha256_file archive_sha256 base_sha256 files_added bytes_added files_removed folders_relisted "
     "folders_total target target_removed target_files_written target_pruned seconds recovered",
     12 * HOUR, false},
    {"delta-scan", "base! tree*! base_sha256",
     "changed_files changed_bytes removed folders_relisted folders_total seconds", 2 * HOUR, false},
    {"verify-archive", "archive! sha256", "archive archive_sha256 files bytes", 12 * HOUR, false},
    {"restore-tree", "archive! target! tree sha256 delta delta_sha256 online",
     "target archive_sha256 files bytes delta_sha256 delta_files delta_removed cleared_special_bits "
     "cleared_special_bits_total",
     12 * HOUR, false},
    {"install-distribution", "distribution! target! old_home!",
     "target stripped files cleared_special_bits cleared_special_bits_total", 2 * HOUR, false},
    {"db-backup", "database! dest! jobs timeout_s", "dump facts database schema tables total_rows db_size dump_bytes",
     12 * HOUR, false},
    {"db-restore", "dump! database! source! owner! jobs timeout_s",
     "database owner source dump schema tables total_rows terminated_sessions", 12 * HOUR, false},
    {"db-copy", "source! database! owner! server dump jobs",
     "database owner source strategy method server bytes seconds schema tables rows reassigned terminated_sessions "
     "recovered dump dump_bytes",
     12 * HOUR, false},
    {"db-rehearsal-copy", "source! database! owner! dump! jobs",
     "database source db_bytes dump_bytes copy_ms dump_ms restore_ms total_rows", 12 * HOUR, false},
    {"rehearsal-tree", "source! base! target!", "target files_linked files_copied bytes_linked bytes_copied",
     12 * HOUR, false},
    {"rehearsal-start", "service! set.* property*",
     "pid started_line ready_after_ms already_running start_to_ready_ms schema_update_ms patches_applied "
     "properties_file overrides",
     2 * HOUR, false},
    {"rehearsal-remove", "path! keep*", "path files_removed folders_removed bytes_removed", 6 * HOUR, false},
    {"db-create-scratch", "database! owner! source server", "database owner recreated", 600, false},
    {"db-drop-scratch", "database! source server", "database dropped terminated_sessions", 600, false},
    {"carry-customizations", "old_home! new_home! set.*",
     "properties carried replaced set points_at_old copied conflict skipped", 1800, false},
    {"remove-webapps", "new_home! app*!", "removed absent", 1800, false},
    {"install-amps", "new_home! amp*!", "amp tool_exit cleaned", 2 * HOUR, false},
    {"solr-clean", "solr_home! data_dir_root!", "cleared model_files_removed index_files_removed bytes_removed",
     2 * HOUR, false},
    {"configure-solr", "solr_home! data_dir_root! old_solr_home! set.*", "data_dir_root configured unchanged", 600,
     false},
    {"wipe", "path! old_home!", "path files_removed folders_removed bytes_removed", 6 * HOUR, false},
    {"decommission-tree", "old_home! new_home! new_dir_root!",
     "path approval files_removed folders_removed bytes_removed", 12 * HOUR, true},
    {"decommission-database", "database! keep", "database approval dropped terminated_sessions", HOUR, true},
};

#define KIND_COUNT (sizeof KINDS / sizeof KINDS[0])

const workflow_kind_t *workflow_kind_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < KIND_COUNT; i++)
        if (strcmp(KINDS[i].name, name) == 0)
            return &KINDS[i];
    return NULL;
}

void workflow_kind_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < KIND_COUNT && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", KINDS[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Calls fn on each space-separated word of list until it returns true. */
static bool any_word(const char *list, bool (*fn)(const char *word, size_t len, const void *arg), const void *arg)
{
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, " ");
        if (len > 0 && fn(p, len, arg))
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

typedef struct param_query {
    const char *key;
    bool *repeatable;
} param_query_t;

static bool param_matches(const char *word, size_t len, const void *arg)
{
    const param_query_t *q = arg;
    size_t name_len = strcspn(word, "!* ");
    if (name_len > len)
        name_len = len;
    bool repeat = memchr(word, '*', len) != NULL;
    if (name_len >= 2 && word[name_len - 1] == '.' && len > name_len && word[name_len] == '*') {
        /* "set.*": any key with that prefix, longer than it */
        if (strncmp(q->key, word, name_len) == 0 && strlen(q->key) > name_len) {
            *q->repeatable = false;
            return true;
        }
        return false;
    }
    if (strlen(q->key) == name_len && strncmp(q->key, word, name_len) == 0) {
        *q->repeatable = repeat;
        return true;
    }
    return false;
}

bool workflow_kind_param_ok(const workflow_kind_t *kind, const char *key, bool *repeatable)
{
    bool ignored;
    param_query_t q = {key, repeatable ? repeatable : &ignored};
    return any_word(kind->params, param_matches, &q);
}

typedef struct missing_query {
    const char *const *present;
    size_t count;
    char *out;
    size_t len;
} missing_query_t;

static bool required_missing(const char *word, size_t len, const void *arg)
{
    const missing_query_t *q = arg;
    if (memchr(word, '!', len) == NULL)
        return false;
    size_t name_len = strcspn(word, "!*");
    for (size_t i = 0; i < q->count; i++)
        if (strlen(q->present[i]) == name_len && strncmp(q->present[i], word, name_len) == 0)
            return false;
    snprintf(q->out, q->len, "%.*s", (int)name_len, word);
    return true;
}

const char *workflow_kind_missing_param(const workflow_kind_t *kind, const char *const *present, size_t count,
                                        char *out, size_t len)
{
    missing_query_t q = {present, count, out, len};
    return any_word(kind->params, required_missing, &q) ? out : NULL;
}

static bool output_matches(const char *word, size_t len, const void *arg)
{
    const char *key = arg;
    return (len == 1 && word[0] == '*') || (strlen(key) == len && strncmp(key, word, len) == 0);
}

bool workflow_kind_output_ok(const workflow_kind_t *kind, const char *key)
{
    return any_word(kind->outputs, output_matches, key);
}
