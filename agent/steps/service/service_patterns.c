/* service_patterns.c -- a service's compiled startup success and failure log patterns. */
#include "service_patterns.h"

#include <regex.h>
#include <stdlib.h>

#define PATTERN_FLAGS (REG_EXTENDED | REG_NOSUB)

struct service_patterns {
    int has_started;
    regex_t started;
    size_t failed_count;    /* compiled entries in failed */
    regex_t *failed;
};

static int compile(regex_t *re, const char *pattern, const char *service, alfup_err_t *err)
{
    int rc = regcomp(re, pattern, PATTERN_FLAGS);
    if (rc == 0)
        return ALFUP_OK;
    char why[128];
    regerror(rc, re, why, sizeof why);
    return alfup_err_set(err, "service %s: bad pattern '%.200s': %s", service, pattern, why);
}

service_patterns_t *service_patterns_new(const agent_service_t *service, alfup_err_t *err)
{
    service_patterns_t *patterns = calloc(1, sizeof *patterns);
    if (patterns == NULL)
        goto oom;
    if (service->failed.count > 0) {
        patterns->failed = calloc(service->failed.count, sizeof *patterns->failed);
        if (patterns->failed == NULL)
            goto oom;
    }
    if (service->started != NULL) {
        if (compile(&patterns->started, service->started, service->name, err) != ALFUP_OK)
            goto fail;
        patterns->has_started = 1;
    }
    for (size_t i = 0; i < service->failed.count; i++) {
        if (compile(&patterns->failed[i], service->failed.items[i], service->name, err) != ALFUP_OK)
            goto fail;
        patterns->failed_count++;
    }
    return patterns;
oom:
    alfup_err_set(err, "service %s: out of memory", service->name);
fail:
    service_patterns_destroy(&patterns);
    return NULL;
}

int service_patterns_started(const service_patterns_t *patterns, const char *line)
{
    return patterns->has_started && regexec(&patterns->started, line, 0, NULL, 0) == 0;
}

int service_patterns_failed(const service_patterns_t *patterns, const char *line)
{
    for (size_t i = 0; i < patterns->failed_count; i++)
        if (regexec(&patterns->failed[i], line, 0, NULL, 0) == 0)
            return 1;
    return 0;
}

int service_patterns_has_started(const service_patterns_t *patterns)
{
    return patterns->has_started;
}

void service_patterns_destroy(service_patterns_t **patterns_p)
{
    if (patterns_p == NULL || *patterns_p == NULL)
        return;
    service_patterns_t *patterns = *patterns_p;
    if (patterns->has_started)
        regfree(&patterns->started);
    for (size_t i = 0; i < patterns->failed_count; i++)
        regfree(&patterns->failed[i]);
    free(patterns->failed);
    free(patterns);
    *patterns_p = NULL;
}
