/* result_batch.c -- deep copies of step results waiting for their journal batch to commit. */
#include "result_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strdup that keeps NULL as NULL; *failed is set when out of memory. */
static char *copy_text(const char *text, int *failed)
{
    if (text == NULL)
        return NULL;
    char *copy = strdup(text);
    if (copy == NULL)
        *failed = 1;
    return copy;
}

static int copy_result(msg_step_result_t *to, const msg_step_result_t *from)
{
    int failed = 0;
    *to = (msg_step_result_t){.status = from->status, .started_unix_ms = from->started_unix_ms,
                              .finished_unix_ms = from->finished_unix_ms};
    to->step_id = copy_text(from->step_id, &failed);
    to->kind = copy_text(from->kind, &failed);
    to->error = copy_text(from->error, &failed);
    for (size_t i = 0; !failed && i < from->outputs.count; i++)
        failed = kv_list_add(&to->outputs, from->outputs.items[i].key, from->outputs.items[i].value) != 0;
    for (size_t i = 0; !failed && i < from->log_lines.count; i++)
        failed = str_list_add(&to->log_lines, from->log_lines.items[i]) != 0;
    if (failed)
        msg_step_result_clear(to);
    return failed ? -1 : 0;
}

int result_batch_add(result_batch_t *b, const char *agent, const msg_step_result_t *result)
{
    if (b->count == b->capacity) {
        size_t capacity = b->capacity ? b->capacity * 2 : 64;
        batched_result_t *grown = realloc(b->items, capacity * sizeof *grown);
        if (grown == NULL)
            return -1;
        b->items = grown;
        b->capacity = capacity;
    }
    batched_result_t *item = &b->items[b->count];
    if (copy_result(&item->result, result) != 0)
        return -1;
    snprintf(item->agent, sizeof item->agent, "%s", agent);
    b->count++;
    return 0;
}

int result_batch_append(result_batch_t *to, result_batch_t *from)
{
    if (to->count == 0) {
        free(to->items);
        result_batch_take(from, to);
        return 0;
    }
    if (to->count + from->count > to->capacity) {
        size_t capacity = to->count + from->count;
        batched_result_t *grown = realloc(to->items, capacity * sizeof *grown);
        if (grown == NULL)
            return -1;
        to->items = grown;
        to->capacity = capacity;
    }
    memcpy(to->items + to->count, from->items, from->count * sizeof *from->items);
    to->count += from->count;
    free(from->items);
    memset(from, 0, sizeof *from);
    return 0;
}

void result_batch_take(result_batch_t *b, result_batch_t *taken)
{
    *taken = *b;
    memset(b, 0, sizeof *b);
}

void result_batch_clear(result_batch_t *b)
{
    for (size_t i = 0; i < b->count; i++)
        msg_step_result_clear(&b->items[i].result);
    free(b->items);
    memset(b, 0, sizeof *b);
}
