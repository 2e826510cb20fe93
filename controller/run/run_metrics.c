/* run_metrics.c -- the runs' metrics: counted from the engine's runs and aggregated by SQL over the journal. */
#include "run_metrics.h"

#include <sqlite3.h>
#include <string.h>

#include "downtime_estimate.h"
#include "message.h"

static const run_state_t STATES[] = {RUN_RUNNING,   RUN_WAITING,     RUN_ROLLING_BACK, RUN_SUCCEEDED,
                                     RUN_FAILED,    RUN_ROLLED_BACK, RUN_CANCELLED};

/* Step duration buckets, seconds: from a quick service stop to a large backup. */
static const double BUCKETS_S[] = {0.1, 1, 10, 60, 300, 1800, 3600, 14400};
#define BUCKET_COUNT (sizeof BUCKETS_S / sizeof BUCKETS_S[0])

static void write_runs(const run_t *runs, FILE *out)
{
    fprintf(out, "# HELP alfup_runs Runs the controller holds, by state.\n# TYPE alfup_runs gauge\n");
    for (size_t i = 0; i < sizeof STATES / sizeof STATES[0]; i++) {
        unsigned count = 0;
        for (const run_t *run = runs; run; run = run->next)
            count += run->state == STATES[i];
        fprintf(out, "alfup_runs{state=\"%s\"} %u\n", run_state_name(STATES[i]), count);
    }
}

/* Step kinds and run ids are names ([A-Za-z0-9._@-]); anything else is not printed as a label. */
static int label_safe(const unsigned char *text)
{
    if (text == NULL || *text == '\0')
        return 0;
    for (; *text; text++)
        if (!(*text == '.' || *text == '_' || *text == '-' || *text == '@' || (*text >= '0' && *text <= '9') ||
              (*text >= 'a' && *text <= 'z') || (*text >= 'A' && *text <= 'Z')))
            return 0;
    return 1;
}

static const char *DURATION_SQL =
    "SELECT kind, COUNT(*), SUM(d), SUM(d <= 0.1), SUM(d <= 1), SUM(d <= 10), SUM(d <= 60), SUM(d <= 300),"
    " SUM(d <= 1800), SUM(d <= 3600), SUM(d <= 14400) FROM (SELECT kind, (finished_unix_ms - sent_unix_ms) / 1000.0"
    " AS d FROM steps WHERE finished_unix_ms IS NOT NULL AND finished_unix_ms >= sent_unix_ms"
    " AND state IN ('succeeded', 'failed', 'cancelled')) GROUP BY kind ORDER BY kind";

static int write_durations(sqlite3 *db, FILE *out, alfup_err_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, DURATION_SQL, -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "metrics: step durations: %s", sqlite3_errmsg(db));
    fprintf(out, "# HELP alfup_step_duration_seconds Steps that finished, sent to finished, by kind.\n"
                 "# TYPE alfup_step_duration_seconds histogram\n");
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *kind = sqlite3_column_text(stmt, 0);
        if (!label_safe(kind))
            continue;
        for (size_t b = 0; b < BUCKET_COUNT; b++)
            fprintf(out, "alfup_step_duration_seconds_bucket{kind=\"%s\",le=\"%g\"} %lld\n", kind, BUCKETS_S[b],
                    (long long)sqlite3_column_int64(stmt, 3 + (int)b));
        long long count = (long long)sqlite3_column_int64(stmt, 1);
        fprintf(out, "alfup_step_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %lld\n", kind, count);
        fprintf(out, "alfup_step_duration_seconds_sum{kind=\"%s\"} %.3f\n", kind, sqlite3_column_double(stmt, 2));
        fprintf(out, "alfup_step_duration_seconds_count{kind=\"%s\"} %lld\n", kind, count);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? ALFUP_OK : alfup_err_set(err, "metrics: step durations: %s", sqlite3_errmsg(db));
}

/* The outputs that say how many bytes a step moved (agent/steps: backup-tree and restore-tree
 * "bytes", backup-delta "bytes_added", db-backup "dump_bytes", db-copy "bytes"). */
#define BYTES_SQL                                                                                                \
    "SELECT kind, SUM(CAST(COALESCE(json_extract(outputs_json, '$.bytes'), json_extract(outputs_json,"          \
    " '$.bytes_added'), json_extract(outputs_json, '$.dump_bytes'), 0) AS INTEGER)) FROM steps"               \
    " WHERE state = 'succeeded' AND kind IN (%s) AND json_valid(outputs_json) GROUP BY kind ORDER BY kind"
static const char *BACKUP_KINDS = "'backup-tree', 'backup-delta', 'db-backup'";
static const char *RESTORE_KINDS = "'restore-tree', 'db-copy'";

static int write_bytes(sqlite3 *db, const char *name, const char *help, const char *kinds, FILE *out,
                       alfup_err_t *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, BYTES_SQL, kinds);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "metrics: %s: %s", name, sqlite3_errmsg(db));
    fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (label_safe(sqlite3_column_text(stmt, 0)))
            fprintf(out, "%s{kind=\"%s\"} %lld\n", name, sqlite3_column_text(stmt, 0),
                    (long long)sqlite3_column_int64(stmt, 1));
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? ALFUP_OK : alfup_err_set(err, "metrics: %s: %s", name, sqlite3_errmsg(db));
}

/* The span of run's cutover phase (first sent to last finished) in *ms: 1 when every step of it
 * finished, else 0. */
static int cutover_span(const run_t *run, uint64_t *ms)
{
    uint64_t first = 0, last = 0;
    size_t steps = 0;
    for (size_t i = 0; i < run->plan->step_count; i++) {
        const run_step_t *s = &run->steps[i];
        if (run->plan->steps[i].phase == NULL || strcmp(run->plan->steps[i].phase, RUN_METRICS_CUTOVER_PHASE) != 0)
            continue;
        steps++;
        if (s->state != RSTEP_SUCCEEDED || s->sent_unix_ms == 0 || s->finished_unix_ms < s->sent_unix_ms)
            return 0;
        first = first == 0 || s->sent_unix_ms < first ? s->sent_unix_ms : first;
        last = s->finished_unix_ms > last ? s->finished_unix_ms : last;
    }
    *ms = last - first;
    return steps > 0;
}

static void write_cutover(const run_t *runs, FILE *out)
{
    for (const run_t *run = runs; run; run = run->next) { /* newest first */
        uint64_t ms = 0;
        if (!cutover_span(run, &ms) || !label_safe((const unsigned char *)run->id))
            continue;
        fprintf(out, "# HELP alfup_cutover_downtime_seconds The newest finished cutover: its phase's first step"
                     " sent to its last step finished.\n# TYPE alfup_cutover_downtime_seconds gauge\n"
                     "alfup_cutover_downtime_seconds{run=\"%s\"} %.3f\n", run->id, (double)ms / 1000.0);
        downtime_estimate_t est;
        /* as of the cutover's start: the changes counted before the gate extrapolated to it */
        if (downtime_estimate_at(run, (int64_t)alfup_now_unix_ms(), &est) == 0 && est.known)
            fprintf(out, "# HELP alfup_cutover_downtime_estimate_seconds The same cutover's estimated downtime,"
                         " as of its start.\n"
                         "# TYPE alfup_cutover_downtime_estimate_seconds gauge\n"
                         "alfup_cutover_downtime_estimate_seconds{run=\"%s\"} %.3f\n", run->id,
                    (double)est.total_ms / 1000.0);
        return;
    }
}

int run_metrics_write(journal_t *journal, const run_t *runs, FILE *out, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    write_runs(runs, out);
    write_cutover(runs, out);
    if (write_durations(db, out, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (write_bytes(db, "alfup_backup_bytes_total", "Bytes the succeeded backup steps archived, by kind.",
                    BACKUP_KINDS, out, err) != ALFUP_OK)
        return ALFUP_ERR;
    return write_bytes(db, "alfup_restore_bytes_total", "Bytes the succeeded restore and copy steps wrote, by kind.",
                       RESTORE_KINDS, out, err);
}
