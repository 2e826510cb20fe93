/* fleet_remote_cli.c -- fleet start|status|pause|resume|cancel, drain and undrain: checked here, answered by the
 * daemon over the admin socket. */
#include "fleet_remote_cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_client.h"

#define EXIT_USAGE 2

static int usage(void)
{
    fprintf(stderr, "usage: alfup-controller fleet start FLEET [--approve-cutovers]\n"
                    "       alfup-controller fleet status [NAME] [--json]\n"
                    "       alfup-controller fleet pause|resume|cancel NAME\n"
                    "       alfup-controller drain|undrain\n");
    return EXIT_USAGE;
}

int fleet_remote_cli_is_command(int count, char **words)
{
    static const char *const SUB[] = {"start", "status", "pause", "resume", "cancel", NULL};
    if (count >= 1 && (strcmp(words[0], "drain") == 0 || strcmp(words[0], "undrain") == 0))
        return 1;
    for (size_t i = 0; count >= 2 && strcmp(words[0], "fleet") == 0 && SUB[i]; i++)
        if (strcmp(words[1], SUB[i]) == 0)
            return 1;
    return 0;
}

/* The words allowed after the subcommand: at most one name or path, and the subcommand's flags. */
static int args_ok(int count, char **words)
{
    if (strcmp(words[0], "fleet") != 0)
        return count == 1;
    int names = 0;
    for (int i = 2; i < count; i++) {
        if (strcmp(words[i], "--json") == 0 && strcmp(words[1], "status") == 0)
            continue;
        if (strcmp(words[i], "--approve-cutovers") == 0 && strcmp(words[1], "start") == 0)
            continue;
        if (words[i][0] == '-' || ++names > 1)
            return 0;
    }
    return names == 1 || strcmp(words[1], "status") == 0;
}

int fleet_remote_cli_main(const char *admin_socket, int count, char **words)
{
    if (!args_ok(count, words))
        return usage();
    char path[PATH_MAX];
    char *sent[16];
    int n = 0;
    for (int i = 0; i < count && n < 16; i++)
        sent[n++] = words[i];
    if (strcmp(words[0], "fleet") == 0 && strcmp(words[1], "start") == 0) {
        for (int i = 2; i < n; i++) {
            if (sent[i][0] == '-')
                continue;
            if (realpath(sent[i], path) == NULL) {
                perror(sent[i]);
                return 1;
            }
            sent[i] = path;
        }
    }
    return admin_client_call(admin_socket, n, sent, stdout);
}
