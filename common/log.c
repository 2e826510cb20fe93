/* log.c -- one-line log records on stderr, written with a single write(2). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *level_name(log_level_t level)
{
    switch (level) {
    case LOG_LEVEL_DEBUG: return "DEBUG";
    case LOG_LEVEL_INFO: return "INFO";
    case LOG_LEVEL_WARN: return "WARN";
    default: return "ERROR";
    }
}

void alfup_log(log_level_t level, const char *component, const char *fmt, ...)
{
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int used = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    used += snprintf(line + used, sizeof line - (size_t)used, "%s %s: ", level_name(level), component);
    va_list ap;
    va_start(ap, fmt);
    if (used < (int)sizeof line)
        used += vsnprintf(line + used, sizeof line - (size_t)used, fmt, ap);
    va_end(ap);
    if (used >= (int)sizeof line - 1)
        used = (int)sizeof line - 2;
    line[used++] = '\n';
    ssize_t written = write(STDERR_FILENO, line, (size_t)used);
    (void)written; /* nowhere left to report a failed log write */
}
