/* api_server.h -- the operators' HTTPS API (docs/api.md) on its own thread, asking the daemon's loop
 * everything over the ZeroMQ inproc socket API_BRIDGE_ENDPOINT. */
#ifndef ALFUP_API_SERVER_H
#define ALFUP_API_SERVER_H

#include "alfup_error.h"

/* How long the API waits for the daemon's loop to answer one request before it says 503. */
#define API_DAEMON_TIMEOUT_MS 10000
#define API_DEFAULT_IDLE_TIMEOUT_S 10u
/* Event streams: asked for new events this often; a stream whose client has not taken what it
 * was sent for this long is closed (it reconnects with Last-Event-ID and misses nothing). */
#define API_EVENTS_POLL_MS 200
#define API_STREAM_STALL_MS 15000

typedef struct api_server_config {
    const char *listen;       /* HOST:PORT, e.g. 127.0.0.1:8443 */
    const char *ca, *cert, *key, *crl; /* the deployment CA, the API's certificate and key, the CRL (or NULL) */
    unsigned idle_timeout_s;  /* a connection that sends nothing this long is closed */
    void *zmq_context;        /* the daemon's, where API_BRIDGE_ENDPOINT is bound */
    const char *console_dir;  /* the console page's files (api_console.h); NULL: ALFUP_DEFAULT_CONSOLE_DIR */
} api_server_config_t;

typedef struct api_server api_server_t;

/* Binds config->listen and starts the API thread. Clients must present a certificate of the CA
 * (checked against the CRL at every request, the file re-read when it changes) that carries an
 * operator's role and no agent's or controller's. NULL with err (bind, certificate files). */
api_server_t *api_server_new(const api_server_config_t *config, alfup_err_t *err);

/* Stops the thread, closes every connection, sets *server_p to NULL. Tolerates NULL. */
void api_server_destroy(api_server_t **server_p);

#endif
