/* channel_server.h -- the controller's end: a ROUTER socket, one TLS session per agent. */
#ifndef ALFUP_CHANNEL_SERVER_H
#define ALFUP_CHANNEL_SERVER_H

#include "alfup_error.h"
#include "message.h"
#include "tls_context.h"

typedef struct channel_server channel_server_t;

typedef struct channel_server_config {
    const char *listen;               /* ZeroMQ endpoint to bind, tcp://0.0.0.0:7411 */
    tls_paths_t tls;
    unsigned heartbeat_timeout_s;     /* a session silent this long is dropped */
    unsigned handshake_timeout_s;     /* a handshake unfinished this long is dropped */
    unsigned max_pending_handshakes;  /* further new sessions are refused meanwhile */
    unsigned required_roles;          /* the peer must hold at least one of these */
    unsigned refused_roles;           /* and none of these (0: no such check) */
} channel_server_config_t;

/* What the server tells its owner. name is the certificate's common name,
 * never a routing id or a message field; it is a copy that stays valid for the
 * whole callback. Callbacks may send (channel_server_send), even to the peer
 * they are called for: a send that fails drops that session, which is then
 * only marked dead and freed once the frame's processing is over. Callbacks
 * must not call channel_server_destroy. */
typedef struct channel_server_events {
    void (*peer_up)(void *arg, const char *name, unsigned roles, const char *address);
    void (*peer_down)(void *arg, const char *name, const char *reason);
    /* Every envelope from an authenticated peer after its Hello (the Hello
     * included). Heartbeats are answered by the server and not passed on. */
    void (*message)(void *arg, const char *name, const alfup_msg_t *msg);
    void *arg;
    /* Optional (last, so positional initializers stay valid): an agent is refused because the
     * CRL revokes its certificate (reason "certificate revoked"): an authenticated session cut
     * when the reloaded CRL revokes it (peer_down came first when it was online), or the first
     * handshake with a revoked certificate in that name since the server started (a controller
     * restarted after the revocation), which is let finish so that the name is proven (the
     * chain is checked, and the handshake checks the key) and then refused. Not called while a
     * session with a valid certificate holds the name. name is trustworthy either way; the
     * name's later handshakes with a revoked certificate are refused outright and only logged. */
    void (*peer_refused)(void *arg, const char *name, const char *reason);
} channel_server_events_t;

/* Binds the listen endpoint. NULL with err on failure. */
channel_server_t *channel_server_new(void *zmq_context, const channel_server_config_t *config,
                                     const channel_server_events_t *events, alfup_err_t *err);

/* Closes every session and the socket; sets *server_p to NULL. Tolerates NULL. */
void channel_server_destroy(channel_server_t **server_p);

/* The ZeroMQ socket to poll for input. */
void *channel_server_socket(channel_server_t *server);

/* Handles every frame waiting on the socket without blocking. Bad peers are
 * logged (address and reason) and dropped; it fails only when the socket does. */
int channel_server_handle_input(channel_server_t *server, alfup_err_t *err);

/* Drops sessions that went silent or never finished their handshake. At most once a
 * second, re-reads the CRL when it changed and cuts every authenticated session whose
 * certificate it now revokes (logged, reset, peer_down and peer_refused). */
void channel_server_tick(channel_server_t *server);

/* Sends msg to the online peer called name. ALFUP_ERR when it is not online. */
int channel_server_send(channel_server_t *server, const char *name, alfup_msg_t *msg,
                        alfup_err_t *err);

/* The endpoint actually bound (a "*" port resolved), e.g. tcp://127.0.0.1:40123. */
const char *channel_server_endpoint(const channel_server_t *server);

/* When the certificate of the online peer called name expires (seconds since 1970), 0 when it is
 * not online. */
int64_t channel_server_peer_expiry(channel_server_t *server, const char *name);

/* How many sessions exist, and how many of them are authenticated peers. */
void channel_server_counts(const channel_server_t *server, unsigned *sessions, unsigned *online);

#endif
