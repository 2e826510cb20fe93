/* db_tool.h -- running pg_dump / pg_restore from bin_dir with progress; versions. */
#ifndef ALFUP_DB_TOOL_H
#define ALFUP_DB_TOOL_H

#include <stddef.h>

#include "step.h"

#define DB_TOOL_PROGRESS_MS 1000u
#define DB_TOOL_KEEP_LINES 20u
#define DB_TOOL_VERSION_TIMEOUT_S 30u

/* One run of a PostgreSQL client program. */
typedef struct db_tool_job {
    const char *tool;       /* "pg_dump" or "pg_restore": looked up in bin_dir */
    char *const *args;      /* arguments after argv[0], NULL-terminated */
    char *const *env_extra; /* "KEY=VALUE" entries (PGPASSWORD); may be NULL */
    unsigned timeout_s;
    const char *table_marker; /* an output line containing this = one more table done */
    size_t tables_total;
    const char *watch_folder; /* its size is reported as bytes_done; may be NULL */
} db_tool_job_t;

/* <bin_dir>/<tool> as a new string (caller frees) when bin_dir is configured
 * and the program is executable; NULL with err otherwise. */
char *db_tool_path(const agent_config_t *config, const char *tool, alfup_err_t *err);

/* Runs the job, reporting progress through ctx about once a second (from a
 * watcher thread, while this thread waits: the two never report at once).
 * Returns ALFUP_OK when the program exited with status 0; ALFUP_ERR with err
 * naming the program and its outcome otherwise, and the last output lines
 * appended to ctx->result->log_lines. Honours ctx->cancel. */
int db_tool_run(step_context_t *ctx, const db_tool_job_t *job, alfup_err_t *err);

/* The major version of <bin_dir>/<tool> (`--version`): 15 for 15.4, 906 for
 * 9.6.24. ALFUP_ERR with err when it cannot be run or parsed. */
int db_tool_major_version(const agent_config_t *config, const char *tool, int *major,
                          alfup_err_t *err);

/* The same scale for a server version number (PQserverVersion). */
int db_tool_server_major(int server_version);

/* Total size of the regular files directly inside folder (dump folders are
 * flat); 0 when it cannot be read. */
unsigned long long db_tool_folder_bytes(const char *folder);

#endif
