/* bench_channel.c -- load client for the control-plane benchmark: N agent sessions from one
 * process, either real TLS agents (channel_client, one certificate each) answering the
 * controller's ping steps, or plain ZeroMQ DEALERs echoing bench_channel_echo's frames.
 *
 *   bench_channel tls  ENDPOINT CERT_DIR N   -- agents a0001..aNNNN (CERT_DIR/aNNNN.pem/.key)
 *   bench_channel echo ENDPOINT N            -- plain DEALERs, no TLS
 *
 * Prints "connected N in S s (setup T s)" once every session is up (TLS: handshake verified;
 * echo: the server's welcome received), then serves until SIGTERM/SIGINT. S runs from the end
 * of setup (all sessions created, which for TLS means N certificate contexts loaded) to the
 * last session up: what a controller restart costs when N running agents reconnect at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench_channel_agents.h"
#include "message.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int usage(void)
{
    fputs("usage: bench_channel tls ENDPOINT CERT_DIR N | bench_channel echo ENDPOINT N\n", stderr);
    return 2;
}

static unsigned parse_count(const char *text)
{
    char *end = NULL;
    unsigned long n = strtoul(text, &end, 10);
    return (end == text || *end || n == 0 || n > BENCH_AGENTS_MAX) ? 0u : (unsigned)n;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    int tls = strcmp(argv[1], "tls") == 0;
    if (!tls && strcmp(argv[1], "echo") != 0)
        return usage();
    if (tls && argc != 5)
        return usage();
    unsigned count = parse_count(argv[tls ? 4 : 3]);
    if (count == 0)
        return usage();
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    void *ctx = zmq_ctx_new();
    /* each TLS agent owns a DEALER, a monitor PAIR and the monitor's own PAIR */
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)(count * 4 + 64));
    bench_agents_t *agents = tls ? bench_agents_new_tls(ctx, argv[2], argv[3], count)
                                 : bench_agents_new_echo(ctx, argv[2], count);
    int rc = 1;
    if (agents != NULL) {
        rc = bench_agents_run(agents, &stop_flag) == 0 ? 0 : 1;
        bench_agents_destroy(&agents);
    }
    zmq_ctx_term(ctx);
    return rc;
}
