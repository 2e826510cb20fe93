/* result_batch.h -- agents' results recorded in the open journal batch, kept until it commits:
 * only then are they acknowledged and handed to the run engine or a waiting ping. */
#ifndef ALFUP_RESULT_BATCH_H
#define ALFUP_RESULT_BATCH_H

#include <stddef.h>

#include "agent_registry.h"
#include "message.h"

typedef struct batched_result {
    char agent[REGISTRY_TEXT_MAX];
    msg_step_result_t result;      /* a deep copy, owned */
} batched_result_t;

/* Zero-initialise. */
typedef struct result_batch {
    batched_result_t *items;
    size_t count, capacity;
} result_batch_t;

/* Appends a deep copy of agent's result. 0, or -1 when out of memory (nothing appended). */
int result_batch_add(result_batch_t *batch, const char *agent, const msg_step_result_t *result);

/* Moves every item of from to the end of to (from is left empty). 0, or -1 when out of memory
 * (both unchanged). */
int result_batch_append(result_batch_t *to, result_batch_t *from);

/* Moves every item to *taken (which must be empty) and leaves batch empty. */
void result_batch_take(result_batch_t *batch, result_batch_t *taken);

/* Frees every item and the array; the batch is empty again. */
void result_batch_clear(result_batch_t *batch);

#endif
