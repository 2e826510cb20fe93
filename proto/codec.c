/* codec.c -- converts alfup_msg_t to and from the protobuf Envelope.
 * The only file that includes the generated protobuf-c header. */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include "alfup.pb-c.h"

/* ---- encoding: borrow the C message's strings into generated structs ---- */

static char *borrow(char *text)
{
    return text ? text : (char *)"";
}

typedef struct kv_borrow {
    Alfup__KeyValue *values;
    Alfup__KeyValue **pointers;
} kv_borrow_t;

static int kv_borrow_init(kv_borrow_t *b, const kv_list_t *list)
{
    b->values = calloc(list->count + 1, sizeof *b->values);
    b->pointers = calloc(list->count + 1, sizeof *b->pointers);
    if (b->values == NULL || b->pointers == NULL)
        return -1;
    for (size_t i = 0; i < list->count; i++) {
        alfup__key_value__init(&b->values[i]);
        b->values[i].key = list->items[i].key;
        b->values[i].value = list->items[i].value;
        b->pointers[i] = &b->values[i];
    }
    return 0;
}

static void kv_borrow_free(kv_borrow_t *b)
{
    free(b->values);
    free(b->pointers);
}

typedef struct encode_parts {
    Alfup__Hello hello;
    Alfup__Heartbeat heartbeat;
    Alfup__StepRequest request;
    Alfup__StepProgress progress;
    Alfup__StepResult result;
    Alfup__ResultAck result_ack;
    Alfup__StepCancel cancel;
    kv_borrow_t kv;
} encode_parts_t;

static int fill_request(encode_parts_t *p, Alfup__Envelope *env, const alfup_msg_t *msg)
{
    alfup__step_request__init(&p->request);
    p->request.step_id = borrow(msg->request.step_id);
    p->request.kind = borrow(msg->request.kind);
    p->request.approval = borrow(msg->request.approval);
    if (kv_borrow_init(&p->kv, &msg->request.params) != 0)
        return -1;
    p->request.n_params = msg->request.params.count;
    p->request.params = p->kv.pointers;
    env->body_case = ALFUP__ENVELOPE__BODY_STEP_REQUEST;
    env->step_request = &p->request;
    return 0;
}

static int fill_result(encode_parts_t *p, Alfup__Envelope *env, const alfup_msg_t *msg)
{
    const msg_step_result_t *r = &msg->result;
    alfup__step_result__init(&p->result);
    p->result.step_id = borrow(r->step_id);
    p->result.kind = borrow(r->kind);
    p->result.status = (Alfup__StepStatus)r->status;
    p->result.error = borrow(r->error);
    if (kv_borrow_init(&p->kv, &r->outputs) != 0)
        return -1;
    p->result.n_outputs = r->outputs.count;
    p->result.outputs = p->kv.pointers;
    p->result.n_log_lines = r->log_lines.count;
    p->result.log_lines = r->log_lines.items;
    p->result.started_unix_ms = r->started_unix_ms;
    p->result.finished_unix_ms = r->finished_unix_ms;
    env->body_case = ALFUP__ENVELOPE__BODY_STEP_RESULT;
    env->step_result = &p->result;
    return 0;
}

static void fill_small(encode_parts_t *p, Alfup__Envelope *env, const alfup_msg_t *msg)
{
    switch (msg->kind) {
    case MSG_HELLO:
        alfup__hello__init(&p->hello);
        p->hello.name = borrow(msg->hello.name);
        p->hello.version = borrow(msg->hello.version);
        p->hello.hostname = borrow(msg->hello.hostname);
        p->hello.backup_free_bytes = msg->hello.backup_free_bytes;
        env->body_case = ALFUP__ENVELOPE__BODY_HELLO;
        env->hello = &p->hello;
        break;
    case MSG_HEARTBEAT:
        alfup__heartbeat__init(&p->heartbeat);
        p->heartbeat.sent_unix_ms = msg->heartbeat_unix_ms;
        env->body_case = ALFUP__ENVELOPE__BODY_HEARTBEAT;
        env->heartbeat = &p->heartbeat;
        break;
    case MSG_STEP_PROGRESS:
        alfup__step_progress__init(&p->progress);
        p->progress.step_id = borrow(msg->progress.step_id);
        p->progress.bytes_done = msg->progress.bytes_done;
        p->progress.bytes_total = msg->progress.bytes_total;
        p->progress.files_done = msg->progress.files_done;
        p->progress.files_total = msg->progress.files_total;
        p->progress.message = borrow(msg->progress.message);
        env->body_case = ALFUP__ENVELOPE__BODY_STEP_PROGRESS;
        env->step_progress = &p->progress;
        break;
    case MSG_RESULT_ACK:
        alfup__result_ack__init(&p->result_ack);
        p->result_ack.step_id = borrow(msg->ack_step_id);
        env->body_case = ALFUP__ENVELOPE__BODY_RESULT_ACK;
        env->result_ack = &p->result_ack;
        break;
    case MSG_STEP_CANCEL:
        alfup__step_cancel__init(&p->cancel);
        p->cancel.step_id = borrow(msg->ack_step_id);
        env->body_case = ALFUP__ENVELOPE__BODY_STEP_CANCEL;
        env->step_cancel = &p->cancel;
        break;
    default:
        break;
    }
}

int msg_encode(const alfup_msg_t *msg, uint8_t **out, size_t *len, alfup_err_t *err)
{
    encode_parts_t parts;
    memset(&parts, 0, sizeof parts);
    Alfup__Envelope env = ALFUP__ENVELOPE__INIT;
    env.version = ALFUP_PROTOCOL_VERSION;
    env.seq = msg->seq;
    env.ack = msg->ack;
    int rc = ALFUP_ERR;

    if (msg->kind == MSG_STEP_REQUEST || msg->kind == MSG_STEP_RESULT) {
        int fill_rc = msg->kind == MSG_STEP_REQUEST ? fill_request(&parts, &env, msg)
                                                    : fill_result(&parts, &env, msg);
        if (fill_rc != 0) {
            alfup_err_set(err, "encode: out of memory");
            goto out;
        }
    } else {
        fill_small(&parts, &env, msg);
    }
    if (env.body_case == ALFUP__ENVELOPE__BODY__NOT_SET) {
        alfup_err_set(err, "encode: message kind %d has no body", (int)msg->kind);
        goto out;
    }
    size_t size = alfup__envelope__get_packed_size(&env);
    if (size > ALFUP_ENVELOPE_MAX) {
        alfup_err_set(err, "encode: envelope of %zu bytes exceeds the %u-byte limit",
                      size, ALFUP_ENVELOPE_MAX);
        goto out;
    }
    *out = malloc(size ? size : 1);
    if (*out == NULL) {
        alfup_err_set(err, "encode: out of memory");
        goto out;
    }
    *len = alfup__envelope__pack(&env, *out);
    rc = ALFUP_OK;
out:
    kv_borrow_free(&parts.kv);
    return rc;
}

/* ---- decoding: copy out of the unpacked envelope, then free it ---- */

static int copy_str(char **dst, const char *src)
{
    *dst = strdup(src ? src : "");
    return *dst ? 0 : -1;
}

static int copy_kv(kv_list_t *dst, Alfup__KeyValue **src, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (kv_list_add(dst, src[i]->key, src[i]->value) != 0)
            return -1;
    return 0;
}

static int copy_request(alfup_msg_t *msg, const Alfup__StepRequest *r)
{
    msg->kind = MSG_STEP_REQUEST;
    if (copy_str(&msg->request.step_id, r->step_id) || copy_str(&msg->request.kind, r->kind) ||
        copy_str(&msg->request.approval, r->approval))
        return -1;
    return copy_kv(&msg->request.params, r->params, r->n_params);
}

static int copy_result(alfup_msg_t *msg, const Alfup__StepResult *r)
{
    msg_step_result_t *dst = &msg->result;
    msg->kind = MSG_STEP_RESULT;
    dst->status = (step_status_t)r->status;
    dst->started_unix_ms = r->started_unix_ms;
    dst->finished_unix_ms = r->finished_unix_ms;
    if (copy_str(&dst->step_id, r->step_id) || copy_str(&dst->kind, r->kind) ||
        copy_str(&dst->error, r->error))
        return -1;
    for (size_t i = 0; i < r->n_log_lines; i++)
        if (str_list_add(&dst->log_lines, r->log_lines[i]) != 0)
            return -1;
    return copy_kv(&dst->outputs, r->outputs, r->n_outputs);
}

static int copy_small(alfup_msg_t *msg, const Alfup__Envelope *env)
{
    switch (env->body_case) {
    case ALFUP__ENVELOPE__BODY_HELLO:
        msg->kind = MSG_HELLO;
        msg->hello.backup_free_bytes = env->hello->backup_free_bytes;
        return copy_str(&msg->hello.name, env->hello->name) ||
               copy_str(&msg->hello.version, env->hello->version) ||
               copy_str(&msg->hello.hostname, env->hello->hostname);
    case ALFUP__ENVELOPE__BODY_HEARTBEAT:
        msg->kind = MSG_HEARTBEAT;
        msg->heartbeat_unix_ms = env->heartbeat->sent_unix_ms;
        return 0;
    case ALFUP__ENVELOPE__BODY_STEP_PROGRESS:
        msg->kind = MSG_STEP_PROGRESS;
        msg->progress.bytes_done = env->step_progress->bytes_done;
        msg->progress.bytes_total = env->step_progress->bytes_total;
        msg->progress.files_done = env->step_progress->files_done;
        msg->progress.files_total = env->step_progress->files_total;
        return copy_str(&msg->progress.step_id, env->step_progress->step_id) ||
               copy_str(&msg->progress.message, env->step_progress->message);
    case ALFUP__ENVELOPE__BODY_RESULT_ACK:
        msg->kind = MSG_RESULT_ACK;
        return copy_str(&msg->ack_step_id, env->result_ack->step_id);
    case ALFUP__ENVELOPE__BODY_STEP_CANCEL:
        msg->kind = MSG_STEP_CANCEL;
        return copy_str(&msg->ack_step_id, env->step_cancel->step_id);
    default:
        return -1;
    }
}

static const char *step_id_of(const alfup_msg_t *msg)
{
    switch (msg->kind) {
    case MSG_STEP_REQUEST: return msg->request.step_id;
    case MSG_STEP_PROGRESS: return msg->progress.step_id;
    case MSG_STEP_RESULT: return msg->result.step_id;
    case MSG_RESULT_ACK:
    case MSG_STEP_CANCEL: return msg->ack_step_id;
    default: return NULL;
    }
}

int msg_decode(const uint8_t *buf, size_t len, alfup_msg_t *msg, alfup_err_t *err)
{
    memset(msg, 0, sizeof *msg);
    if (len > ALFUP_ENVELOPE_MAX)
        return alfup_err_set(err, "decode: envelope of %zu bytes exceeds the %u-byte limit",
                             len, ALFUP_ENVELOPE_MAX);
    Alfup__Envelope *env = alfup__envelope__unpack(NULL, len, buf);
    if (env == NULL)
        return alfup_err_set(err, "decode: malformed envelope (%zu bytes)", len);
    int rc = ALFUP_ERR;
    if (env->version != ALFUP_PROTOCOL_VERSION) {
        alfup_err_set(err, "decode: unsupported protocol version %u (this side speaks %u)",
                      env->version, ALFUP_PROTOCOL_VERSION);
        goto out;
    }
    msg->seq = env->seq;
    msg->ack = env->ack;
    if (env->body_case == ALFUP__ENVELOPE__BODY__NOT_SET) {
        alfup_err_set(err, "decode: envelope has no body");
        goto out;
    }
    int copy_rc;
    if (env->body_case == ALFUP__ENVELOPE__BODY_STEP_REQUEST)
        copy_rc = copy_request(msg, env->step_request);
    else if (env->body_case == ALFUP__ENVELOPE__BODY_STEP_RESULT)
        copy_rc = copy_result(msg, env->step_result);
    else
        copy_rc = copy_small(msg, env);
    if (copy_rc != 0) {
        alfup_err_set(err, "decode: out of memory or unknown body");
        goto out;
    }
    const char *step_id = step_id_of(msg);
    if (msg->kind != MSG_HELLO && msg->kind != MSG_HEARTBEAT && !step_id_is_valid(step_id)) {
        alfup_err_set(err, "decode: malformed step id");
        goto out;
    }
    rc = ALFUP_OK;
out:
    alfup__envelope__free_unpacked(env, NULL);
    if (rc != ALFUP_OK)
        alfup_msg_clear(msg);
    return rc;
}
