/* test_admin_server.c -- the controller's admin socket against real Unix-socket clients: a client
 * that never reads a large reply and clients that never send do not stall the loop that serves
 * it, and idle clients lose their slots after the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_server.h"
#include "message.h"

#define BIG_REPLY_BYTES (4u * 1024u * 1024u) /* far beyond a Unix socket's send buffer */
/* Long enough that connecting 33 clients takes far less, even under valgrind. */
#define TEST_TIMEOUT_MS 2000u
/* "Promptly": a loop pass, or an answer to a waiting client, within this; the old code blocked
 * 5 s per write. Generous for a loaded machine or valgrind, well below what a stall costs. */
#define PROMPT_MS 3000u
#define POLL_ITEMS_MAX (ADMIN_MAX_CLIENTS + 1)

typedef struct world {
    char dir[32];
    char path[64];
    admin_server_t *server;
    char *big;
    uint64_t slowest_pass_ms; /* the longest admin_server_handle_input call */
} world_t;

static void on_request(void *arg, uint64_t client_id, int argc, char **argv)
{
    world_t *w = arg;
    if (argc >= 1 && strcmp(argv[0], "big") == 0)
        admin_server_reply(w->server, client_id, 0, w->big);
    else
        admin_server_reply(w->server, client_id, 0, "hello\n");
}

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/alfup-admin-XXXXXX");
    if (w == NULL || mkdtemp(w->dir) == NULL)
        return -1;
    snprintf(w->path, sizeof w->path, "%s/admin.sock", w->dir);
    w->big = malloc(BIG_REPLY_BYTES + 1);
    memset(w->big, 'x', BIG_REPLY_BYTES);
    w->big[BIG_REPLY_BYTES] = '\0';
    alfup_err_t err;
    w->server = admin_server_new(w->path, on_request, w, &err);
    if (w->server == NULL)
        fail_msg("admin_server_new: %s", err.msg);
    admin_server_set_timeout(w->server, TEST_TIMEOUT_MS);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    admin_server_destroy(&w->server);
    rmdir(w->dir);
    free(w->big);
    free(w);
    return 0;
}

/* One pass of the daemon's loop, as controller_daemon.c runs it (poll, then handle). */
static void loop_pass(world_t *w)
{
    zmq_pollitem_t items[POLL_ITEMS_MAX];
    int count = admin_server_poll_items(w->server, items, POLL_ITEMS_MAX);
    if (zmq_poll(items, count, 10) < 0 && zmq_errno() != EINTR)
        fail_msg("zmq_poll: %s", zmq_strerror(zmq_errno()));
    uint64_t start = alfup_now_mono_ms();
    admin_server_handle_input(w->server);
    uint64_t took = alfup_now_mono_ms() - start;
    w->slowest_pass_ms = took > w->slowest_pass_ms ? took : w->slowest_pass_ms;
}

static void loop_for(world_t *w, uint64_t ms)
{
    uint64_t end = alfup_now_mono_ms() + ms;
    while (alfup_now_mono_ms() < end)
        loop_pass(w);
}

static int connect_client(const world_t *w)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", w->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        fail_msg("connect %s: %s", w->path, strerror(errno));
    return fd;
}

static void send_line(int fd, const char *line)
{
    assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
}

/* Runs the loop until fd has the whole answer (the server closed it) or limit_ms passed; the
 * answer goes into buf. Returns the bytes read, or -1 when it did not end in time. */
static ssize_t await_answer(world_t *w, int fd, char *buf, size_t len, uint64_t limit_ms)
{
    size_t used = 0;
    uint64_t end = alfup_now_mono_ms() + limit_ms;
    while (alfup_now_mono_ms() < end) {
        loop_pass(w);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            continue;
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n <= 0) {
            buf[used] = '\0';
            return (ssize_t)used;
        }
        used += (size_t)n;
    }
    return -1;
}

/* A client asks for a 16 MiB reply and never reads: the loop is not held up (every pass is
 * quick), another client is answered at once, and the reader is dropped after the timeout. */
static void test_unread_large_reply_does_not_stall_the_loop(void **state)
{
    world_t *w = *state;
    int hog = connect_client(w), idle = connect_client(w);
    send_line(hog, "big\n");
    loop_for(w, 50);
    uint64_t start = alfup_now_mono_ms();
    int other = connect_client(w);
    send_line(other, "small\n");
    char answer[256];
    ssize_t got = await_answer(w, other, answer, sizeof answer, PROMPT_MS);
    uint64_t took = alfup_now_mono_ms() - start;
    if (got < 0 || strcmp(answer, "exit 0\nhello\n") != 0)
        fail_msg("the other client got no answer within %u ms (%zd bytes)", PROMPT_MS, got);
    if (w->slowest_pass_ms >= PROMPT_MS)
        fail_msg("a loop pass took %llu ms: the unread reply blocked it", (unsigned long long)w->slowest_pass_ms);
    printf("  answered in %llu ms beside a client not reading a %u-byte reply; slowest pass %llu ms\n",
           (unsigned long long)took, BIG_REPLY_BYTES, (unsigned long long)w->slowest_pass_ms);
    /* the hog and the idle client time out: both see the end of their connection */
    loop_for(w, TEST_TIMEOUT_MS + 200);
    char *sink = malloc(BIG_REPLY_BYTES);
    size_t hog_bytes = 0;
    ssize_t n;
    while ((n = read(hog, sink, BIG_REPLY_BYTES)) > 0)
        hog_bytes += (size_t)n;
    free(sink);
    assert_int_equal(n, 0);
    assert_true(hog_bytes < BIG_REPLY_BYTES); /* cut off, not delivered */
    assert_int_equal(read(idle, answer, sizeof answer), 0);
    close(hog);
    close(idle);
    close(other);
}

/* Clients that connect and never send hold every slot: a new client is refused; after the
 * timeout their slots are free and a new client is answered. */
static void test_idle_clients_lose_their_slots(void **state)
{
    world_t *w = *state;
    int idle[ADMIN_MAX_CLIENTS];
    uint64_t first = alfup_now_mono_ms();
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++)
        idle[i] = connect_client(w);
    loop_for(w, 50);
    if (alfup_now_mono_ms() - first >= TEST_TIMEOUT_MS / 2)
        fail_msg("connecting %u clients took %llu ms: the machine is too slow for this timeout", ADMIN_MAX_CLIENTS,
                 (unsigned long long)(alfup_now_mono_ms() - first));
    int refused = connect_client(w);
    send_line(refused, "small\n");
    char answer[256];
    ssize_t got = await_answer(w, refused, answer, sizeof answer, PROMPT_MS);
    assert_int_equal(got, 0); /* closed without an answer: no slot */
    close(refused);
    uint64_t start = alfup_now_mono_ms();
    int later = -1;
    do {
        if (later >= 0)
            close(later);
        later = connect_client(w);
        send_line(later, "small\n");
        got = await_answer(w, later, answer, sizeof answer, PROMPT_MS);
    } while (got <= 0 && alfup_now_mono_ms() - start < TEST_TIMEOUT_MS + 5 * PROMPT_MS);
    if (got <= 0 || strcmp(answer, "exit 0\nhello\n") != 0)
        fail_msg("no slot was freed %llu ms after the %u ms timeout", (unsigned long long)(alfup_now_mono_ms() - start),
                 TEST_TIMEOUT_MS);
    for (size_t i = 0; i < ADMIN_MAX_CLIENTS; i++) {
        assert_int_equal(read(idle[i], answer, sizeof answer), 0); /* dropped */
        close(idle[i]);
    }
    close(later);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unread_large_reply_does_not_stall_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_clients_lose_their_slots, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
