/* event_log.h -- the journal's `events` table: every run and step state change and agent up or down,
 * with an increasing id, for the API's event stream (docs/api.md, GET /api/v1/events). */
#ifndef ALFUP_EVENT_LOG_H
#define ALFUP_EVENT_LOG_H

#include "journal.h"

#define EVENT_LOG_BATCH_MAX 200u /* events handed out per call of event_log_json_after */

/* Inserts an event of type ("run", "step", "agent") on run_id ("" for none) with data (a JSON
 * object's text); it joins the open journal batch, if any, like the state change it reports.
 * ALFUP_ERR with err when SQLite failed. Rows are never updated nor deleted. */
int event_log_append(journal_t *journal, const char *type, const char *run_id, const char *data,
                     alfup_err_t *err);

/* The events with an id above after_id, oldest first, at most limit of them, as a JSON array of
 * {"id": N, "type": "...", "at_unix_ms": N, "data": {...}}. A malloc'd string; NULL with err. */
char *event_log_json_after(journal_t *journal, long long after_id, unsigned limit, alfup_err_t *err);

#endif
