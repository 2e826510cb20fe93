/* hostile_peer.c -- a hostile client for the controller's channel port: hundreds of half-finished
 * TLS handshakes, data before the handshake, oversized frames. Loopback test tool only.
 *   hostile_peer ENDPOINT half-open|sustained|garbage|oversized COUNT HOLD_MS
 * "sustained" is half-open that keeps the pressure on: every connection starts a fresh handshake
 * (a new epoch) every SUSTAIN_INTERVAL_MS while it holds, so expired slots are taken again at once.
 * Opens COUNT connections (one DEALER socket each), sends its flight on each, holds them open for
 * HOLD_MS while noting how the controller answered each, then closes them all and prints
 * "MODE: connections=N answered=A handshakes=H refusals=R": A connections got any frame, H got
 * TLS handshake records (a session was started for them), R got only refusals (RESET frames or
 * TLS alerts). Once every flight is queued, before it holds, it prints "MODE: flights sent" (flushed:
 * a test polls for it). Exits non-zero only when it could not do its part. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

#include "wire_frame.h"

#define CONNECTIONS_MAX 4000
#define GARBAGE_BYTES 300
#define OVERSIZED_BYTES (WIRE_FRAME_MAX + 64u * 1024u)
#define FDS_PER_CONNECTION 3
#define POLL_SLICE_MS 100
#define HOSTILE_EPOCH 7u
#define SUSTAIN_INTERVAL_MS 500
#define TLS_RECORD_ALERT 0x15
#define TLS_RECORD_HANDSHAKE 0x16

enum { ANSWER_NONE = 0, ANSWER_REFUSAL = 1, ANSWER_HANDSHAKE = 2 };

typedef struct flood {
    const char *mode;
    SSL_CTX *tls;
    uint32_t epoch;
    void *zmq;
    void **sockets;
    int *answer; /* ANSWER_* per connection: the strongest answer seen */
    int count;
} flood_t;

static int send_frame(void *socket, int type, uint32_t epoch, const uint8_t *payload, size_t len)
{
    uint8_t *frame = malloc(WIRE_HEADER_BYTES + len);
    if (frame == NULL)
        return -1;
    wire_frame_header(type, epoch, frame);
    if (len)
        memcpy(frame + WIRE_HEADER_BYTES, payload, len);
    int rc = zmq_send(socket, frame, WIRE_HEADER_BYTES + len, 0) < 0 ? -1 : 0;
    free(frame);
    return rc;
}

/* A fresh TLS 1.3 ClientHello, as a real agent's first flight would carry; the handshake is
 * never continued. Returns its length, 0 on failure. */
static size_t client_hello(SSL_CTX *ctx, uint8_t *buf, size_t cap)
{
    SSL *ssl = SSL_new(ctx);
    BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
    size_t len = 0;
    if (ssl == NULL || rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        SSL_free(ssl);
        return 0;
    }
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_connect_state(ssl);
    if (SSL_do_handshake(ssl) <= 0 && SSL_get_error(ssl, -1) == SSL_ERROR_WANT_READ) {
        int n = BIO_read(wbio, buf, (int)cap);
        len = n > 0 ? (size_t)n : 0;
    }
    SSL_free(ssl);
    return len;
}

/* The flight of one hostile connection. */
static int send_flight(void *socket, const char *mode, SSL_CTX *tls, uint32_t epoch)
{
    if (strcmp(mode, "half-open") == 0 || strcmp(mode, "sustained") == 0) {
        uint8_t hello[4096];
        size_t len = client_hello(tls, hello, sizeof hello);
        return len ? send_frame(socket, WIRE_FRAME_TLS, epoch, hello, len) : -1;
    }
    if (strcmp(mode, "garbage") == 0) {
        uint8_t garbage[GARBAGE_BYTES];
        for (size_t i = 0; i < sizeof garbage; i++)
            garbage[i] = (uint8_t)(i * 37u + 11u);
        const uint8_t app_data[] = {0x17, 0x03, 0x03, 0x00, 0x10, 1, 2, 3, 4, 5, 6, 7, 8};
        const uint8_t short_frame[] = {WIRE_FRAME_TLS, 0};
        if (send_frame(socket, WIRE_FRAME_TLS, epoch, garbage, sizeof garbage) != 0 ||   /* not TLS */
            send_frame(socket, WIRE_FRAME_TLS, epoch, app_data, sizeof app_data) != 0 || /* data, no handshake */
            send_frame(socket, WIRE_FRAME_RESET, epoch, garbage, 3) != 0 ||              /* reset with payload */
            send_frame(socket, 0x7f, epoch, garbage, 16) != 0)                           /* unknown type */
            return -1;
        return zmq_send(socket, short_frame, sizeof short_frame, 0) < 0 ? -1 : 0;
    }
    if (strcmp(mode, "oversized") == 0) {
        uint8_t *big = calloc(1, OVERSIZED_BYTES);
        if (big == NULL)
            return -1;
        big[0] = 0x16; /* looks like a handshake record */
        int rc = send_frame(socket, WIRE_FRAME_TLS, epoch, big, OVERSIZED_BYTES);
        free(big);
        return rc;
    }
    fprintf(stderr, "hostile_peer: unknown mode %s\n", mode);
    return -1;
}

/* Connects every socket first, then sends all the flights in one quick pass, so the whole flood
 * reaches the controller well inside its handshake timeout. */
static int open_connections(flood_t *f, const char *endpoint)
{
    int linger = 0;
    for (int i = 0; i < f->count; i++) {
        f->sockets[i] = zmq_socket(f->zmq, ZMQ_DEALER);
        if (f->sockets[i] == NULL) {
            fprintf(stderr, "hostile_peer: socket %d: %s\n", i, zmq_strerror(errno));
            return -1;
        }
        zmq_setsockopt(f->sockets[i], ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(f->sockets[i], endpoint) != 0) {
            fprintf(stderr, "hostile_peer: connect %d: %s\n", i, zmq_strerror(errno));
            return -1;
        }
    }
    for (int i = 0; i < f->count; i++) {
        if (send_flight(f->sockets[i], f->mode, f->tls, f->epoch) != 0) {
            fprintf(stderr, "hostile_peer: connection %d: %s\n", i, zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* What one frame from the controller was. */
static int classify(const uint8_t *frame, int len)
{
    if (len >= (int)WIRE_HEADER_BYTES + 1 && frame[0] == WIRE_FRAME_TLS && frame[WIRE_HEADER_BYTES] != TLS_RECORD_ALERT)
        return ANSWER_HANDSHAKE;
    return ANSWER_REFUSAL;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Holds every connection open for hold_ms, noting how the controller answered each. */
static int hold(flood_t *f, long hold_ms)
{
    zmq_pollitem_t *items = calloc((size_t)f->count, sizeof *items);
    if (items == NULL)
        return -1;
    long start = now_ms(), next_flight = start + SUSTAIN_INTERVAL_MS;
    while (now_ms() - start < hold_ms) {
        if (strcmp(f->mode, "sustained") == 0 && now_ms() >= next_flight) {
            next_flight += SUSTAIN_INTERVAL_MS;
            f->epoch++;
            for (int i = 0; i < f->count; i++)
                if (send_flight(f->sockets[i], f->mode, f->tls, f->epoch) != 0)
                    break;
        }
        for (int i = 0; i < f->count; i++)
            items[i] = (zmq_pollitem_t){.socket = f->sockets[i], .events = ZMQ_POLLIN};
        if (zmq_poll(items, f->count, POLL_SLICE_MS) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < f->count; i++) {
            uint8_t buf[WIRE_FRAME_MAX];
            int len;
            while ((len = zmq_recv(f->sockets[i], buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
                int kind = classify(buf, len);
                if (kind > f->answer[i])
                    f->answer[i] = kind;
            }
        }
    }
    free(items);
    return 0;
}

/* Loopback only: tcp://127.x.x.x:PORT, or with a source address, tcp://127.a.b.c:0;127.x.x.x:PORT
 * (ZeroMQ's syntax) so the flood comes from another loopback address than the agents. */
static int loopback_endpoint(const char *endpoint)
{
    const char *dest = strchr(endpoint, ';');
    return strncmp(endpoint, "tcp://127.", 10) == 0 && (dest == NULL || strncmp(dest + 1, "127.", 4) == 0);
}

static void raise_fd_limit(int connections)
{
    struct rlimit limit;
    rlim_t want = (rlim_t)connections * FDS_PER_CONNECTION + 64;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < want) {
        limit.rlim_cur = limit.rlim_max < want ? limit.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5 || !loopback_endpoint(argv[1])) {
        fprintf(stderr, "usage: hostile_peer tcp://[127.x.x.x:0;]127.x.x.x:PORT "
                        "half-open|sustained|garbage|oversized COUNT HOLD_MS\n");
        return 2;
    }
    flood_t f = {.mode = argv[2], .epoch = HOSTILE_EPOCH, .count = atoi(argv[3])};
    long hold_ms = atol(argv[4]);
    if (f.count <= 0 || f.count > CONNECTIONS_MAX || hold_ms < 0)
        return fprintf(stderr, "hostile_peer: bad COUNT or HOLD_MS\n"), 2;
    raise_fd_limit(f.count);
    int rc = 1, answered = 0, handshakes = 0;
    SSL_CTX *tls = f.tls = SSL_CTX_new(TLS_client_method());
    f.zmq = zmq_ctx_new();
    f.sockets = calloc((size_t)f.count, sizeof *f.sockets);
    f.answer = calloc((size_t)f.count, sizeof *f.answer);
    if (tls == NULL || f.zmq == NULL || f.sockets == NULL || f.answer == NULL ||
        SSL_CTX_set_min_proto_version(tls, TLS1_3_VERSION) != 1 ||
        zmq_ctx_set(f.zmq, ZMQ_MAX_SOCKETS, f.count + 16) != 0)
        goto out;
    if (open_connections(&f, argv[1]) != 0)
        goto out;
    printf("%s: flights sent\n", argv[2]);
    fflush(stdout);
    if (hold(&f, hold_ms) != 0)
        goto out;
    for (int i = 0; i < f.count; i++) {
        answered += f.answer[i] != ANSWER_NONE;
        handshakes += f.answer[i] == ANSWER_HANDSHAKE;
    }
    printf("%s: connections=%d answered=%d handshakes=%d refusals=%d\n", argv[2], f.count, answered, handshakes,
           answered - handshakes);
    rc = 0;
out:
    for (int i = 0; f.sockets && i < f.count; i++)
        if (f.sockets[i])
            zmq_close(f.sockets[i]);
    if (f.zmq)
        zmq_ctx_term(f.zmq);
    free(f.sockets);
    free(f.answer);
    SSL_CTX_free(tls);
    return rc;
}
