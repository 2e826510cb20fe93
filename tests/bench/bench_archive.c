/* bench_archive.c -- command-line driver that runs the archive step functions directly, for
 * tests/bench/bench-backup.sh.
 *
 * usage: bench_archive ROOT backup ARCHIVE TREE...
 *        bench_archive ROOT verify ARCHIVE
 *        bench_archive ROOT restore ARCHIVE TARGET
 * ROOT is the agent's only allowed root and its backup_dir. Prints the step's
 * outputs as key=value lines; exits 0 only when the step succeeded. BENCH_THREADS
 * sets backup's threads; BENCH_ONLINE=true runs backup and restore as online work
 * (online=true: idle priority, the page cache left as found). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "bench_step.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ROOT backup ARCHIVE TREE... | verify ARCHIVE | restore ARCHIVE TARGET\n", argv[0]);
        return 2;
    }
    agent_config_t *config = calloc(1, sizeof *config);
    kv_list_t params = {0};
    if (config == NULL || str_list_add(&config->allowed_roots, argv[1]) != 0 ||
        (config->backup_dir = strdup(argv[1])) == NULL || (config->name = strdup("bench")) == NULL)
        return 2;
    const char *kind = NULL;
    int ok = kv_list_add(&params, "archive", argv[3]) == 0;
    if (strcmp(argv[2], "backup") == 0 && argc >= 5) {
        kind = "backup-tree";
        for (int i = 4; i < argc; i++)
            ok = ok && kv_list_add(&params, "tree", argv[i]) == 0;
        const char *threads = getenv("BENCH_THREADS");
        if (threads != NULL)
            ok = ok && kv_list_add(&params, "threads", threads) == 0;
    } else if (strcmp(argv[2], "verify") == 0 && argc == 4) {
        kind = "verify-archive";
    } else if (strcmp(argv[2], "restore") == 0 && argc == 5) {
        kind = "restore-tree";
        ok = ok && kv_list_add(&params, "target", argv[4]) == 0;
    }
    const char *online = getenv("BENCH_ONLINE");
    if (online != NULL && kind != NULL && strcmp(kind, "verify-archive") != 0)
        ok = ok && kv_list_add(&params, "online", online) == 0;
    return bench_step_finish(argv[0], &config, ok ? kind : NULL, &params);
}
