/* agent_config.h -- the agent's own config: the only source of commands and paths. */
#ifndef ALFUP_AGENT_CONFIG_H
#define ALFUP_AGENT_CONFIG_H

#include <stddef.h>

#include "alfup_error.h"
#include "str_list.h"

#define AGENT_DEFAULT_START_TIMEOUT_S 900u
#define AGENT_DEFAULT_STOP_TIMEOUT_S 300u
#define AGENT_DEFAULT_HEARTBEAT_S 5u

typedef struct tls_files {
    char *ca;
    char *cert;
    char *key;
    char *crl;              /* NULL when not configured */
} tls_files_t;

/* A service the agent may start and stop (interface.md, services:). */
typedef struct agent_service {
    char *name;
    str_list_t start_argv;  /* argv, no shell */
    str_list_t stop_argv;
    char *pidfile;          /* may be NULL */
    char *log;              /* may be NULL */
    char *properties_file;  /* may be NULL: the property overrides rehearsal-start writes before starting
                               this service (its start command reads them, e.g. --props FILE) */
    char *ready_url;        /* may be NULL */
    char *started;          /* regex; may be NULL */
    str_list_t failed;      /* regexes */
    unsigned start_timeout_s;
    unsigned stop_timeout_s;
} agent_service_t;

/* A program the agent may run, by name (interface.md, tools:). */
typedef struct agent_tool {
    char *name;
    str_list_t argv;
} agent_tool_t;

/* Another PostgreSQL server a database may be copied to (postgres.servers.NAME). */
typedef struct agent_pg_server {
    char *name;
    char *conninfo;
} agent_pg_server_t;

typedef struct agent_postgres {
    char *conninfo;         /* NULL when this agent has no db role */
    char *bin_dir;          /* where pg_dump and pg_restore live; may be NULL */
    agent_pg_server_t *servers; /* the only other servers a step may connect to */
    size_t server_count;
} agent_postgres_t;

typedef struct agent_config {
    char *path;             /* the file it was read from */
    char *name;
    char *controller;       /* ZeroMQ endpoint, tcp://host:port */
    tls_files_t tls;
    char *state_dir;
    char *backup_dir;
    str_list_t allowed_roots;  /* absolute, canonical (realpath) */
    agent_service_t *services;
    size_t service_count;
    agent_tool_t *tools;
    size_t tool_count;
    agent_postgres_t postgres;
    unsigned heartbeat_s;
} agent_config_t;

/* Reads and validates the YAML file at path. Returns a new config, or NULL
 * with err naming the file, line and problem. Free with agent_config_destroy. */
agent_config_t *agent_config_load(const char *path, alfup_err_t *err);

/* Parses YAML text of len bytes (name is used in messages). Same contract as
 * agent_config_load; used by the loader and the fuzz target. */
agent_config_t *agent_config_parse(const char *text, size_t len, const char *name,
                                   alfup_err_t *err);

/* Frees the config and sets *config_p to NULL. Tolerates NULL. */
void agent_config_destroy(agent_config_t **config_p);

/* The named service or tool, or NULL when this agent's config does not have it. */
const agent_service_t *agent_config_service(const agent_config_t *config, const char *name);
const agent_tool_t *agent_config_tool(const agent_config_t *config, const char *name);
const agent_pg_server_t *agent_config_pg_server(const agent_config_t *config, const char *name);

#endif
