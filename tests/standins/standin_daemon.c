/* standin_daemon.c -- daemon plumbing shared by the stand-ins: detach, pidfile, signals, stop. */
#include "standin_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_STEP_MS 100u

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

static int redirect_stdio(const char *log_path)
{
    int in = open("/dev/null", O_RDONLY);
    int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0)
        return -1;
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
        return -1;
    close(in);
    close(out);
    return 0;
}

/* Waits for the daemon's one byte on fd; EOF means it exited first. */
static int wait_daemon_up(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready;
    do
        ready = poll(&pfd, 1, (int)(STANDIN_PIDFILE_WAIT_S * 1000u));
    while (ready < 0 && errno == EINTR);
    char byte = 0;
    if (ready <= 0) {
        fprintf(stderr, "start: the daemon did not come up within %u s\n", STANDIN_PIDFILE_WAIT_S);
        return -1;
    }
    if (read(fd, &byte, 1) != 1) {
        fprintf(stderr, "start: the daemon exited during startup (see its log)\n");
        return -1;
    }
    return 0;
}

int standin_daemonize(const char *log_path, int *notify_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("pipe");
        return -1;
    }
    pid_t first = fork();
    if (first < 0) {
        perror("fork");
        return -1;
    }
    if (first == 0) {
        close(fds[0]);
        if (setsid() < 0)
            _exit(1);
        pid_t second = fork();
        if (second != 0)
            _exit(second < 0 ? 1 : 0);
        umask(022);
        if (redirect_stdio(log_path) != 0)
            _exit(1);
        *notify_fd = fds[1];
        return 1;
    }
    close(fds[1]);
    int status = 0;
    while (waitpid(first, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? wait_daemon_up(fds[0]) : -1;
    close(fds[0]);
    return rc;
}

void standin_daemon_up(int notify_fd)
{
    ssize_t n = write(notify_fd, "k", 1);
    (void)n;
    close(notify_fd);
}

int standin_pidfile_write(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "we");
    if (f == NULL)
        return -1;
    int bad = fprintf(f, "%d\n", (int)getpid()) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

pid_t standin_pidfile_read(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    int pid = 0;
    if (fscanf(f, "%d", &pid) != 1 || pid <= 1)
        pid = 0;
    fclose(f);
    return (pid_t)pid;
}

int standin_pid_alive(pid_t pid)
{
    if (pid <= 1 || (kill(pid, 0) != 0 && errno == ESRCH))
        return 0;
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = '\0';
    char *paren = strrchr(text, ')');
    return !(paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

int standin_stop(const char *pidfile)
{
    pid_t pid = standin_pidfile_read(pidfile);
    if (!standin_pid_alive(pid)) {
        printf("not running\n");
        return 0;
    }
    kill(pid, SIGTERM);
    for (unsigned waited = 0; waited < STANDIN_STOP_WAIT_S * 1000u; waited += WAIT_STEP_MS) {
        if (!standin_pid_alive(pid)) {
            printf("stopped %d\n", (int)pid);
            return 0;
        }
        sleep_ms(WAIT_STEP_MS);
    }
    fprintf(stderr, "stop: process %d still running after %u s\n", (int)pid, STANDIN_STOP_WAIT_S);
    return 1;
}

void standin_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

int standin_wait_signal(const sigset_t *set, unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig > 0)
            return 1;
        if (errno == EAGAIN)
            return 0;
        if (errno != EINTR)
            return 0;
    }
}
