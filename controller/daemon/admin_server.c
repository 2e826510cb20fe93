/* admin_server.c -- line requests over a Unix socket; replies "exit N\n" + text, then close.
 * Nothing here blocks the daemon's loop: replies are buffered and written as the socket takes
 * them, and a client that sends no request, or takes no reply bytes, for a while is dropped. */
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

#include "message.h"
#include "log.h"

#define COMPONENT "admin"
#define REPLY_HEADER_MAX 32

typedef struct admin_client {
    int fd;
    uint64_t id;
    char request[ADMIN_REQUEST_MAX];
    size_t used;
    int answered_later;   /* the request is complete; a reply is pending or being written */
    char *reply;          /* non-NULL: "exit N\n" + text, written from reply_sent on */
    size_t reply_len, reply_sent;
    uint64_t deadline_ms; /* monotonic: dropped then while its request is read or its reply written */
    unsigned uid;         /* the client process's user (SO_PEERCRED), for the audit trail */
} admin_client_t;

struct admin_server {
    int fd;
    char *path;
    admin_request_fn on_request;
    void *arg;
    admin_client_t clients[ADMIN_MAX_CLIENTS];
    uint64_t next_id;
    uint64_t timeout_ms;
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
    s->timeout_ms = ADMIN_CLIENT_TIMEOUT_MS;
    s->fd = bind_socket(path, err);
    if (s->fd < 0) {
        free(s->path);
        free(s);
        return NULL;
    }
    return s;
}

void admin_server_set_timeout(admin_server_t *s, uint64_t timeout_ms)
{
    s->timeout_ms = timeout_ms;
}

static void drop_client(admin_client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->reply);
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
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS && n < max; i++) {
        const admin_client_t *c = &s->clients[i];
        if (c->fd >= 0 && (c->reply || !c->answered_later))
            items[n++] = (zmq_pollitem_t){.fd = c->fd, .events = c->reply ? ZMQ_POLLOUT : ZMQ_POLLIN};
    }
    return n;
}

static int peer_allowed(int fd, unsigned *uid)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return 0;
    *uid = (unsigned)cred.uid;
    return cred.uid == 0 || cred.uid == geteuid();
}

static void accept_clients(admin_server_t *s)
{
    int fd;
    while ((fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        admin_client_t *slot = NULL;
        unsigned uid = 0;
        for (size_t i = 0; i < ADMIN_MAX_CLIENTS && slot == NULL; i++)
            if (s->clients[i].fd < 0)
                slot = &s->clients[i];
        if (slot == NULL || !peer_allowed(fd, &uid)) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "admin client refused: %s",
                      slot ? "not the daemon's user" : "too many clients");
            close(fd);
            continue;
        }
        memset(slot, 0, sizeof *slot);
        slot->fd = fd;
        slot->id = s->next_id++;
        slot->uid = uid;
        slot->deadline_ms = alfup_now_mono_ms() + s->timeout_ms; /* the whole request by then */
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

/* Writes what the socket takes of c's reply now. 1 when all of it is written (or the client
 * went away): the client is done; 0 when some is left for a later pass. */
static int flush_reply(admin_server_t *s, admin_client_t *c)
{
    while (c->reply_sent < c->reply_len) {
        ssize_t n = send(c->fd, c->reply + c->reply_sent, c->reply_len - c->reply_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "admin client %llu: reply not delivered: %s",
                      (unsigned long long)c->id, n < 0 ? strerror(errno) : "closed");
            return 1;
        }
        c->reply_sent += (size_t)n;
        c->deadline_ms = alfup_now_mono_ms() + s->timeout_ms; /* it reads: give it more time */
    }
    return 1;
}

/* A client still sending its request, or not taking its reply, past its deadline. A client
 * whose request the daemon is still answering (ping, status --wait) never expires. */
static void expire_client(admin_client_t *c, uint64_t now)
{
    if ((c->reply || !c->answered_later) && now >= c->deadline_ms) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "admin client %llu dropped: %s", (unsigned long long)c->id,
                  c->reply ? "it does not read its reply" : "no complete request in time");
        drop_client(c);
    }
}

void admin_server_handle_input(admin_server_t *s)
{
    accept_clients(s);
    uint64_t now = alfup_now_mono_ms();
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++) {
        admin_client_t *c = &s->clients[i];
        if (c->fd >= 0 && c->reply && flush_reply(s, c))
            drop_client(c);
        else if (c->fd >= 0 && !c->answered_later)
            read_client(s, c);
        if (c->fd >= 0)
            expire_client(c, now);
    }
}

int admin_server_reply(admin_server_t *s, uint64_t client_id, int exit_code, const char *text)
{
    admin_client_t *c = NULL;
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS && c == NULL; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].id == client_id && !s->clients[i].reply)
            c = &s->clients[i];
    if (c == NULL)
        return -1;
    size_t text_len = strlen(text);
    c->reply = malloc(REPLY_HEADER_MAX + text_len);
    if (c->reply == NULL) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "admin client %llu: out of memory for a %zu-byte reply",
                  (unsigned long long)c->id, text_len);
        drop_client(c);
        return -1;
    }
    int header_len = snprintf(c->reply, REPLY_HEADER_MAX, "exit %d\n", exit_code);
    memcpy(c->reply + header_len, text, text_len);
    c->reply_len = (size_t)header_len + text_len;
    c->answered_later = 1;
    c->deadline_ms = alfup_now_mono_ms() + s->timeout_ms;
    if (flush_reply(s, c))
        drop_client(c);
    return 0;
}

int admin_server_client_uid(const admin_server_t *s, uint64_t client_id, unsigned *uid)
{
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].id == client_id)
            return *uid = s->clients[i].uid, 0;
    return -1;
}
