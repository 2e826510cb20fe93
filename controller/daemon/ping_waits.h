/* ping_waits.h -- `alfup-controller ping` requests waiting for their agents' answers. */
#ifndef ALFUP_PING_WAITS_H
#define ALFUP_PING_WAITS_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"

#define PING_TIMEOUT_MS 5000u
#define PING_HOLD_MAX_MS 600000u
#define PING_TARGET_NAME_MAX 128

typedef struct ping_target {
    char agent[PING_TARGET_NAME_MAX];
    char step_id[ALFUP_STEP_ID_MAX + 1];
    uint64_t sent_us;          /* the fan-out's start (journaling included); 0: not sent */
    uint64_t answered_us;      /* 0 while waiting */
    char status[16];           /* "ok", "failed: ...", "not sent", "timeout" */
} ping_target_t;

typedef struct ping_wait {
    uint64_t client_id;        /* the admin client to answer */
    int json;
    uint64_t deadline_ms;      /* monotonic */
    ping_target_t *targets;
    size_t count;
    size_t *by_step_id;        /* target indexes sorted by step id (ping_wait_index), or NULL */
    struct ping_wait *next;
} ping_wait_t;

/* Monotonic microseconds, for round-trip times. */
uint64_t ping_now_us(void);

/* Builds the wait's index of targets by step id, so each answer is found in O(log n) instead
 * of a scan of every target. Call after the targets are final. 0, or -1 when out of memory
 * (answers are then matched by a scan). */
int ping_wait_index(ping_wait_t *wait);

/* Records the answer to step_id if a ping waits for it. 1 when it did. */
int ping_waits_answer(ping_wait_t *waits, const msg_step_result_t *result);

/* 1 when every target answered or the deadline passed (targets still waiting
 * are then marked "timeout"). */
int ping_wait_done(ping_wait_t *wait, uint64_t now_ms);

/* The report: a table, or one JSON object. Caller frees. NULL on ENOMEM.
 * *all_ok is 1 when at least one agent was pinged and every one answered. */
char *ping_wait_report(const ping_wait_t *wait, int *all_ok);

void ping_wait_free(ping_wait_t *wait);

#endif
