/* bench_channel_agents.h -- the benchmark's N agent sessions in one process, on one poller. */
#ifndef ALFUP_BENCH_CHANNEL_AGENTS_H
#define ALFUP_BENCH_CHANNEL_AGENTS_H

#include <signal.h>

#define BENCH_AGENTS_MAX 20000u
#define BENCH_ECHO_HELLO "hello"
#define BENCH_ECHO_WELCOME "welcome"

typedef struct bench_agents bench_agents_t;

/* count TLS agents a0001.. with certificates from cert_dir (ca.pem, crl.pem, aNNNN.pem/.key),
 * connecting to endpoint; they answer ping steps as alfup-agent does. NULL (reason on stderr). */
bench_agents_t *bench_agents_new_tls(void *zmq_context, const char *endpoint, const char *cert_dir,
                                     unsigned count);

/* count plain DEALER sockets that send BENCH_ECHO_HELLO, count BENCH_ECHO_WELCOME as connected and
 * send every other frame straight back. NULL (reason on stderr). */
bench_agents_t *bench_agents_new_echo(void *zmq_context, const char *endpoint, unsigned count);

/* Serves until *stop; prints "connected N in S s (setup T s)" once all are up: S counts from
 * the start of serving (every session created: TLS contexts loaded, sockets connecting), T is
 * the time creating them took (the client's own cost). 0, or -1 when polling fails. */
int bench_agents_run(bench_agents_t *agents, const volatile sig_atomic_t *stop);

/* Closes every session; sets *agents_p to NULL. Tolerates NULL. */
void bench_agents_destroy(bench_agents_t **agents_p);

#endif
