/* admin_client.h -- the command line's side of the admin socket. */
#ifndef ALFUP_ADMIN_CLIENT_H
#define ALFUP_ADMIN_CLIENT_H

#include <stdio.h>

#define ADMIN_EXIT_UNREACHABLE 3

/* Sends the words as one request to the daemon at socket_path, copies the
 * reply's text to out and returns the daemon's exit code; on failure prints
 * the reason to stderr and returns ADMIN_EXIT_UNREACHABLE. */
int admin_client_call(const char *socket_path, int argc, char **argv, FILE *out);

#endif
