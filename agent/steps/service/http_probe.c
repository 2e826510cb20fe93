/* http_probe.c -- one bounded HTTP GET for readiness probes (libcurl). */
#include "http_probe.h"

#include <curl/curl.h>

#define HTTP_PROBE_OK 200L

typedef struct probe_sink {
    size_t received;
} probe_sink_t;

/* Discards the body but counts it; a short return aborts an oversized answer. */
static size_t probe_body(char *bytes, size_t size, size_t nmemb, void *arg)
{
    (void)bytes;
    probe_sink_t *sink = arg;
    size_t n = size * nmemb;
    if (n > HTTP_PROBE_BODY_MAX - sink->received)
        return 0;
    sink->received += n;
    return n;
}

static int probe_setup(CURL *curl, const char *url, unsigned timeout_ms, probe_sink_t *sink)
{
    return curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_MAXFILESIZE, (long)HTTP_PROBE_BODY_MAX) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, probe_body) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink) != CURLE_OK ||
           curl_easy_setopt(curl, CURLOPT_USERAGENT, "alfup-agent") != CURLE_OK;
}

int http_probe_get(const char *url, unsigned timeout_ms, long *status, alfup_err_t *err)
{
    *status = 0;
    if (url == NULL || url[0] == '\0')
        return alfup_err_set(err, "probe: no url");
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return alfup_err_set(err, "probe %s: curl_easy_init failed", url);
    probe_sink_t sink = {0};
    int rc = ALFUP_OK;
    if (probe_setup(curl, url, timeout_ms, &sink) != 0) {
        rc = alfup_err_set(err, "probe %s: cannot set up the request", url);
        goto out;
    }
    CURLcode res = curl_easy_perform(curl);
    if (res != CURLE_OK) {
        rc = alfup_err_set(err, "probe %s: %s", url,
                           res == CURLE_WRITE_ERROR ? "answer too large" : curl_easy_strerror(res));
        goto out;
    }
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
        rc = alfup_err_set(err, "probe %s: no status code", url);
out:
    curl_easy_cleanup(curl);
    return rc;
}

int http_probe_ready(const char *url)
{
    long status = 0;
    return http_probe_get(url, HTTP_PROBE_TIMEOUT_MS, &status, NULL) == ALFUP_OK &&
           status == HTTP_PROBE_OK;
}
