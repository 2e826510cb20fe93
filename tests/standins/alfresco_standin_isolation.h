/* alfresco_standin_isolation.h -- what keeps a repository stand-in apart from others: its cluster membership
 * (one node per cluster ID in the registry folder), its search subsystem, and the subsystems that reach out. */
#ifndef ALFRESCO_STANDIN_ISOLATION_H
#define ALFRESCO_STANDIN_ISOLATION_H

#include <libpq-fe.h>
#include <stddef.h>

#include "standin_props.h"

#define REPO_CLUSTER_ENTRY_MAX 4096

/* A property of the overlay (--props FILE) when it has it, else of the home's file; NULL when neither. */
typedef struct repo_settings {
    const standin_props_t *home;
    const standin_props_t *overlay; /* may be NULL */
} repo_settings_t;

const char *repo_setting(const repo_settings_t *settings, const char *key);

/* Joins the cluster when alfresco.cluster.enabled is not "false" and standin.cluster.registry names a
 * folder: reads (or creates) the cluster ID kept in the database (table alf_standin_cluster), refuses
 * when a live process of another node with that ID is registered (logged), else registers this process
 * as REGISTRY/ID.PID (written to entry, which the caller removes with repo_cluster_leave). entry is ""
 * when the node runs alone. Returns 0, or -1 (refused or failed; logged). */
int repo_cluster_join(PGconn *db, int log_fd, const repo_settings_t *settings, char *entry, size_t entry_len);

/* Removes the registry entry written by repo_cluster_join (nothing when entry is ""). */
void repo_cluster_leave(const char *entry);

/* Logs the search subsystem (index.subsystem.name; noindex: nothing indexed) and the state of the
 * subsystems that reach other systems: messaging, events, outbound mail, LDAP sync, replication,
 * transfer, heartbeat (one line, "Outbound subsystems: ..."). */
void repo_subsystems_log(int log_fd, const repo_settings_t *settings);

#endif
