/* bench_channel_echo.c -- the plain-ZeroMQ baseline of the control-plane benchmark: a ROUTER
 * (no TLS, no journal) that waits for N echo agents (bench_channel echo), then runs ROUNDS
 * fan-outs: one frame to every agent, wait for every echo. Each round prints one JSON line in
 * the form of `alfup-controller ping --json` ({"agents":[{"name","status","rtt_ms"}]}), where
 * rtt_ms runs from the start of the fan-out to that agent's answer, as the controller's does.
 *
 *   bench_channel_echo ENDPOINT N ROUNDS [PAYLOAD_BYTES]
 *
 * Prints "rss_kib R hwm_kib H cpu_ms C" (this process) before the agents join and after the
 * last round, and "joined N" one second before the first round. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_channel_agents.h"
#include "message.h"
#include "ping_waits.h"

#define RID_MAX 256
#define PAYLOAD_DEFAULT 128u
#define PAYLOAD_MAX 4096u
#define HEADER_BYTES 8u   /* round (u32) + agent index (u32) */
#define ROUND_TIMEOUT_US (PING_TIMEOUT_MS * 1000ull)

typedef struct peer {
    uint8_t rid[RID_MAX];
    size_t rid_len;
    uint64_t answered_us;
} peer_t;

typedef struct echo_server {
    void *socket;
    peer_t *peers;
    unsigned count, joined;
    size_t payload_len;
} echo_server_t;

/* Receives [routing id][data] into rid/data; -1 on timeout or error. */
static int receive(echo_server_t *s, zmq_msg_t *rid, zmq_msg_t *data, long timeout_ms)
{
    zmq_pollitem_t item = {.socket = s->socket, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return -1;
    if (zmq_msg_recv(rid, s->socket, 0) < 0 || !zmq_msg_more(rid) || zmq_msg_recv(data, s->socket, 0) < 0)
        return -1;
    return zmq_msg_size(rid) <= RID_MAX ? 0 : -1;
}

static int send_to(echo_server_t *s, const uint8_t *rid, size_t rid_len, const void *data, size_t len)
{
    if (zmq_send(s->socket, rid, rid_len, ZMQ_SNDMORE) < 0)
        return -1;
    return zmq_send(s->socket, data, len, 0) < 0 ? -1 : 0;
}

/* Waits until every agent said hello (each gets a welcome). */
static int wait_for_agents(echo_server_t *s)
{
    while (s->joined < s->count) {
        zmq_msg_t rid, data;
        zmq_msg_init(&rid);
        zmq_msg_init(&data);
        int ok = receive(s, &rid, &data, 120000) == 0 && zmq_msg_size(&data) == strlen(BENCH_ECHO_HELLO);
        if (ok) {
            peer_t *p = &s->peers[s->joined++];
            p->rid_len = zmq_msg_size(&rid);
            memcpy(p->rid, zmq_msg_data(&rid), p->rid_len);
            ok = send_to(s, p->rid, p->rid_len, BENCH_ECHO_WELCOME, strlen(BENCH_ECHO_WELCOME)) == 0;
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&data);
        if (!ok) {
            fprintf(stderr, "bench_channel_echo: only %u of %u agents joined\n", s->joined, s->count);
            return -1;
        }
    }
    return 0;
}

/* Takes one echo of round; 0 when it was one, -1 on timeout. */
static int take_answer(echo_server_t *s, uint32_t round, uint64_t deadline_us, unsigned *answered)
{
    uint64_t now = ping_now_us();
    if (now >= deadline_us)
        return -1;
    zmq_msg_t rid, data;
    zmq_msg_init(&rid);
    zmq_msg_init(&data);
    int rc = receive(s, &rid, &data, (long)((deadline_us - now) / 1000u) + 1);
    if (rc == 0 && zmq_msg_size(&data) >= HEADER_BYTES) {
        uint32_t header[2];
        memcpy(header, zmq_msg_data(&data), sizeof header);
        if (header[0] == round && header[1] < s->count && s->peers[header[1]].answered_us == 0) {
            s->peers[header[1]].answered_us = ping_now_us();
            (*answered)++;
        }
    }
    zmq_msg_close(&rid);
    zmq_msg_close(&data);
    return rc == 0 || ping_now_us() < deadline_us ? 0 : -1;
}

static void print_round(const echo_server_t *s, uint64_t start_us)
{
    fputs("{\"agents\":[", stdout);
    for (unsigned i = 0; i < s->count; i++) {
        const peer_t *p = &s->peers[i];
        if (p->answered_us)
            printf("%s{\"name\":\"e%04u\",\"status\":\"ok\",\"rtt_ms\":%.3f}", i ? "," : "", i + 1,
                   (double)(p->answered_us - start_us) / 1000.0);
        else
            printf("%s{\"name\":\"e%04u\",\"status\":\"timeout\"}", i ? "," : "", i + 1);
    }
    fputs("]}\n", stdout);
}

static int run_round(echo_server_t *s, uint32_t round, uint8_t *frame)
{
    uint64_t start_us = ping_now_us();
    for (unsigned i = 0; i < s->count; i++) {
        uint32_t header[2] = {round, i};
        memcpy(frame, header, sizeof header);
        s->peers[i].answered_us = 0;
        if (send_to(s, s->peers[i].rid, s->peers[i].rid_len, frame, s->payload_len) != 0)
            return -1;
    }
    unsigned answered = 0;
    while (answered < s->count && take_answer(s, round, start_us + ROUND_TIMEOUT_US, &answered) == 0)
        ;
    print_round(s, start_us);
    return 0;
}

static void print_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long rss = 0, hwm = 0;
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %lu", &rss);
        sscanf(line, "VmHWM: %lu", &hwm);
    }
    if (f)
        fclose(f);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu_ms = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
                    (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
    printf("rss_kib %lu hwm_kib %lu cpu_ms %.0f\n", rss, hwm, cpu_ms);
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fputs("usage: bench_channel_echo ENDPOINT N ROUNDS [PAYLOAD_BYTES]\n", stderr);
        return 2;
    }
    echo_server_t s = {.count = (unsigned)strtoul(argv[2], NULL, 10),
                       .payload_len = argc == 5 ? strtoul(argv[4], NULL, 10) : PAYLOAD_DEFAULT};
    unsigned rounds = (unsigned)strtoul(argv[3], NULL, 10);
    if (s.count == 0 || s.count > BENCH_AGENTS_MAX || s.payload_len < HEADER_BYTES || s.payload_len > PAYLOAD_MAX) {
        fputs("bench_channel_echo: N must be 1..20000 and PAYLOAD_BYTES 8..4096\n", stderr);
        return 2;
    }
    void *ctx = zmq_ctx_new();
    s.socket = zmq_socket(ctx, ZMQ_ROUTER);
    s.peers = calloc(s.count, sizeof *s.peers);
    uint8_t *frame = calloc(1, s.payload_len);
    int linger = 0, rc = 1;
    zmq_setsockopt(s.socket, ZMQ_LINGER, &linger, sizeof linger);
    if (s.peers == NULL || frame == NULL || zmq_bind(s.socket, argv[1]) != 0) {
        fprintf(stderr, "bench_channel_echo: bind %s: %s\n", argv[1], zmq_strerror(errno));
        goto out;
    }
    memset(frame, 'x', s.payload_len);
    print_rss();
    fflush(stdout);
    if (wait_for_agents(&s) != 0)
        goto out;
    printf("joined %u\n", s.count);
    print_rss();
    fflush(stdout);
    sleep(1); /* lets the script read the client's CPU time before the rounds */
    for (unsigned r = 1; r <= rounds; r++)
        if (run_round(&s, r, frame) != 0)
            goto out;
    print_rss();
    rc = 0;
out:
    free(frame);
    free(s.peers);
    zmq_close(s.socket);
    zmq_ctx_term(ctx);
    return rc;
}
