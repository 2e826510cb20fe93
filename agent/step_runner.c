/* step_runner.c -- one thread per running step; reports travel to the daemon's
 * thread as encoded envelopes over an inproc PUSH/PULL pair (ZeroMQ sockets are
 * never shared between threads). */
#include "step_runner.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "log.h"
#include "step.h"

#define COMPONENT "runner"

typedef struct runner_slot {
    step_runner_t *runner;
    pthread_t thread;
    atomic_int busy;        /* 1 from start until joined */
    atomic_int finished;    /* 1 when the worker is done and may be joined */
    atomic_int cancel;
    int interrupted;        /* started before, never finished: see step_context_t */
    msg_step_request_t request;  /* owned copy */
    void *push;             /* the worker's own socket */
    pthread_mutex_t push_lock; /* steps may report progress from a helper thread of theirs */
    uint64_t last_progress_ms;
} runner_slot_t;

struct step_runner {
    void *zmq_context;
    void *pull;
    char endpoint[64];
    const agent_config_t *config;
    result_store_t *store;
    runner_slot_t slots[STEP_RUNNER_SLOTS];
};

static void request_clear(msg_step_request_t *r)
{
    free(r->step_id);
    free(r->kind);
    free(r->approval);
    kv_list_clear(&r->params);
    memset(r, 0, sizeof *r);
}

static int request_copy(msg_step_request_t *dst, const msg_step_request_t *src)
{
    memset(dst, 0, sizeof *dst);
    dst->step_id = strdup(src->step_id);
    dst->kind = strdup(src->kind);
    dst->approval = strdup(src->approval ? src->approval : "");
    if (!dst->step_id || !dst->kind || !dst->approval)
        return -1;
    for (size_t i = 0; i < src->params.count; i++)
        if (kv_list_add(&dst->params, src->params.items[i].key, src->params.items[i].value) != 0)
            return -1;
    return 0;
}

/* Worker side: encode and push a report to the daemon's thread. */
static void push_report(runner_slot_t *slot, const alfup_msg_t *msg)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    alfup_err_t err;
    if (msg_encode(msg, &bytes, &len, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "step %s: %s", slot->request.step_id, err.msg);
        return;
    }
    pthread_mutex_lock(&slot->push_lock);
    int sent = zmq_send(slot->push, bytes, len, 0);
    pthread_mutex_unlock(&slot->push_lock);
    if (sent < 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "step %s: report lost: %s", slot->request.step_id,
                  zmq_strerror(errno));
    free(bytes);
}

static void on_progress(void *arg, const step_progress_t *p)
{
    runner_slot_t *slot = arg;
    uint64_t now = alfup_now_mono_ms();
    int last = p->bytes_total && p->bytes_done == p->bytes_total;
    pthread_mutex_lock(&slot->push_lock);
    int too_soon = !last && now - slot->last_progress_ms < STEP_PROGRESS_MIN_MS;
    if (!too_soon)
        slot->last_progress_ms = now;
    pthread_mutex_unlock(&slot->push_lock);
    if (too_soon)
        return;
    alfup_msg_t msg = {.kind = MSG_STEP_PROGRESS};
    msg.progress = (msg_step_progress_t){
        .step_id = slot->request.step_id, .bytes_done = p->bytes_done, .bytes_total = p->bytes_total,
        .files_done = p->files_done, .files_total = p->files_total, .message = (char *)p->message};
    push_report(slot, &msg);
}

static void run_step(runner_slot_t *slot, msg_step_result_t *result)
{
    const step_kind_t *kind = step_kind_find(slot->request.kind);
    step_context_t ctx = {
        .config = slot->runner->config, .step_id = slot->request.step_id,
        .params = &slot->request.params, .approval = slot->request.approval, .result = result,
        .progress = on_progress, .progress_arg = slot, .cancel = &slot->cancel,
        .interrupted = slot->interrupted};
    if (kind == NULL) {
        result->status = step_fail(&ctx, STEP_REFUSED, "unknown step kind '%s'", slot->request.kind);
        return;
    }
    result->status = kind->run(&ctx);
}

static void *worker_main(void *arg)
{
    runner_slot_t *slot = arg;
    alfup_msg_t msg = {.kind = MSG_STEP_RESULT};
    msg_step_result_t *result = &msg.result;
    result->started_unix_ms = alfup_now_unix_ms();
    result->step_id = strdup(slot->request.step_id);
    result->kind = strdup(slot->request.kind);
    if (result->step_id && result->kind)
        run_step(slot, result);
    else
        result->status = STEP_FAILED;
    result->finished_unix_ms = alfup_now_unix_ms();
    alfup_err_t err;
    if (result->step_id && result_store_put(slot->runner->store, result, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "step %s: cannot record its result: %s", result->step_id, err.msg);
        result->status = STEP_FAILED;
        free(result->error);
        result->error = strdup(err.msg);
    }
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "step %s (%s) %s%s%s", slot->request.step_id, slot->request.kind,
              step_status_name(result->status), result->error && result->error[0] ? ": " : "",
              result->error ? result->error : "");
    atomic_store(&slot->finished, 1);
    push_report(slot, &msg);
    alfup_msg_clear(&msg);
    return NULL;
}

/* ---- the daemon's side ---- */

static void join_slot(runner_slot_t *slot)
{
    pthread_join(slot->thread, NULL);
    zmq_close(slot->push);
    slot->push = NULL;
    request_clear(&slot->request);
    atomic_store(&slot->finished, 0);
    atomic_store(&slot->cancel, 0);
    atomic_store(&slot->busy, 0);
}

int step_runner_start(step_runner_t *r, const msg_step_request_t *request, alfup_err_t *err)
{
    runner_slot_t *slot = NULL;
    for (size_t i = 0; i < STEP_RUNNER_SLOTS && slot == NULL; i++)
        if (!atomic_load(&r->slots[i].busy))
            slot = &r->slots[i];
    if (slot == NULL)
        return ALFUP_AGAIN;
    if (request_copy(&slot->request, request) != 0) {
        request_clear(&slot->request);
        return alfup_err_set(err, "step %s: out of memory", request->step_id);
    }
    slot->runner = r;
    slot->last_progress_ms = 0;
    int interrupted = result_store_mark_started(r->store, request->step_id, err);
    if (interrupted < 0) {
        request_clear(&slot->request);
        return alfup_err_prefix(err, "step %s", request->step_id);
    }
    slot->interrupted = interrupted;
    if (interrupted)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "step %s was interrupted by an agent restart; running it again",
                  request->step_id);
    slot->push = zmq_socket(r->zmq_context, ZMQ_PUSH);
    if (slot->push == NULL || zmq_connect(slot->push, r->endpoint) != 0) {
        if (slot->push)
            zmq_close(slot->push);
        slot->push = NULL;
        request_clear(&slot->request);
        return alfup_err_set(err, "step %s: report socket: %s", request->step_id, zmq_strerror(errno));
    }
    atomic_store(&slot->busy, 1);
    int rc = pthread_create(&slot->thread, NULL, worker_main, slot);
    if (rc != 0) {
        zmq_close(slot->push);
        slot->push = NULL;
        request_clear(&slot->request);
        atomic_store(&slot->busy, 0);
        return alfup_err_errno(err, rc, "step %s: start thread", request->step_id);
    }
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "step %s (%s) started", request->step_id, request->kind);
    return ALFUP_OK;
}

static runner_slot_t *find_running(const step_runner_t *r, const char *step_id)
{
    for (size_t i = 0; i < STEP_RUNNER_SLOTS; i++) {
        const runner_slot_t *slot = &r->slots[i];
        if (atomic_load(&slot->busy) && slot->request.step_id && strcmp(slot->request.step_id, step_id) == 0)
            return (runner_slot_t *)slot;
    }
    return NULL;
}

int step_runner_is_running(const step_runner_t *r, const char *step_id)
{
    return find_running(r, step_id) != NULL;
}

int step_runner_cancel(step_runner_t *r, const char *step_id)
{
    runner_slot_t *slot = find_running(r, step_id);
    if (slot == NULL)
        return 0;
    atomic_store(&slot->cancel, 1);
    return 1;
}

int step_runner_next_report(step_runner_t *r, alfup_msg_t *msg)
{
    for (;;) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, r->pull, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            return ALFUP_AGAIN;
        }
        alfup_err_t err;
        int rc = msg_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), msg, &err);
        zmq_msg_close(&frame);
        if (rc != ALFUP_OK) {
            alfup_log(LOG_LEVEL_ERROR, COMPONENT, "bad report from a worker: %s", err.msg);
            continue;
        }
        if (msg->kind == MSG_STEP_RESULT) {
            runner_slot_t *slot = find_running(r, msg->result.step_id);
            if (slot && atomic_load(&slot->finished))
                join_slot(slot);
        }
        return ALFUP_OK;
    }
}

void *step_runner_socket(step_runner_t *r)
{
    return r->pull;
}

step_runner_t *step_runner_new(void *zmq_context, const agent_config_t *config,
                               result_store_t *store, alfup_err_t *err)
{
    step_runner_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return alfup_err_set(err, "runner: out of memory"), NULL;
    r->zmq_context = zmq_context;
    for (size_t i = 0; i < STEP_RUNNER_SLOTS; i++)
        pthread_mutex_init(&r->slots[i].push_lock, NULL);
    r->config = config;
    r->store = store;
    snprintf(r->endpoint, sizeof r->endpoint, "inproc://alfup-runner-%p", (void *)r);
    r->pull = zmq_socket(zmq_context, ZMQ_PULL);
    if (r->pull == NULL || zmq_bind(r->pull, r->endpoint) != 0) {
        alfup_err_set(err, "runner: report socket: %s", zmq_strerror(errno));
        if (r->pull)
            zmq_close(r->pull);
        free(r);
        return NULL;
    }
    return r;
}

void step_runner_destroy(step_runner_t **runner_p)
{
    if (runner_p == NULL || *runner_p == NULL)
        return;
    step_runner_t *r = *runner_p;
    for (size_t i = 0; i < STEP_RUNNER_SLOTS; i++)
        if (atomic_load(&r->slots[i].busy))
            atomic_store(&r->slots[i].cancel, 1);
    for (size_t i = 0; i < STEP_RUNNER_SLOTS; i++)
        if (atomic_load(&r->slots[i].busy))
            join_slot(&r->slots[i]);
    int linger = 0;
    zmq_setsockopt(r->pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(r->pull);
    for (size_t i = 0; i < STEP_RUNNER_SLOTS; i++)
        pthread_mutex_destroy(&r->slots[i].push_lock);
    free(r);
    *runner_p = NULL;
}
