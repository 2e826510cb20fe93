/* alfresco_standin_db.h -- the repository stand-in's database work: schema bootstrap, upgrade, content check. */
#ifndef ALFRESCO_STANDIN_DB_H
#define ALFRESCO_STANDIN_DB_H

#include <libpq-fe.h>
#include <signal.h>

#define REPO_DB_CONNECT_TIMEOUT_S "5"

/* What the repository's schema step found; every failure is already logged. */
typedef enum repo_schema_outcome {
    REPO_SCHEMA_OK = 0,
    REPO_SCHEMA_FAILED = -1,
    REPO_SCHEMA_INTERRUPTED = -2  /* SIGTERM during the upgrade: the lock stays, as after a killed JVM */
} repo_schema_outcome_t;

/* The longest an upgrade's row work is made to take (standin.schema.upgrade.us_per_row x rows). */
#define REPO_UPGRADE_SLEEP_MAX_MS (3600u * 1000u)

typedef struct repo_schema_target {
    const char *version;      /* "7.4.1" */
    int schema;               /* 19100 */
    int min_schema;           /* oldest schema it upgrades from; 0: any */
    const char *min_version;  /* the version to upgrade through first; may be NULL */
    int fail_patch;           /* fault failed-patch: fail halfway, leave the lock */
    int fail_over;            /* fault failed-patch-over: fail the row patch only above fail_over_rows */
    unsigned long fail_over_rows;
    unsigned long us_per_row; /* the row patch takes this long per upgraded row (alf_node + alf_content_url) */
    const sigset_t *signals;  /* the row patch's wait ends early on these (SIGTERM) */
} repo_schema_target_t;

/* Connects to the database named by db.url (jdbc:postgresql://HOST[:PORT]/DB)
 * as user/password (password may be NULL). Returns the connection, or NULL
 * after logging why to log_fd. */
PGconn *repo_db_connect(int log_fd, const char *db_url, const char *user, const char *password);

/* Brings the schema to target: bootstrap on an empty database, upgrade from
 * an older schema (alf_bootstrap_lock created first, dropped last; three patches, the second of which
 * touches every alf_node row and takes us_per_row per alf_node and alf_content_url row; then
 * "Updating the DB schema took N ms"), refuse when
 * alf_bootstrap_lock is there, when the schema is newer, or too old. Logs what
 * it does to log_fd, as the real repository does. */
repo_schema_outcome_t repo_db_schema(PGconn *db, int log_fd, const repo_schema_target_t *target);

/* Checks that every live alf_content_url row has its file under
 * dir_root/contentstore with the recorded size. Returns the number missing or
 * wrong (0 = all good), or -1 when the check could not run; logs each. */
long repo_db_check_content(PGconn *db, int log_fd, const char *dir_root);

#endif
