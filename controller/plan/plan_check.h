/* plan_check.h -- the plan parser's shared helpers and its cross-field checks (plan.c, plan_check.c). */
#ifndef ALFUP_PLAN_CHECK_H
#define ALFUP_PLAN_CHECK_H

#include <stdbool.h>

#include "plan.h"

/* Agent names are at most this long, so "<step id>@<agent>" fits a step id. */
#define PLAN_AGENT_NAME_MAX 32
#define PLAN_DB_NAME_MAX 63
#define PLAN_APP_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define PLAN_JDBC_PREFIX "jdbc:postgresql:"

/* Adds an error for every key of map not in known (NULL-terminated). */
void plan_check_keys(plan_diag_t *diag, const yaml_doc_node_t *map, const char *const *known);

/* The mapping under key, or NULL (absent, or wrong and reported). */
const yaml_doc_node_t *plan_get_map(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required);

/* The non-empty string under key (caller frees), or NULL (absent, or wrong and reported). */
char *plan_get_text(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required);

/* true (and an error at node) unless path is absolute, not "/", without "."
 * or ".." or empty components and without a trailing "/". */
bool plan_path_refused(plan_diag_t *diag, const yaml_doc_node_t *node, const char *path);

/* [A-Za-z_][A-Za-z0-9_]{0,62}: what the db steps accept. */
bool plan_db_name_ok(const char *name);

/* true when a equals b, or one lies inside the other. */
bool plan_paths_overlap(const char *a, const char *b);

/* Fills the defaults (scratch database, scratch dir root, scratch db url)
 * and checks what involves several keys: old/new overlaps, backup_dir,
 * databases, services, db_url, the db role. Errors go to diag. */
void plan_check_all(plan_diag_t *diag, plan_t *plan);

/* url (a jdbc:postgresql: url) with its database replaced by database; NULL when url is not such a url
 * or out of memory. Caller frees. */
char *plan_jdbc_url_for(const char *url, const char *database);

/* true when the jdbc url names database. */
bool plan_jdbc_names(const char *url, const char *database);

/* The node at a dotted key path from the plan's root ("new.solr.home"), or the root. */
const yaml_doc_node_t *plan_node(const plan_t *plan, const char *dotted);

#endif
