/* alfresco_standin_isolation.c -- cluster membership through a registry folder, and the subsystems logged. */
#include "alfresco_standin_isolation.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "standin_daemon.h"
#include "standin_log.h"

#define CLUSTER_SRC "repo.cluster.ClusterService"
#define SEARCH_SRC "management.subsystems.ChildApplicationContextFactory"
#define CLUSTER_ID_MAX 64
#define CLUSTER_ID_SQL_CREATE "create table if not exists alf_standin_cluster (cluster_id varchar(64) primary key)"
#define CLUSTER_ID_SQL_SEED                                                                    \
    "insert into alf_standin_cluster (cluster_id) select md5(random()::text || clock_timestamp()::text)" \
    " where not exists (select 1 from alf_standin_cluster)"

const char *repo_setting(const repo_settings_t *settings, const char *key)
{
    const char *value = settings->overlay ? standin_props_get(settings->overlay, key) : NULL;
    return value ? value : standin_props_get(settings->home, key);
}

static int is_off(const char *value)
{
    return value != NULL && strcmp(value, "false") == 0;
}

static int exec_ok(PGconn *db, int log_fd, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        standin_log(log_fd, "ERROR", CLUSTER_SRC, "Cannot keep the cluster ID: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

/* The cluster ID stored in the database (created at the first clustered start), or -1 (logged). */
static int cluster_id(PGconn *db, int log_fd, char *id, size_t len)
{
    if (exec_ok(db, log_fd, CLUSTER_ID_SQL_CREATE) != 0 || exec_ok(db, log_fd, CLUSTER_ID_SQL_SEED) != 0)
        return -1;
    PGresult *res = PQexec(db, "select cluster_id from alf_standin_cluster limit 1");
    int rc = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        snprintf(id, len, "%s", PQgetvalue(res, 0, 0));
        rc = 0;
    } else {
        standin_log(log_fd, "ERROR", CLUSTER_SRC, "Cannot read the cluster ID: %s", PQresultErrorMessage(res));
    }
    PQclear(res);
    return rc;
}

/* The pid of a live other node registered under id in registry, or 0. */
static pid_t other_member(const char *registry, const char *id)
{
    DIR *dir = opendir(registry);
    if (dir == NULL)
        return 0;
    size_t id_len = strlen(id);
    pid_t found = 0;
    struct dirent *entry;
    while (found == 0 && (entry = readdir(dir)) != NULL) {
        if (strncmp(entry->d_name, id, id_len) != 0 || entry->d_name[id_len] != '.')
            continue;
        pid_t pid = (pid_t)atol(entry->d_name + id_len + 1);
        if (pid > 0 && pid != getpid() && standin_pid_alive(pid))
            found = pid;
    }
    closedir(dir);
    return found;
}

int repo_cluster_join(PGconn *db, int log_fd, const repo_settings_t *settings, char *entry, size_t entry_len)
{
    entry[0] = '\0';
    const char *registry = repo_setting(settings, "standin.cluster.registry");
    if (is_off(repo_setting(settings, "alfresco.cluster.enabled"))) {
        standin_log(log_fd, "INFO", CLUSTER_SRC, "Clustering is disabled (alfresco.cluster.enabled=false):"
                    " this node runs alone");
        return 0;
    }
    if (registry == NULL || registry[0] != '/') {
        standin_log(log_fd, "INFO", CLUSTER_SRC, "Cluster enabled; no other node can be seen"
                    " (standin.cluster.registry not set)");
        return 0;
    }
    char id[CLUSTER_ID_MAX + 1];
    if (cluster_id(db, log_fd, id, sizeof id) != 0)
        return -1;
    pid_t other = other_member(registry, id);
    if (other != 0) {
        standin_log(log_fd, "ERROR", CLUSTER_SRC, "Another repository node of cluster %s is running (pid %d):"
                    " this node would join its cluster; refusing to start (set alfresco.cluster.enabled=false"
                    " to start it alone)", id, (int)other);
        return -1;
    }
    int n = snprintf(entry, entry_len, "%s/%s.%ld", registry, id, (long)getpid());
    int fd = n > 0 && (size_t)n < entry_len ? open(entry, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    if (fd < 0) {
        standin_log(log_fd, "ERROR", CLUSTER_SRC, "Cannot register in %s: %s", registry, strerror(errno));
        entry[0] = '\0';
        return -1;
    }
    close(fd);
    standin_log(log_fd, "INFO", CLUSTER_SRC, "Joined cluster %s (registry %s)", id, registry);
    return 0;
}

void repo_cluster_leave(const char *entry)
{
    if (entry != NULL && entry[0] != '\0')
        unlink(entry);
}

static const char *on_off(const repo_settings_t *settings, const char *key, const char *when_unset)
{
    const char *value = repo_setting(settings, key);
    if (value == NULL)
        return when_unset;
    return is_off(value) ? "off" : "on";
}

void repo_subsystems_log(int log_fd, const repo_settings_t *settings)
{
    const char *index = repo_setting(settings, "index.subsystem.name");
    if (index == NULL || strcmp(index, "noindex") == 0) {
        standin_log(log_fd, "INFO", SEARCH_SRC, "Starting 'Search' subsystem, ID: [Search, managed, noindex]:"
                    " nothing is indexed");
    } else {
        const char *host = repo_setting(settings, "solr.host"), *port = repo_setting(settings, "solr.port");
        standin_log(log_fd, "INFO", SEARCH_SRC, "Starting 'Search' subsystem, ID: [Search, managed, %s]:"
                    " indexing through %s:%s", index, host ? host : "localhost", port ? port : "8983");
    }
    const char *mail = repo_setting(settings, "mail.host");
    standin_log(log_fd, "INFO", SEARCH_SRC, "Outbound subsystems: messaging=%s events=%s event2=%s mail=%s"
                " ldap-sync-on-start=%s replication=%s transfer-receiver=%s heartbeat=%s",
                on_off(settings, "messaging.subsystem.autoStart", "on"),
                on_off(settings, "events.subsystem.autoStart", "off"),
                on_off(settings, "repo.event2.enabled", "on"), mail ? mail : "localhost",
                on_off(settings, "synchronization.syncOnStartup", "on"),
                on_off(settings, "replication.enabled", "off"),
                on_off(settings, "transferservice.receiver.enabled", "off"),
                on_off(settings, "heartbeat.enabled", "on"));
}
