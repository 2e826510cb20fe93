/* result_store.h -- step results kept in state_dir until the controller acks them. */
#ifndef ALFUP_RESULT_STORE_H
#define ALFUP_RESULT_STORE_H

#include "alfup_error.h"
#include "message.h"
#include "str_list.h"

typedef struct result_store result_store_t;

/* Opens (creating if needed, mode 0700) STATE_DIR/results. NULL with err on failure. */
result_store_t *result_store_open(const char *state_dir, alfup_err_t *err);

/* Frees the store and sets *store_p to NULL. Tolerates NULL. */
void result_store_destroy(result_store_t **store_p);

/* Writes result durably (temporary file, fsync, rename, fsync of the folder).
 * A result already stored under the same step id is replaced. */
int result_store_put(result_store_t *store, const msg_step_result_t *result, alfup_err_t *err);

/* Reads the result of step_id into *result (zeroed first; caller clears it).
 * Returns 1 when found, 0 when the step has no result, ALFUP_ERR on failure. */
int result_store_get(result_store_t *store, const char *step_id, msg_step_result_t *result,
                     alfup_err_t *err);

/* Marks the result of step_id delivered. The result stays, so a repeated
 * request is still answered from it; it is no longer re-sent on reconnect. */
int result_store_ack(result_store_t *store, const char *step_id, alfup_err_t *err);

/* Records durably that step_id is starting. Returns 1 when it had been started
 * before without a result being recorded (the agent stopped during it), 0 when
 * not, ALFUP_ERR on failure. */
int result_store_mark_started(result_store_t *store, const char *step_id, alfup_err_t *err);

/* Appends to ids the step ids whose results are not acknowledged yet, oldest first. */
int result_store_unacked(result_store_t *store, str_list_t *ids, alfup_err_t *err);

#endif
