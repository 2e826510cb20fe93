/* api_client.c -- one HTTPS request to the API with libcurl, the answer kept in memory. */
#include "api_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX 2048

typedef struct reply_buffer {
    char *data;
    size_t len;
    int too_long;
} reply_buffer_t;

static size_t keep(char *data, size_t size, size_t count, void *arg)
{
    reply_buffer_t *reply = arg;
    size_t len = size * count;
    if (reply->len + len > API_CLIENT_REPLY_MAX) {
        reply->too_long = 1;
        return 0; /* libcurl stops the transfer */
    }
    char *grown = realloc(reply->data, reply->len + len + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + reply->len, data, len);
    reply->data = grown;
    reply->len += len;
    reply->data[reply->len] = '\0';
    return len;
}

static void set_request(CURL *c, const api_client_t *client, const char *method, const char *url, const char *body,
                        struct curl_slist *headers, reply_buffer_t *reply)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, API_CLIENT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_SSLCERT, client->cert);
    curl_easy_setopt(c, CURLOPT_SSLKEY, client->key);
    if (client->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, client->ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "alfup-controller/" ALFUP_VERSION);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    }
}

int api_client_request(const api_client_t *client, const char *method, const char *path, const char *body, int text,
                       long *status, char **reply_out, alfup_err_t *err)
{
    char url[URL_MAX];
    size_t base_len = strlen(client->base);
    while (base_len > 0 && client->base[base_len - 1] == '/')
        base_len--;
    if (snprintf(url, sizeof url, "%.*s%s", (int)base_len, client->base, path) >= (int)sizeof url)
        return alfup_err_set(err, "api %s: URL too long", client->base);
    *reply_out = NULL;
    *status = 0;
    CURL *c = curl_easy_init();
    if (c == NULL)
        return alfup_err_set(err, "api %s: libcurl cannot start", client->base);
    struct curl_slist *headers = curl_slist_append(NULL, text ? "Accept: text/plain" : "Accept: application/json");
    if (body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    reply_buffer_t reply = {0};
    set_request(c, client, method, url, body, headers, &reply);
    CURLcode rc = curl_easy_perform(c);
    int result = ALFUP_OK;
    if (rc != CURLE_OK) {
        result = alfup_err_set(err, "api %s: %s", url, reply.too_long ? "answer too long" : curl_easy_strerror(rc));
        free(reply.data);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        *reply_out = reply.data ? reply.data : strdup("");
        if (*reply_out == NULL)
            result = alfup_err_set(err, "api %s: out of memory", url);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return result;
}
