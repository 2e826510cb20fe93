/* standin_http.c -- a tiny bounded HTTP/1.x GET server on one thread, for the stand-ins' probes. */
#include "standin_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_POLL_MS 200
#define LISTEN_BACKLOG 16
#define TARGET_MAX 2048      /* matches the %2048s below */

struct standin_http {
    int fd;
    pthread_t thread;
    atomic_int stop;
    standin_http_fn fn;
    void *arg;
};

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void respond(int fd, int status, const char *body)
{
    char head[256];
    size_t len = strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, reason(status), len);
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
        (void)send(fd, body, len, MSG_NOSIGNAL);
}

/* Reads the request head; returns its length, 0 when too large, -1 on error. */
static ssize_t read_head(int fd, char *buf, size_t max)
{
    size_t used = 0;
    while (used < max) {
        ssize_t n = recv(fd, buf + used, max - used, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        used += (size_t)n;
        buf[used] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
            return (ssize_t)used;
    }
    return 0;
}

static void serve_one(standin_http_t *http, int fd)
{
    char request[STANDIN_HTTP_REQUEST_MAX + 1], body[STANDIN_HTTP_BODY_MAX] = "";
    char method[16], target[TARGET_MAX + 1], version[16];
    ssize_t n = read_head(fd, request, STANDIN_HTTP_REQUEST_MAX);
    if (n < 0)
        return;
    if (n == 0) {
        respond(fd, 431, "{}");
        return;
    }
    if (sscanf(request, "%15s %2048s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/') {
        respond(fd, 400, "{}");
        return;
    }
    if (strcmp(method, "GET") != 0) {
        respond(fd, 405, "{}");
        return;
    }
    int status = http->fn(http->arg, target, body, sizeof body);
    respond(fd, status, body);
}

static void *serve(void *arg)
{
    standin_http_t *http = arg;
    while (!atomic_load(&http->stop)) {
        struct pollfd pfd = {.fd = http->fd, .events = POLLIN};
        if (poll(&pfd, 1, ACCEPT_POLL_MS) <= 0)
            continue;
        int client = accept4(http->fd, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0)
            continue;
        struct timeval tv = {.tv_sec = STANDIN_HTTP_READ_TIMEOUT_S};
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        serve_one(http, client);
        close(client);
    }
    return NULL;
}

static int listen_on(const char *bind_addr, unsigned port, char *why, size_t why_len)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port == 0 || port > 65535 || inet_pton(AF_INET, bind_addr, &addr.sin_addr) != 1) {
        snprintf(why, why_len, "bad address %s:%u", bind_addr, port);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(why, why_len, "%s:%u: %s", bind_addr, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

standin_http_t *standin_http_start(const char *bind_addr, unsigned port, standin_http_fn fn,
                                   void *arg, char *why, size_t why_len)
{
    standin_http_t *http = calloc(1, sizeof *http);
    if (http == NULL) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    http->fn = fn;
    http->arg = arg;
    http->fd = listen_on(bind_addr, port, why, why_len);
    if (http->fd < 0) {
        free(http);
        return NULL;
    }
    if (pthread_create(&http->thread, NULL, serve, http) != 0) {
        snprintf(why, why_len, "cannot start the server thread");
        close(http->fd);
        free(http);
        return NULL;
    }
    return http;
}

void standin_http_stop(standin_http_t **http_p)
{
    if (http_p == NULL || *http_p == NULL)
        return;
    standin_http_t *http = *http_p;
    atomic_store(&http->stop, 1);
    pthread_join(http->thread, NULL);
    close(http->fd);
    free(http);
    *http_p = NULL;
}
