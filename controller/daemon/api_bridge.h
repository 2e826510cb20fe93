/* api_bridge.h -- the daemon's end of the API thread's inproc socket: requests in, answers out. */
#ifndef ALFUP_API_BRIDGE_H
#define ALFUP_API_BRIDGE_H

#include "alfup_error.h"
#include "api_request.h"

typedef struct api_bridge api_bridge_t;

/* Answers one request: the HTTP status, and *body a malloc'd JSON text (NULL: out of memory). */
typedef unsigned (*api_bridge_answer_fn)(void *arg, const api_request_t *request, char **body);

/* Binds a ROUTER on API_BRIDGE_ENDPOINT in zmq_context. NULL with err. */
api_bridge_t *api_bridge_new(void *zmq_context, api_bridge_answer_fn answer, void *arg, alfup_err_t *err);

void api_bridge_destroy(api_bridge_t **bridge_p);

/* The socket to poll for ZMQ_POLLIN. */
void *api_bridge_socket(api_bridge_t *bridge);

/* Answers every request waiting (never blocks: the answers go to an inproc peer that reads them). */
void api_bridge_handle_input(api_bridge_t *bridge);

#endif
