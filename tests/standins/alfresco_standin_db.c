/* alfresco_standin_db.c -- the repository stand-in's database work: schema bootstrap, upgrade, content check. */
#include "alfresco_standin_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "standin_daemon.h"
#include "standin_log.h"

#define SCHEMA_SRC "domain.schema.SchemaBootstrap"
#define PATCH_SRC "admin.patch.PatchExecuter"
#define UPGRADE_PATCHES 3
#define CONTENT_SRC "content.ContentStoreCheck"
#define DB_URL_PREFIX "jdbc:postgresql://"
#define DB_PART_MAX 256
#define MISSING_LOGGED_MAX 10
#define SCHEMA_QUERY \
    "select min(applied_to_schema) from alf_applied_patch where applied_to_schema > -1"

static const char *const BOOTSTRAP_SQL[] = {
    "create table alf_applied_patch (id varchar(64) primary key, description varchar(1024),"
    " fixes_from_schema integer, fixes_to_schema integer, applied_to_schema integer,"
    " target_schema integer, applied_on_date timestamp, applied_to_server varchar(64),"
    " was_executed boolean, succeeded boolean, report varchar(1024))",
    "create table alf_store (id bigserial primary key, protocol varchar(50) not null,"
    " identifier varchar(100) not null, root_node_id bigint, unique (protocol, identifier))",
    "create table alf_node (id bigserial primary key, store_id bigint not null references alf_store (id),"
    " uuid varchar(36) not null, audit_created varchar(30), unique (store_id, uuid))",
    "create table alf_content_url (id bigserial primary key, content_url varchar(255) not null unique,"
    " content_size bigint not null, orphan_time bigint)",
    "create table alf_content_data (id bigserial primary key,"
    " content_url_id bigint references alf_content_url (id), content_mimetype varchar(100))",
    "insert into alf_store (protocol, identifier) values ('workspace', 'SpacesStore'),"
    " ('archive', 'SpacesStore'), ('user', 'alfrescoUserStore'), ('system', 'system')",
    "insert into alf_node (store_id, uuid, audit_created)"
    " select id, md5(protocol || identifier)::uuid::text, now()::text from alf_store",
    NULL};

static int exec_sql(PGconn *db, int log_fd, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Statement execution failed: SQL: %.300s Error: %s",
                    sql, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

/* Runs a parameterised statement; values are text. */
static int exec_params(PGconn *db, int log_fd, const char *sql, int n, const char *const *values)
{
    PGresult *res = PQexecParams(db, sql, n, NULL, values, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Statement execution failed: %s",
                    PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Splits HOST[:PORT]/DB[?...]; returns 0 or -1. */
static int parse_db_url(const char *url, char *host, char *port, char *dbname)
{
    if (strncmp(url, DB_URL_PREFIX, strlen(DB_URL_PREFIX)) != 0)
        return -1;
    const char *rest = url + strlen(DB_URL_PREFIX);
    const char *slash = strchr(rest, '/');
    if (slash == NULL || slash == rest || (size_t)(slash - rest) >= DB_PART_MAX)
        return -1;
    const char *colon = memchr(rest, ':', (size_t)(slash - rest));
    const char *host_end = colon ? colon : slash;
    snprintf(host, DB_PART_MAX, "%.*s", (int)(host_end - rest), rest);
    snprintf(port, DB_PART_MAX, "%.*s", colon ? (int)(slash - colon - 1) : 4, colon ? colon + 1 : "5432");
    size_t db_len = strcspn(slash + 1, "?;");
    if (db_len == 0 || db_len >= DB_PART_MAX)
        return -1;
    snprintf(dbname, DB_PART_MAX, "%.*s", (int)db_len, slash + 1);
    return 0;
}

PGconn *repo_db_connect(int log_fd, const char *db_url, const char *user, const char *password)
{
    char host[DB_PART_MAX], port[DB_PART_MAX], dbname[DB_PART_MAX];
    if (db_url == NULL || user == NULL || parse_db_url(db_url, host, port, dbname) != 0) {
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Bad database settings: db.url=%s db.username=%s",
                    db_url ? db_url : "(missing)", user ? user : "(missing)");
        return NULL;
    }
    const char *keys[] = {"host", "port", "dbname", "user", "password", "connect_timeout",
                          "application_name", NULL};
    const char *values[] = {host, port, dbname, user, password ? password : "",
                            REPO_DB_CONNECT_TIMEOUT_S, "alfresco-standin", NULL};
    PGconn *db = PQconnectdbParams(keys, values, 0);
    if (db == NULL || PQstatus(db) != CONNECTION_OK) {
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Cannot connect to database %s: %s", db_url,
                    db ? PQerrorMessage(db) : "out of memory");
        PQfinish(db);
        return NULL;
    }
    PQsetNoticeProcessor(db, ignore_notice, NULL);
    standin_log(log_fd, "INFO", SCHEMA_SRC, "Connected to database PostgreSQL version %d (%s)",
                PQserverVersion(db), db_url);
    return db;
}

/* 1 when the table exists, 0 when not, -1 on error. */
static int table_exists(PGconn *db, int log_fd, const char *table)
{
    const char *values[] = {table};
    PGresult *res = PQexecParams(db, "select to_regclass($1) is not null", 1, NULL, values, NULL, NULL, 0);
    int found = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        found = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    else
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Cannot inspect the schema: %s", PQresultErrorMessage(res));
    PQclear(res);
    return found;
}

/* The installed schema number (design.md's query), 0 when none, -1 on error. */
static int installed_schema(PGconn *db, int log_fd)
{
    PGresult *res = PQexec(db, SCHEMA_QUERY);
    int schema = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        schema = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
    else
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Cannot read the schema: %s", PQresultErrorMessage(res));
    PQclear(res);
    return schema;
}

static int record_patch(PGconn *db, int log_fd, const char *id, const char *description, int from,
                        const repo_schema_target_t *target)
{
    char from_text[16], to_text[16];
    snprintf(from_text, sizeof from_text, "%d", from);
    snprintf(to_text, sizeof to_text, "%d", target->schema);
    const char *values[] = {id, description, from_text, to_text, target->version};
    return exec_params(db, log_fd,
                       "insert into alf_applied_patch (id, description, fixes_from_schema,"
                       " fixes_to_schema, applied_to_schema, target_schema, applied_on_date,"
                       " applied_to_server, was_executed, succeeded, report)"
                       " values ($1, $2, $3::int, $4::int, $4::int, $4::int, now(), $5, true, true,"
                       " 'applied by alfresco-standin')", 5, values);
}

static int lock_take(PGconn *db, int log_fd)
{
    return exec_sql(db, log_fd, "create table alf_bootstrap_lock (charval varchar(8) not null primary key)");
}

static int lock_release(PGconn *db, int log_fd)
{
    return exec_sql(db, log_fd, "drop table alf_bootstrap_lock");
}

static repo_schema_outcome_t bootstrap(PGconn *db, int log_fd, const repo_schema_target_t *target)
{
    char id[64];
    standin_log(log_fd, "INFO", SCHEMA_SRC, "Creating Alfresco tables (schema %d)", target->schema);
    if (lock_take(db, log_fd) != 0)
        return REPO_SCHEMA_FAILED;
    for (size_t i = 0; BOOTSTRAP_SQL[i] != NULL; i++)
        if (exec_sql(db, log_fd, BOOTSTRAP_SQL[i]) != 0)
            return REPO_SCHEMA_FAILED;
    snprintf(id, sizeof id, "patch.db-V%s-Bootstrap", target->version);
    if (record_patch(db, log_fd, id, "Schema bootstrap", 0, target) != 0 || lock_release(db, log_fd) != 0)
        return REPO_SCHEMA_FAILED;
    standin_log(log_fd, "INFO", SCHEMA_SRC, "All executed statements written to the schema bootstrap log");
    return REPO_SCHEMA_OK;
}

static long long ms_since(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* The rows the row patch upgrades: alf_node plus alf_content_url; -1 on error (logged). */
static long long upgrade_rows(PGconn *db, int log_fd)
{
    PGresult *res = PQexec(db, "select (select count(*) from alf_node) + (select count(*) from alf_content_url)");
    long long rows = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        rows = atoll(PQgetvalue(res, 0, 0));
    else
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "Cannot count rows: %s", PQresultErrorMessage(res));
    PQclear(res);
    return rows;
}

static void patch_failed(int log_fd, const char *id, const char *why)
{
    standin_log(log_fd, "ERROR", PATCH_SRC, "=== Failed to apply patch ===");
    standin_log(log_fd, "ERROR", PATCH_SRC, "Patch '%s' failed: %s", id, why);
}

/* The row patch: touches every alf_node row, then takes us_per_row per row (alf_node + alf_content_url). */
static repo_schema_outcome_t patch_rows(PGconn *db, int log_fd, const char *id, const repo_schema_target_t *target)
{
    long long rows = upgrade_rows(db, log_fd);
    if (rows < 0 || exec_sql(db, log_fd, "update alf_node set standin_upgraded = true") != 0)
        return REPO_SCHEMA_FAILED;
    standin_log(log_fd, "INFO", PATCH_SRC, "Patch '%s': %lld rows to upgrade", id, rows);
    if (target->fail_over && (unsigned long long)rows > target->fail_over_rows) {
        char why[160];
        snprintf(why, sizeof why, "simulated failure on %lld rows (standin-fault failed-patch-over:%lu)",
                 rows, target->fail_over_rows);
        patch_failed(log_fd, id, why);
        return REPO_SCHEMA_FAILED;
    }
    unsigned long long wait_ms = (unsigned long long)rows * target->us_per_row / 1000u;
    if (wait_ms > REPO_UPGRADE_SLEEP_MAX_MS)
        wait_ms = REPO_UPGRADE_SLEEP_MAX_MS;
    if (wait_ms > 0 && target->signals != NULL && standin_wait_signal(target->signals, (unsigned)wait_ms)) {
        standin_log(log_fd, "ERROR", PATCH_SRC, "Patch '%s' interrupted by shutdown", id);
        return REPO_SCHEMA_INTERRUPTED;
    }
    return REPO_SCHEMA_OK;
}

/* One patch of an upgrade: logs it, runs it, records it. */
static repo_schema_outcome_t apply_patch(PGconn *db, int log_fd, int step, int from,
                                         const repo_schema_target_t *target)
{
    static const char *const NAMES[] = {"Upgrade", "NodeUpgrade", "ContentUrlIndex"};
    static const char *const WHAT[] = {"Upgrade of schema", "Mark every node upgraded, schema",
                                       "Index content URL sizes, schema"};
    char id[96], description[128];
    snprintf(id, sizeof id, "patch.db-V%s-%s-%d", target->version, NAMES[step], from);
    snprintf(description, sizeof description, "%s %d to %d", WHAT[step], from, target->schema);
    standin_log(log_fd, "INFO", PATCH_SRC, "Applying patch '%s' (%s).", id, description);
    repo_schema_outcome_t outcome = REPO_SCHEMA_OK;
    if (step == 0) {
        if (exec_sql(db, log_fd, "alter table alf_node add column if not exists standin_upgraded boolean") != 0)
            return REPO_SCHEMA_FAILED;
        if (target->fail_patch) {
            patch_failed(log_fd, id, "simulated failure (standin-fault failed-patch)");
            return REPO_SCHEMA_FAILED;
        }
    } else if (step == 1) {
        outcome = patch_rows(db, log_fd, id, target);
    } else if (exec_sql(db, log_fd, "create index if not exists standin_content_size"
                                    " on alf_content_url (content_size)") != 0) {
        return REPO_SCHEMA_FAILED;
    }
    if (outcome == REPO_SCHEMA_OK && record_patch(db, log_fd, id, description, from, target) != 0)
        return REPO_SCHEMA_FAILED;
    return outcome;
}

static repo_schema_outcome_t upgrade(PGconn *db, int log_fd, int from, const repo_schema_target_t *target)
{
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    standin_log(log_fd, "INFO", SCHEMA_SRC, "Schema upgrade from schema %d to schema %d (version %s)",
                from, target->schema, target->version);
    if (lock_take(db, log_fd) != 0)
        return REPO_SCHEMA_FAILED;
    for (int step = 0; step < UPGRADE_PATCHES; step++) {
        repo_schema_outcome_t outcome = apply_patch(db, log_fd, step, from, target);
        if (outcome != REPO_SCHEMA_OK)
            return outcome;
    }
    /* Older rows are raised so that design.md's min(applied_to_schema) query
     * reads the schema this upgrade reached. */
    char to_text[16];
    snprintf(to_text, sizeof to_text, "%d", target->schema);
    const char *to_text_values[1] = {to_text};
    if (exec_params(db, log_fd, "update alf_applied_patch set applied_to_schema = $1::int"
                    " where applied_to_schema > -1 and applied_to_schema < $1::int", 1, to_text_values) != 0 ||
        lock_release(db, log_fd) != 0)
        return REPO_SCHEMA_FAILED;
    standin_log(log_fd, "INFO", PATCH_SRC, "Applied %d patches.", UPGRADE_PATCHES);
    standin_log(log_fd, "INFO", SCHEMA_SRC, "Schema upgraded to schema %d", target->schema);
    standin_log(log_fd, "INFO", SCHEMA_SRC, "Updating the DB schema took %lld ms", ms_since(&since));
    return REPO_SCHEMA_OK;
}

repo_schema_outcome_t repo_db_schema(PGconn *db, int log_fd, const repo_schema_target_t *target)
{
    int locked = table_exists(db, log_fd, "alf_bootstrap_lock");
    int have_schema = table_exists(db, log_fd, "alf_applied_patch");
    if (locked < 0 || have_schema < 0)
        return REPO_SCHEMA_FAILED;
    if (locked) {
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "A previous schema upgrade failed or was not completed."
                    " Revert to the original database before attempting the upgrade again."
                    " (table alf_bootstrap_lock exists)");
        return REPO_SCHEMA_FAILED;
    }
    if (!have_schema)
        return bootstrap(db, log_fd, target);
    int from = installed_schema(db, log_fd);
    if (from < 0)
        return REPO_SCHEMA_FAILED;
    if (from > target->schema) {
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "The database schema %d is newer than this server's"
                    " schema %d (version %s)", from, target->schema, target->version);
        return REPO_SCHEMA_FAILED;
    }
    if (from < target->min_schema) {
        standin_log(log_fd, "ERROR", SCHEMA_SRC, "The database schema %d is too old to be upgraded"
                    " directly. Please follow an incremental upgrade using version %s.",
                    from, target->min_version ? target->min_version : "(unknown)");
        return REPO_SCHEMA_FAILED;
    }
    if (from < target->schema)
        return upgrade(db, log_fd, from, target);
    return REPO_SCHEMA_OK;
}

/* dir_root/contentstore/REST for store://REST, refusing absolute or ".." parts. */
static int content_path(const char *dir_root, const char *url, char *path, size_t len)
{
    const char *prefix = "store://";
    if (strncmp(url, prefix, strlen(prefix)) != 0)
        return -1;
    const char *rest = url + strlen(prefix);
    if (rest[0] == '/' || rest[0] == '\0' || strstr(rest, "..") != NULL)
        return -1;
    int n = snprintf(path, len, "%s/contentstore/%s", dir_root, rest);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

long repo_db_check_content(PGconn *db, int log_fd, const char *dir_root)
{
    PGresult *res = PQexec(db, "select content_url, content_size from alf_content_url"
                               " where orphan_time is null order by id");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        standin_log(log_fd, "ERROR", CONTENT_SRC, "Cannot read alf_content_url: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    long rows = PQntuples(res), bad = 0;
    for (long i = 0; i < rows; i++) {
        const char *url = PQgetvalue(res, (int)i, 0);
        long long size = atoll(PQgetvalue(res, (int)i, 1));
        char path[4096];
        struct stat st;
        const char *why = NULL;
        if (content_path(dir_root, url, path, sizeof path) != 0)
            why = "not a store:// URL inside the content store";
        else if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            why = "file missing";
        else if ((long long)st.st_size != size)
            why = "size differs from alf_content_url.content_size";
        if (why == NULL)
            continue;
        if (bad++ < MISSING_LOGGED_MAX)
            standin_log(log_fd, "ERROR", CONTENT_SRC, "Content %s: %s (%s)", url, why, path);
    }
    PQclear(res);
    standin_log(log_fd, bad ? "ERROR" : "INFO", CONTENT_SRC,
                "Content store check: %ld content URLs, %ld missing or of the wrong size (dir.root %s)",
                rows, bad, dir_root);
    return bad;
}
