/* admin_server.h -- the controller's local command socket (a Unix socket, mode 0600). */
#ifndef ALFUP_ADMIN_SERVER_H
#define ALFUP_ADMIN_SERVER_H

#include <stdint.h>
#include <zmq.h>

#include "alfup_error.h"

/* One request line: words separated by spaces, at most this long. */
#define ADMIN_REQUEST_MAX 4096
#define ADMIN_WORDS_MAX 16
#define ADMIN_MAX_CLIENTS 32
/* A client that has not sent a complete request this long after connecting, or has taken no
 * byte of its reply for this long, is dropped (its slot freed). */
#define ADMIN_CLIENT_TIMEOUT_MS 10000u

typedef struct admin_server admin_server_t;

/* Called once per complete request. Reply now or later with admin_server_reply,
 * quoting client_id (a client that went away is skipped then). */
typedef void (*admin_request_fn)(void *arg, uint64_t client_id, int argc, char **argv);

/* Binds path (replacing a stale socket file, never any other file), mode 0600.
 * Only clients with the daemon's uid or root are served. NULL with err. */
admin_server_t *admin_server_new(const char *path, admin_request_fn on_request, void *arg, alfup_err_t *err);

/* Closes every client and the socket, removes the socket file. */
void admin_server_destroy(admin_server_t **server_p);

/* Fills poll items (listening socket and clients); returns how many (<= max). */
int admin_server_poll_items(admin_server_t *server, zmq_pollitem_t *items, int max);

/* Accepts clients, reads requests that are ready, writes what the sockets take of pending
 * replies, and drops clients past their timeout; never blocks. Call on every loop pass. */
void admin_server_handle_input(admin_server_t *server);

/* Queues "exit CODE\n" then text (copied) for the client and writes what its socket takes now;
 * the rest goes out from admin_server_handle_input, then the client is closed. Never blocks.
 * 0, or -1 when the client is gone (or already has a reply) or memory ran out. */
int admin_server_reply(admin_server_t *server, uint64_t client_id, int exit_code, const char *text);

/* The uid of client_id's process (SO_PEERCRED at accept): 0 and *uid set, or -1 when it is gone. */
int admin_server_client_uid(const admin_server_t *server, uint64_t client_id, unsigned *uid);

/* Changes ADMIN_CLIENT_TIMEOUT_MS for this server (tests). */
void admin_server_set_timeout(admin_server_t *server, uint64_t timeout_ms);

#endif
