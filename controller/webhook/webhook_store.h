/* webhook_store.h -- how far each webhook has been delivered, in the journal's `webhook_progress`
 * table: the last event id its receiver acknowledged (2xx), so a restart resumes after it. */
#ifndef ALFUP_WEBHOOK_STORE_H
#define ALFUP_WEBHOOK_STORE_H

#include "journal.h"

/* Creates the table if needed. ALFUP_ERR with err. */
int webhook_store_init(journal_t *journal, alfup_err_t *err);

/* The last event id delivered to url into *last_id. A url not in the table yet is added, starting
 * after the newest event now in the journal (a webhook gets the events from when it is configured).
 * ALFUP_ERR with err. */
int webhook_store_cursor(journal_t *journal, const char *url, long long *last_id, alfup_err_t *err);

/* Records that url's receiver acknowledged the event last_id (and every one before it). ALFUP_ERR with err. */
int webhook_store_advance(journal_t *journal, const char *url, long long last_id, alfup_err_t *err);

#endif
