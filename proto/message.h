/* message.h -- the C form of the envelope messages both sides exchange. */
#ifndef ALFUP_MESSAGE_H
#define ALFUP_MESSAGE_H

#include <stdint.h>

#include "kv_list.h"
#include "str_list.h"

#define ALFUP_PROTOCOL_VERSION 1u
/* Hard limit on one encoded envelope, checked before any allocation. */
#define ALFUP_ENVELOPE_MAX (1024u * 1024u)
/* Step ids name files in the agent's state_dir: [A-Za-z0-9._@-], not starting with
 * '.', at most this long. */
#define ALFUP_STEP_ID_MAX 96

typedef enum msg_kind {
    MSG_NONE = 0,
    MSG_HELLO,
    MSG_HEARTBEAT,
    MSG_STEP_REQUEST,
    MSG_STEP_PROGRESS,
    MSG_STEP_RESULT,
    MSG_RESULT_ACK,
    MSG_STEP_CANCEL
} msg_kind_t;

typedef enum step_status {
    STEP_UNSPECIFIED = 0,
    STEP_SUCCEEDED = 1,
    STEP_FAILED = 2,
    STEP_CANCELLED = 3,
    STEP_REFUSED = 4
} step_status_t;

typedef struct msg_hello {
    char *name;
    char *version;
    char *hostname;
    uint64_t backup_free_bytes;
} msg_hello_t;

typedef struct msg_step_request {
    char *step_id;
    char *kind;
    kv_list_t params;
    char *approval;
} msg_step_request_t;

typedef struct msg_step_progress {
    char *step_id;
    uint64_t bytes_done, bytes_total;
    uint64_t files_done, files_total;
    char *message;
} msg_step_progress_t;

typedef struct msg_step_result {
    char *step_id;
    char *kind;
    step_status_t status;
    char *error;
    kv_list_t outputs;
    str_list_t log_lines;
    uint64_t started_unix_ms;
    uint64_t finished_unix_ms;
} msg_step_result_t;

/* One envelope. Exactly the member named by kind is meaningful; all strings are
 * owned by the message and freed by alfup_msg_clear. Zero-initialise. */
typedef struct alfup_msg {
    msg_kind_t kind;
    uint64_t seq;
    uint64_t ack;
    msg_hello_t hello;
    uint64_t heartbeat_unix_ms;
    msg_step_request_t request;
    msg_step_progress_t progress;
    msg_step_result_t result;
    char *ack_step_id;     /* MSG_RESULT_ACK and MSG_STEP_CANCEL */
} alfup_msg_t;

/* Frees everything the message owns and zeroes it. Tolerates NULL. */
void alfup_msg_clear(alfup_msg_t *msg);

/* Frees what a result owns and zeroes it. */
void msg_step_result_clear(msg_step_result_t *result);

/* 1 when id is a well-formed step id (safe as a file name), else 0. */
int step_id_is_valid(const char *id);

/* A static name for a status ("succeeded", "failed", ...). */
const char *step_status_name(step_status_t status);

/* Milliseconds since the Unix epoch (wall clock). */
uint64_t alfup_now_unix_ms(void);

/* Milliseconds of a monotonic clock, for timeouts. */
uint64_t alfup_now_mono_ms(void);

#endif
