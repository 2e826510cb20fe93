/* http_probe.h -- one bounded HTTP GET for readiness probes (libcurl). */
#ifndef ALFUP_HTTP_PROBE_H
#define ALFUP_HTTP_PROBE_H

#include "alfup_error.h"

/* A probe never reads more body than this; a longer answer is an error. */
#define HTTP_PROBE_BODY_MAX (64u * 1024u)
/* Default whole-request limit for readiness probes. */
#define HTTP_PROBE_TIMEOUT_MS 2000u

/* GETs url (http:// or https:// only; redirects are not followed) with
 * timeout_ms as both the connect and the whole-request limit. Returns ALFUP_OK
 * with *status set to the HTTP status code of the answer (200, 503, ...), or
 * ALFUP_ERR with err naming the url and the reason when no answer came
 * (refused, timed out, bad url, body over HTTP_PROBE_BODY_MAX). Thread-safe
 * once curl_global_init has run (curl_easy_init runs it on first use). */
int http_probe_get(const char *url, unsigned timeout_ms, long *status, alfup_err_t *err);

/* 1 when url answers 200 within HTTP_PROBE_TIMEOUT_MS, else 0. */
int http_probe_ready(const char *url);

#endif
