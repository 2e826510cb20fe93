/* standin_http.h -- a tiny bounded HTTP/1.x GET server on one thread, for the stand-ins' probes. */
#ifndef STANDIN_HTTP_H
#define STANDIN_HTTP_H

#include <stddef.h>

/* Longest request head read; a longer one gets 431 and is dropped. */
#define STANDIN_HTTP_REQUEST_MAX 8192u
#define STANDIN_HTTP_BODY_MAX 4096u
/* A client that sends nothing for this long is dropped. */
#define STANDIN_HTTP_READ_TIMEOUT_S 2

/* Answers a GET of path (the request target, query included) by writing a
 * body of at most body_max - 1 bytes into body; returns the HTTP status. */
typedef int (*standin_http_fn)(void *arg, const char *path, char *body, size_t body_max);

typedef struct standin_http standin_http_t;

/* Listens on bind_addr (IPv4 literal):port and serves on a new thread, one
 * connection at a time, "Connection: close". Returns NULL with a reason in
 * why when the socket cannot be bound. Stop with standin_http_stop. */
standin_http_t *standin_http_start(const char *bind_addr, unsigned port, standin_http_fn fn,
                                   void *arg, char *why, size_t why_len);

/* Stops the thread, closes the socket, frees, sets *http_p to NULL. */
void standin_http_stop(standin_http_t **http_p);

#endif
