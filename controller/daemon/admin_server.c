/* admin_server.c -- line requests over a Unix socket; replies "exit N\n" + text, then close. */
#include "admin_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define COMPONENT "admin"
#define ADMIN_SEND_TIMEOUT_S 5

typedef struct admin_client {
    int fd;
    uint64_t id;
    char request[ADMIN_REQUEST_MAX];
    size_t used;
    int answered_later;   /* the request is complete; a reply is pending */
} admin_client_t;

struct admin_server {
    int fd;
    char *path;
    admin_request_fn on_request;
    void *arg;
    admin_client_t clients[ADMIN_MAX_CLIENTS];
    uint64_t next_id;
};

static int bind_socket(const char *path, alfup_err_t *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return alfup_err_set(err, "admin socket %s: path too long", path);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return alfup_err_set(err, "admin socket %s: exists and is not a socket; not replacing it", path);
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return alfup_err_errno(err, errno, "admin socket %s", path);
    mode_t old_mask = umask(0177);
    int bound = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    umask(old_mask);
    if (bound != 0 || chmod(path, 0600) != 0 || listen(fd, ADMIN_MAX_CLIENTS) != 0) {
        int saved = errno;
        close(fd);
        return alfup_err_errno(err, saved, "admin socket %s", path);
    }
    return fd;
}

admin_server_t *admin_server_new(const char *path, admin_request_fn on_request, void *arg, alfup_err_t *err)
{
    admin_server_t *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return alfup_err_set(err, "admin: out of memory"), NULL;
    }
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    s->on_request = on_request;
    s->arg = arg;
    s->next_id = 1;
    s->fd = bind_socket(path, err);
    if (s->fd < 0) {
        free(s->path);
        free(s);
        return NULL;
    }
    return s;
}

static void drop_client(admin_client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

void admin_server_destroy(admin_server_t **server_p)
{
    if (server_p == NULL || *server_p == NULL)
        return;
    admin_server_t *s = *server_p;
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++)
        drop_client(&s->clients[i]);
    close(s->fd);
    unlink(s->path);
    free(s->path);
    free(s);
    *server_p = NULL;
}

int admin_server_poll_items(admin_server_t *s, zmq_pollitem_t *items, int max)
{
    int n = 0;
    if (n < max)
        items[n++] = (zmq_pollitem_t){.fd = s->fd, .events = ZMQ_POLLIN};
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS && n < max; i++)
        if (s->clients[i].fd >= 0 && !s->clients[i].answered_later)
            items[n++] = (zmq_pollitem_t){.fd = s->clients[i].fd, .events = ZMQ_POLLIN};
    return n;
}

static int peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return 0;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void accept_clients(admin_server_t *s)
{
    int fd;
    while ((fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        admin_client_t *slot = NULL;
        for (size_t i = 0; i < ADMIN_MAX_CLIENTS && slot == NULL; i++)
            if (s->clients[i].fd < 0)
                slot = &s->clients[i];
        if (slot == NULL || !peer_allowed(fd)) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "admin client refused: %s",
                      slot ? "not the daemon's user" : "too many clients");
            close(fd);
            continue;
        }
        memset(slot, 0, sizeof *slot);
        slot->fd = fd;
        slot->id = s->next_id++;
    }
}

static void run_request(admin_server_t *s, admin_client_t *c)
{
    char *argv[ADMIN_WORDS_MAX + 1];
    int argc = 0;
    char *save = NULL;
    for (char *word = strtok_r(c->request, " \t", &save); word && argc < ADMIN_WORDS_MAX;
         word = strtok_r(NULL, " \t", &save))
        argv[argc++] = word;
    argv[argc] = NULL;
    c->answered_later = 1;
    s->on_request(s->arg, c->id, argc, argv);
}

static void read_client(admin_server_t *s, admin_client_t *c)
{
    ssize_t n = read(c->fd, c->request + c->used, sizeof c->request - 1 - c->used);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        drop_client(c);
        return;
    }
    c->used += (size_t)n;
    c->request[c->used] = '\0';
    char *newline = strchr(c->request, '\n');
    if (newline != NULL) {
        *newline = '\0';
        run_request(s, c);
    } else if (c->used == sizeof c->request - 1) {
        admin_server_reply(s, c->id, 2, "request too long\n");
    }
}

void admin_server_handle_input(admin_server_t *s)
{
    accept_clients(s);
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && !s->clients[i].answered_later)
            read_client(s, &s->clients[i]);
}

static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

int admin_server_reply(admin_server_t *s, uint64_t client_id, int exit_code, const char *text)
{
    admin_client_t *c = NULL;
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS && c == NULL; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].id == client_id)
            c = &s->clients[i];
    if (c == NULL)
        return -1;
    int flags = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
    struct timeval timeout = {.tv_sec = ADMIN_SEND_TIMEOUT_S};
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    char header[32];
    int header_len = snprintf(header, sizeof header, "exit %d\n", exit_code);
    int rc = write_all(c->fd, header, (size_t)header_len) == 0 && write_all(c->fd, text, strlen(text)) == 0 ? 0 : -1;
    drop_client(c);
    return rc;
}
