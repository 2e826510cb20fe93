/* standin_daemon.h -- daemon plumbing shared by the stand-ins: detach, pidfile, signals, stop. */
#ifndef STANDIN_DAEMON_H
#define STANDIN_DAEMON_H

#include <signal.h>
#include <sys/types.h>

/* How long `start` waits for the daemon's pidfile, and `stop` for the exit. */
#define STANDIN_PIDFILE_WAIT_S 10u
#define STANDIN_STOP_WAIT_S 20u

/* Detaches (fork, setsid, fork) with stdin from /dev/null and stdout/stderr
 * appended to log_path. Returns 1 in the daemon, with *notify_fd set: the
 * daemon writes its pidfile, then calls standin_daemon_up(*notify_fd).
 * Returns 0 in the calling process once the daemon said so (at most
 * STANDIN_PIDFILE_WAIT_S), -1 when it exited first or on failure (message on
 * stderr). */
int standin_daemonize(const char *log_path, int *notify_fd);

/* Tells the waiting `start` command that the pidfile is written. */
void standin_daemon_up(int notify_fd);

/* Writes this process's pid to path atomically. Returns 0 or -1. */
int standin_pidfile_write(const char *path);

/* The pid in path, or 0 when there is none. */
pid_t standin_pidfile_read(const char *path);

/* 1 when pid exists and is not a zombie. */
int standin_pid_alive(pid_t pid);

/* Sends SIGTERM to the pidfile's process and waits up to
 * STANDIN_STOP_WAIT_S for it to go. Returns 0 when it is gone (or was not
 * running), 1 when it still runs. */
int standin_stop(const char *pidfile);

/* Blocks SIGTERM and SIGINT in the calling thread (threads created later
 * inherit the mask) and fills set with them, for standin_wait_signal. */
void standin_block_signals(sigset_t *set);

/* Sleeps up to ms milliseconds; returns 1 at once when a signal of set arrives. */
int standin_wait_signal(const sigset_t *set, unsigned ms);

#endif
