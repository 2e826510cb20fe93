/* channel_client.h -- the agent's end: a DEALER socket and one TLS session to the controller. */
#ifndef ALFUP_CHANNEL_CLIENT_H
#define ALFUP_CHANNEL_CLIENT_H

#include <zmq.h>

#include "alfup_error.h"
#include "message.h"
#include "tls_context.h"

#define CHANNEL_CLIENT_POLL_ITEMS 2
#define CHANNEL_SILENCE_BEATS 3u   /* missed heartbeats before the session is reset */

typedef struct channel_client channel_client_t;

typedef struct channel_client_config {
    const char *endpoint;        /* tcp://host:port of the controller */
    tls_paths_t tls;
    unsigned heartbeat_s;        /* heartbeat interval */
    unsigned handshake_timeout_s;
} channel_client_config_t;

typedef struct channel_client_events {
    /* The session is up and the controller verified: send the Hello first. */
    void (*connected)(void *arg);
    void (*disconnected)(void *arg, const char *reason);
    void (*message)(void *arg, const alfup_msg_t *msg);
    void *arg;
} channel_client_events_t;

/* Connects (ZeroMQ reconnects by itself) and starts the first handshake. The
 * controller's certificate must be valid for the endpoint's host and carry
 * the controller role. NULL with err on failure. */
channel_client_t *channel_client_new(void *zmq_context, const channel_client_config_t *config,
                                     const channel_client_events_t *events, alfup_err_t *err);

void channel_client_destroy(channel_client_t **client_p);

/* Fills CHANNEL_CLIENT_POLL_ITEMS poll items (data socket, connection monitor). */
void channel_client_poll_items(channel_client_t *client, zmq_pollitem_t *items);

/* Handles everything waiting on both sockets without blocking. */
int channel_client_handle_input(channel_client_t *client, alfup_err_t *err);

/* Sends heartbeats, resets a silent session, retries a stuck handshake. */
void channel_client_tick(channel_client_t *client);

/* Sends msg on the established session; ALFUP_ERR when there is none. */
int channel_client_send(channel_client_t *client, alfup_msg_t *msg, alfup_err_t *err);

/* 1 while a verified session is up. */
int channel_client_established(const channel_client_t *client);

#endif
