/* run_store.h -- runs, their steps and approvals in the journal, so a run survives a
 * controller restart exactly as it was. */
#ifndef ALFUP_RUN_STORE_H
#define ALFUP_RUN_STORE_H

#include "alfup_error.h"
#include "journal.h"
#include "run_model.h"

/* Creates the run tables when missing. */
int run_store_init(journal_t *journal, alfup_err_t *err);

/* Writes the run's own row (state, error, gate, ...). */
int run_store_save_run(journal_t *journal, const run_t *run, alfup_err_t *err);

/* Writes one step's row: main step index (rollback 0) or rollback step index (rollback 1). */
int run_store_save_step(journal_t *journal, const run_t *run, int rollback, size_t index, alfup_err_t *err);

/* Records an approval of gate. */
/* A progress event (type "progress") for the API's stream: the step's latest progress (bytes, files,
 * percent, message). Not a row of its own: the events table is the only record. ALFUP_ERR with err. */
int run_store_progress_event(journal_t *journal, const run_t *run, int rollback, size_t index, alfup_err_t *err);

int run_store_save_approval(journal_t *journal, const run_t *run, const char *gate, alfup_err_t *err);

/* Loads every run, newest first, into a list (*runs, linked by next), each
 * plan rebuilt from its stored text against workflows_dir. A run whose plan
 * no longer builds is skipped with a message in err_skipped (if any). */
int run_store_load(journal_t *journal, const char *workflows_dir, run_t **runs, alfup_err_t *err);

#endif
