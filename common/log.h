/* log.h -- one-line log records on stderr: time, level, component, message. */
#ifndef ALFUP_LOG_H
#define ALFUP_LOG_H

typedef enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level_t;

/* Writes "2026-11-25T09:00:00Z LEVEL component: message\n" to stderr in one write. */
void alfup_log(log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
