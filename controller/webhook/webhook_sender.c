/* webhook_sender.c -- one thread per webhook (a slow receiver holds up no other): read the events after
 * its cursor, POST them one by one, advance the cursor in the journal on a 2xx, back off on anything else. */
#include "webhook_sender.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_log.h"
#include "journal.h"
#include "log.h"
#include "message.h"
#include "webhook_sign.h"
#include "webhook_store.h"

#define COMPONENT "webhook"
#define HEADER_MAX 160


typedef struct hook_state {
    const webhook_t *hook;
    webhook_sender_t *sender;
    journal_t *journal;           /* this thread's own connection */
    pthread_t thread;
    int thread_started;
    CURL *curl;
    long long cursor;             /* the last event its receiver acknowledged */
    long long saved;              /* the cursor as the journal holds it */
    uint64_t saved_mono_ms;
    unsigned failures;            /* in a row */
    uint64_t retry_mono_ms;       /* not before this */
} hook_state_t;

struct webhook_sender {
    hook_state_t *states;
    size_t count;
    int curl_started;
    atomic_int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

static size_t discard(char *data, size_t size, size_t count, void *arg)
{
    (void)data, (void)arg;
    return size * count;
}

/* libcurl asks this during a transfer: non-zero aborts it (the controller is stopping). */
static int abort_on_stop(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&((webhook_sender_t *)arg)->stop);
}

/* POSTs one event (body, its id and type) to the hook. The HTTP status, or 0 with err when none came. */
static long post(webhook_sender_t *s, hook_state_t *h, const char *body, long long id, const char *type,
                 alfup_err_t *err)
{
    char signature[WEBHOOK_SIGNATURE_MAX], line[HEADER_MAX];
    if (webhook_sign(h->hook->secret, h->hook->secret_len, body, strlen(body), signature) != 0)
        return alfup_err_set(err, "cannot sign event %lld", id), 0;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "%s: %s", WEBHOOK_SIGNATURE_HEADER, signature);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "%s: %lld", WEBHOOK_EVENT_ID_HEADER, id);
    headers = curl_slist_append(headers, line);
    snprintf(line, sizeof line, "%s: %.64s", WEBHOOK_EVENT_TYPE_HEADER, type);
    headers = curl_slist_append(headers, line);
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        alfup_err_set(err, "%s", curl_easy_strerror(rc));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return status;
}

static void failed(hook_state_t *h, long long id, const char *why)
{
    unsigned shift = h->failures < 16 ? h->failures : 16;
    uint64_t backoff = (uint64_t)WEBHOOK_BACKOFF_FIRST_MS << shift;
    if (backoff > WEBHOOK_BACKOFF_MAX_MS)
        backoff = WEBHOOK_BACKOFF_MAX_MS;
    h->failures++;
    h->retry_mono_ms = alfup_now_mono_ms() + backoff;
    alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s: event %lld not delivered (attempt %u): %s; again in %llu ms",
              h->hook->url, id, h->failures, why, (unsigned long long)backoff);
}

/* Writes the cursor to the journal when it moved: after each batch, at least every WEBHOOK_SAVE_MS
 * while one goes on, and when the thread stops (one small commit for many events, not one each). */
static void save_cursor(hook_state_t *h)
{
    if (h->cursor == h->saved)
        return;
    alfup_err_t err;
    if (webhook_store_advance(h->journal, h->hook->url, h->cursor, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s (after a restart, the events after %lld may be delivered again)",
                  err.msg, h->saved);
        return;
    }
    h->saved = h->cursor;
    h->saved_mono_ms = alfup_now_mono_ms();
}

/* Delivers one event; 1 when its receiver acknowledged it (and the cursor moved on). */
static int deliver_one(webhook_sender_t *s, hook_state_t *h, json_t *event)
{
    long long id = (long long)json_integer_value(json_object_get(event, "id"));
    const char *type = json_string_value(json_object_get(event, "type"));
    char *body = json_dumps(event, JSON_COMPACT);
    alfup_err_t err;
    err.msg[0] = '\0';
    long status = body ? post(s, h, body, id, type ? type : "event", &err) : 0;
    free(body);
    if (status < 200 || status > 299) {
        char why[64];
        snprintf(why, sizeof why, "HTTP %ld", status);
        failed(h, id, status ? why : err.msg[0] ? err.msg : "out of memory");
        return 0;
    }
    if (h->failures)
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "%s: event %lld delivered after %u failed attempts", h->hook->url, id,
                  h->failures);
    h->failures = 0;
    h->cursor = id;
    if (alfup_now_mono_ms() - h->saved_mono_ms >= WEBHOOK_SAVE_MS)
        save_cursor(h);
    return 1;
}

/* Delivers the events after the hook's cursor, oldest first, until one fails or the thread stops. */
static void deliver(webhook_sender_t *s, hook_state_t *h)
{
    alfup_err_t err;
    char *text = event_log_json_after(h->journal, h->cursor, WEBHOOK_BATCH_MAX, &err);
    json_t *events = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (events == NULL) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s: cannot read the events: %s", h->hook->url, err.msg);
        h->retry_mono_ms = alfup_now_mono_ms() + WEBHOOK_BACKOFF_FIRST_MS;
        json_decref(events);
        return;
    }
    size_t i;
    json_t *event;
    json_array_foreach(events, i, event) {
        if (atomic_load(&s->stop) || !deliver_one(s, h, event))
            break;
    }
    json_decref(events);
    save_cursor(h);
}

/* Waits up to ms, or until webhook_sender_destroy wakes it. */
static void pause_for(webhook_sender_t *s, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&s->lock);
    if (!atomic_load(&s->stop))
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
    pthread_mutex_unlock(&s->lock);
}

static void *thread_main(void *arg)
{
    hook_state_t *h = arg;
    webhook_sender_t *s = h->sender;
    while (!atomic_load(&s->stop)) {
        if (alfup_now_mono_ms() >= h->retry_mono_ms)
            deliver(s, h);
        pause_for(s, WEBHOOK_POLL_MS);
    }
    save_cursor(h);
    return NULL;
}

static CURL *new_handle(webhook_sender_t *s, const webhook_t *hook)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, hook->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, WEBHOOK_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "alfup-controller/" ALFUP_VERSION);
    if (hook->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, hook->ca);
    return c;
}

static int open_states(webhook_sender_t *s, const char *journal_path, const webhook_list_t *hooks, alfup_err_t *err)
{
    s->states = calloc(hooks->count ? hooks->count : 1, sizeof *s->states);
    if (s->states == NULL)
        return alfup_err_set(err, "webhooks: out of memory");
    for (size_t i = 0; i < hooks->count; i++) {
        hook_state_t *h = &s->states[i];
        s->count = i + 1;
        h->hook = &hooks->items[i];
        h->sender = s;
        if ((h->curl = new_handle(s, h->hook)) == NULL)
            return alfup_err_set(err, "webhook %s: libcurl cannot start", h->hook->url);
        if ((h->journal = journal_open(journal_path, err)) == NULL || webhook_store_init(h->journal, err) != ALFUP_OK ||
            webhook_store_cursor(h->journal, h->hook->url, &h->cursor, err) != ALFUP_OK)
            return ALFUP_ERR;
        h->saved = h->cursor;
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "%s: delivering the events after %lld", h->hook->url, h->cursor);
    }
    for (size_t i = 0; i < s->count; i++) {
        if (pthread_create(&s->states[i].thread, NULL, thread_main, &s->states[i]) != 0)
            return alfup_err_set(err, "webhook %s: cannot start its thread", s->states[i].hook->url);
        s->states[i].thread_started = 1;
    }
    return ALFUP_OK;
}

webhook_sender_t *webhook_sender_new(const char *journal_path, const webhook_list_t *hooks, alfup_err_t *err)
{
    webhook_sender_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return alfup_err_set(err, "webhooks: out of memory"), NULL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        alfup_err_set(err, "webhooks: libcurl cannot start");
        goto fail;
    }
    s->curl_started = 1;
    if (open_states(s, journal_path, hooks, err) != ALFUP_OK)
        goto fail;
    return s;
fail:
    webhook_sender_destroy(&s);
    return NULL;
}

void webhook_sender_destroy(webhook_sender_t **sender_p)
{
    if (sender_p == NULL || *sender_p == NULL)
        return;
    webhook_sender_t *s = *sender_p;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop, 1);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < s->count; i++) {
        if (s->states[i].thread_started)
            pthread_join(s->states[i].thread, NULL);
        curl_easy_cleanup(s->states[i].curl);
        journal_close(&s->states[i].journal);
    }
    free(s->states);
    if (s->curl_started)
        curl_global_cleanup();
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
    *sender_p = NULL;
}
