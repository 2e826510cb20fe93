/* admin_client.c -- one request over the controller's Unix socket, its reply printed. */
#include "admin_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_server.h"

static int connect_socket(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int build_request(int argc, char **argv, char *request, size_t len)
{
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        if (strpbrk(argv[i], " \t\n") != NULL)
            return -1;
        int n = snprintf(request + used, len - used, "%s%s", i ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    if (used + 2 > len)
        return -1;
    request[used++] = '\n';
    request[used] = '\0';
    return 0;
}

int admin_client_call(const char *socket_path, int argc, char **argv, FILE *out)
{
    char request[ADMIN_REQUEST_MAX];
    if (build_request(argc, argv, request, sizeof request) != 0) {
        fprintf(stderr, "alfup-controller: arguments may not contain spaces and must fit %d bytes\n",
                ADMIN_REQUEST_MAX);
        return 2;
    }
    int fd = connect_socket(socket_path);
    if (fd < 0) {
        fprintf(stderr, "alfup-controller: cannot reach the controller at %s: %s (is 'alfup-controller serve' running?)\n",
                socket_path, strerror(errno));
        return ADMIN_EXIT_UNREACHABLE;
    }
    size_t len = strlen(request);
    if (write(fd, request, len) != (ssize_t)len) {
        fprintf(stderr, "alfup-controller: sending to %s: %s\n", socket_path, strerror(errno));
        close(fd);
        return ADMIN_EXIT_UNREACHABLE;
    }
    FILE *in = fdopen(fd, "r");
    if (in == NULL) {
        close(fd);
        return ADMIN_EXIT_UNREACHABLE;
    }
    int exit_code = ADMIN_EXIT_UNREACHABLE;
    char line[4096];
    if (fgets(line, sizeof line, in) == NULL || sscanf(line, "exit %d", &exit_code) != 1) {
        fprintf(stderr, "alfup-controller: the controller at %s closed the connection without an answer\n",
                socket_path);
        fclose(in);
        return ADMIN_EXIT_UNREACHABLE;
    }
    size_t n;
    while ((n = fread(line, 1, sizeof line, in)) > 0)
        fwrite(line, 1, n, out);
    fclose(in);
    return exit_code;
}
