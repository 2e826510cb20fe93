/* standin_log.c -- timestamped log lines in the style of Alfresco's catalina.out / solr.log. */
#include "standin_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define STANDIN_LOG_LINE_MAX 2048

void standin_log(int fd, const char *level, const char *source, const char *fmt, ...)
{
    char line[STANDIN_LOG_LINE_MAX + 128];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    int n = (int)strftime(line, 32, "%Y-%m-%d %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ",%03ld %-5s [%s] [main] ",
                  now.tv_nsec / 1000000L, level, source);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, STANDIN_LOG_LINE_MAX, fmt, ap);
    va_end(ap);
    n += m < 0 ? 0 : (m >= STANDIN_LOG_LINE_MAX ? STANDIN_LOG_LINE_MAX - 1 : m);
    line[n++] = '\n';
    ssize_t written = write(fd, line, (size_t)n);
    (void)written;
}
