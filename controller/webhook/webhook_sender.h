/* webhook_sender.h -- delivers every event of the journal's `events` table (the objects the API's
 * event stream sends) to each configured webhook, each from a thread of its own with libcurl: POSTed as JSON,
 * signed (webhook_sign.h), retried with exponential backoff, in order, at least once; each
 * webhook's progress is kept in the journal (webhook_store.h) after each batch, at least every
 * WEBHOOK_SAVE_MS and when it stops, so a restart resumes where it was (a crash: at most what was
 * delivered since the last save comes again).
 * The controller's loop never waits for a receiver. */
#ifndef ALFUP_WEBHOOK_SENDER_H
#define ALFUP_WEBHOOK_SENDER_H

#include "alfup_error.h"
#include "webhook_config.h"

#define WEBHOOK_EVENT_ID_HEADER "X-Alfup-Event-Id"
#define WEBHOOK_EVENT_TYPE_HEADER "X-Alfup-Event"
#define WEBHOOK_POLL_MS 500u              /* new events are looked for this often */
#define WEBHOOK_BATCH_MAX 100u            /* events read from the journal at once */
#define WEBHOOK_TIMEOUT_MS 10000L         /* one delivery, connection included */
#define WEBHOOK_CONNECT_TIMEOUT_MS 5000L
#define WEBHOOK_BACKOFF_FIRST_MS 500u     /* after a failure; doubled after each further one */
#define WEBHOOK_BACKOFF_MAX_MS 60000u
#define WEBHOOK_SAVE_MS 1000u             /* the delivered cursor goes to the journal at least this often */

typedef struct webhook_sender webhook_sender_t;

/* For each of hooks (which must outlive the sender): opens a connection of its own to the journal at
 * journal_path, reads where the hook is, and starts its thread. NULL with err (the journal, a thread). */
webhook_sender_t *webhook_sender_new(const char *journal_path, const webhook_list_t *hooks, alfup_err_t *err);

/* Stops the threads (a delivery in flight is aborted: it is sent again after a restart; each saves its
 * cursor), closes their journal connections, sets *sender_p to NULL. Tolerates NULL. */
void webhook_sender_destroy(webhook_sender_t **sender_p);

#endif
