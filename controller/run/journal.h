/* journal.h -- the controller's durable record of every step sent and every result received. */
#ifndef ALFUP_JOURNAL_H
#define ALFUP_JOURNAL_H

#include <stdint.h>

#include "alfup_error.h"
#include "message.h"

typedef struct journal journal_t;
struct sqlite3;

/* Opens (creating) the SQLite journal at path, in WAL mode. NULL with err. */
journal_t *journal_open(const char *path, alfup_err_t *err);

void journal_close(journal_t **journal_p);

/* Opens a batch: every row recorded until journal_batch_commit is made durable together, by
 * one commit (one fsync) instead of one each. Nothing recorded in a batch may be acted on
 * outside the controller (a step sent, a result acknowledged) before the commit succeeded.
 * ALFUP_ERR when a batch is already open or SQLite refuses. */
int journal_batch_begin(journal_t *journal, alfup_err_t *err);

/* Commits the open batch. ALFUP_ERR when it failed or a failing statement inside it made
 * SQLite roll it back: then nothing recorded in the batch is in the journal. */
int journal_batch_commit(journal_t *journal, alfup_err_t *err);

/* 1 while a batch is open. */
int journal_in_batch(const journal_t *journal);

/* Records that step step_id of kind was sent to agent, before it is sent.
 * Sending the same step id again to the same agent is allowed (a retry). */
int journal_step_sent(journal_t *journal, const char *step_id, const char *agent, const char *kind,
                      alfup_err_t *err);

/* journal_step_result: the journal never sent that step to that agent (nothing to record,
 * and nothing the journal could hold later either). */
#define JOURNAL_NOT_SENT 1

/* Records the result reported by agent: ALFUP_OK; JOURNAL_NOT_SENT when the journal never
 * sent that step to that agent; ALFUP_ERR when the database failed (disk full, I/O error):
 * the result is not held, and may be recorded when it comes again. A repeated result is
 * stored once. */
int journal_step_result(journal_t *journal, const char *agent, const msg_step_result_t *result,
                        alfup_err_t *err);

/* The recorded state of step_id ("sent", "succeeded", "failed", ...) into buf;
 * 0 when found, FILE_MISSING-like 1 when unknown, ALFUP_ERR on failure. */
int journal_step_state(journal_t *journal, const char *step_id, char *buf, size_t len, alfup_err_t *err);

/* The SQLite handle, for the run store's tables in the same file. */
struct sqlite3 *journal_db(journal_t *journal);

#endif
