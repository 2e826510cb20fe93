/* db_guard.h -- the record of databases alfup created here; only those are dropped. */
#ifndef ALFUP_DB_GUARD_H
#define ALFUP_DB_GUARD_H

#include "agent_config.h"
#include "alfup_error.h"

/* Records live in <state_dir>/DB_GUARD_FOLDER/<database name>. */
#define DB_GUARD_FOLDER "databases"

/* Records that this agent is about to create (or created) database name, by
 * step step_id. Written durably before the CREATE, so a crash leaves a record
 * for a database that may not exist (harmless) rather than the reverse.
 * name must be a validated identifier. ALFUP_OK or ALFUP_ERR with err. */
int db_guard_record(const agent_config_t *config, const char *name, const char *step_id,
                    alfup_err_t *err);

/* 1 when name is recorded, 0 when not, ALFUP_ERR with err (no state_dir,
 * unreadable folder). */
int db_guard_is_recorded(const agent_config_t *config, const char *name, alfup_err_t *err);

/* Removes the record (after the database was dropped). A missing record is
 * not an error. ALFUP_OK or ALFUP_ERR with err. */
int db_guard_forget(const agent_config_t *config, const char *name, alfup_err_t *err);

#endif
