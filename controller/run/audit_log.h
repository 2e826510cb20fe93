/* audit_log.h -- the append-only trail of operators' actions, in the journal's `audit` table. */
#ifndef ALFUP_AUDIT_LOG_H
#define ALFUP_AUDIT_LOG_H

#include "journal.h"

/* One action: who did what, on which run, from where, and how it ended. */
typedef struct audit_entry {
    const char *who;     /* certificate name, or "uid N (user)" on the admin socket */
    const char *serial;  /* certificate serial (hex), "" for a local user */
    const char *source;  /* "api" or "admin" */
    const char *address; /* the client's address ("127.0.0.1:50312", "unix") */
    const char *action;  /* "start", "approve", "resume", "rollback", "cancel", "read" ... */
    const char *run_id;  /* "" when none */
    int status;          /* the HTTP status the API answered, or the admin command's exit code */
    const char *outcome; /* what the reply said (a run id, an error) */
} audit_entry_t;

/* Inserts entry, stamped with the current time, outside any open journal batch's control: call
 * it with no batch open, so it is on disk when it returns. ALFUP_ERR with err when SQLite
 * failed. NULL fields are stored as "". The table is never updated nor deleted from. */
int audit_log_append(journal_t *journal, const audit_entry_t *entry, alfup_err_t *err);

/* The newest limit entries, oldest first, as a JSON array of objects (id, at_unix_ms, who, serial,
 * source, address, action, run, status, outcome). A malloc'd string; NULL with err. */
char *audit_log_json(journal_t *journal, unsigned limit, alfup_err_t *err);

/* The identity that started run_id (the "start" or "run" entry that succeeded) into who:
 * ALFUP_OK, 1 when no entry names one, ALFUP_ERR with err. */
int audit_log_run_starter(journal_t *journal, const char *run_id, char *who, size_t len, alfup_err_t *err);

#endif
