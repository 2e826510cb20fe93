/* service_patterns.h -- a service's compiled startup success and failure log patterns. */
#ifndef ALFUP_SERVICE_PATTERNS_H
#define ALFUP_SERVICE_PATTERNS_H

#include "agent_config.h"
#include "alfup_error.h"

typedef struct service_patterns service_patterns_t;

/* Compiles the service's `started` regex (may be absent) and its `failed`
 * regexes (POSIX extended). Returns NULL with err naming the service and the
 * bad pattern. Free with service_patterns_destroy. */
service_patterns_t *service_patterns_new(const agent_service_t *service, alfup_err_t *err);

/* 1 when line matches the started pattern (0 when there is none). */
int service_patterns_started(const service_patterns_t *patterns, const char *line);

/* 1 when line matches any failed pattern. */
int service_patterns_failed(const service_patterns_t *patterns, const char *line);

/* 1 when the service has a started pattern. */
int service_patterns_has_started(const service_patterns_t *patterns);

/* Frees the patterns and sets *patterns_p to NULL. Tolerates NULL. */
void service_patterns_destroy(service_patterns_t **patterns_p);

#endif
