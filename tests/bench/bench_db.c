/* bench_db.c -- command-line driver that runs the db-backup, db-restore and db-copy step functions directly,
 * for tests/bench/bench-db.sh and tests/bench/bench-dbcopy.sh.
 *
 * usage: bench_db ROOT CONNINFO BIN_DIR backup DATABASE DEST
 *        bench_db ROOT CONNINFO BIN_DIR restore DUMP TARGET SOURCE OWNER
 *        bench_db ROOT CONNINFO BIN_DIR copy SOURCE TARGET OWNER
 *        bench_db ROOT CONNINFO BIN_DIR copy-to OTHER_CONNINFO SOURCE TARGET OWNER DUMP
 * (copy-to: db-copy with OTHER_CONNINFO as postgres.servers.other and param server=other, so a dump
 * and restore into that server when it is another one; the dump goes to DUMP.)
 * ROOT is the agent's only allowed root, its backup_dir and (ROOT/state) its
 * state_dir; CONNINFO and BIN_DIR are its postgres.conninfo and bin_dir. The
 * "jobs" parameter of backup and restore is BENCH_DB_JOBS when set (else the step's default).
 * Prints the step's outputs as key=value lines; exits 0 only when the step succeeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "bench_step.h"

static agent_config_t *make_config(char **argv)
{
    agent_config_t *config = calloc(1, sizeof *config);
    if (config == NULL)
        return NULL;
    if (str_list_add(&config->allowed_roots, argv[1]) != 0 || (config->backup_dir = strdup(argv[1])) == NULL ||
        asprintf(&config->state_dir, "%s/state", argv[1]) < 0 || (config->name = strdup("bench")) == NULL ||
        (config->postgres.conninfo = strdup(argv[2])) == NULL ||
        (config->postgres.bin_dir = strdup(argv[3])) == NULL)
        agent_config_destroy(&config);
    if (config != NULL && strcmp(argv[4], "copy-to") == 0 && argv[5] != NULL) {
        config->postgres.servers = calloc(1, sizeof *config->postgres.servers);
        if (config->postgres.servers == NULL)
            agent_config_destroy(&config);
        else {
            config->postgres.server_count = 1;
            config->postgres.servers[0] = (agent_pg_server_t){strdup("other"), strdup(argv[5])};
        }
    }
    return config;
}

/* The step kind for argv[4] with its params, or NULL when the arguments do not fit. */
static const char *make_params(int argc, char **argv, kv_list_t *params)
{
    const char *jobs = getenv("BENCH_DB_JOBS");
    if (jobs != NULL && strcmp(argv[4], "copy") != 0 && kv_list_add(params, "jobs", jobs) != 0)
        return NULL;
    if (argc == 10 && strcmp(argv[4], "copy-to") == 0)
        return kv_list_add(params, "source", argv[6]) == 0 && kv_list_add(params, "database", argv[7]) == 0 &&
                       kv_list_add(params, "owner", argv[8]) == 0 && kv_list_add(params, "dump", argv[9]) == 0 &&
                       kv_list_add(params, "server", "other") == 0
                   ? "db-copy"
                   : NULL;
    if (argc == 7 && strcmp(argv[4], "backup") == 0)
        return kv_list_add(params, "database", argv[5]) == 0 && kv_list_add(params, "dest", argv[6]) == 0
                   ? "db-backup"
                   : NULL;
    if (argc == 9 && strcmp(argv[4], "restore") == 0)
        return kv_list_add(params, "dump", argv[5]) == 0 && kv_list_add(params, "database", argv[6]) == 0 &&
                       kv_list_add(params, "source", argv[7]) == 0 && kv_list_add(params, "owner", argv[8]) == 0
                   ? "db-restore"
                   : NULL;
    if (argc == 8 && strcmp(argv[4], "copy") == 0)
        return kv_list_add(params, "source", argv[5]) == 0 && kv_list_add(params, "database", argv[6]) == 0 &&
                       kv_list_add(params, "owner", argv[7]) == 0
                   ? "db-copy"
                   : NULL;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s ROOT CONNINFO BIN_DIR backup DATABASE DEST | restore DUMP TARGET SOURCE OWNER | "
                "copy SOURCE TARGET OWNER | copy-to OTHER_CONNINFO SOURCE TARGET OWNER DUMP\n",
                argv[0]);
        return 2;
    }
    agent_config_t *config = make_config(argv);
    kv_list_t params = {0};
    const char *kind = config ? make_params(argc, argv, &params) : NULL;
    return bench_step_finish(argv[0], &config, kind, &params);
}
