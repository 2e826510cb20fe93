/* fleet_remote_cli.h -- the fleet commands the daemon answers: fleet start|status|pause|resume|cancel, drain,
 * undrain (docs/fleet.md). */
#ifndef ALFUP_FLEET_REMOTE_CLI_H
#define ALFUP_FLEET_REMOTE_CLI_H

/* 1 when words (words[0] "fleet", "drain" or "undrain") is one of them. */
int fleet_remote_cli_is_command(int count, char **words);

/* Sends it to the daemon at admin_socket (fleet start: the file's path made absolute) and prints its answer:
 * the daemon's exit code, 2 on a usage error, ADMIN_EXIT_UNREACHABLE. */
int fleet_remote_cli_main(const char *admin_socket, int count, char **words);

#endif
