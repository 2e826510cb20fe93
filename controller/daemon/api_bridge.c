/* api_bridge.c -- reading the API thread's requests off the inproc ROUTER and sending the answers back. */
#include "api_bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"

#define COMPONENT "api"
#define ROUTING_ID_MAX 256
#define REQUEST_MAX (16u * 1024u)
#define REQUESTS_PER_PASS 64

struct api_bridge {
    void *router;
    api_bridge_answer_fn answer;
    void *arg;
};

api_bridge_t *api_bridge_new(void *zmq_context, api_bridge_answer_fn answer, void *arg, alfup_err_t *err)
{
    api_bridge_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return alfup_err_set(err, "api bridge: out of memory"), NULL;
    b->answer = answer;
    b->arg = arg;
    int linger = 0;
    b->router = zmq_socket(zmq_context, ZMQ_ROUTER);
    if (b->router == NULL || zmq_setsockopt(b->router, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(b->router, API_BRIDGE_ENDPOINT) != 0) {
        alfup_err_set(err, "api bridge %s: %s", API_BRIDGE_ENDPOINT, zmq_strerror(zmq_errno()));
        api_bridge_destroy(&b);
        return NULL;
    }
    return b;
}

void api_bridge_destroy(api_bridge_t **bridge_p)
{
    if (bridge_p == NULL || *bridge_p == NULL)
        return;
    if ((*bridge_p)->router)
        zmq_close((*bridge_p)->router);
    free(*bridge_p);
    *bridge_p = NULL;
}

void *api_bridge_socket(api_bridge_t *b)
{
    return b->router;
}

static void send_answer(api_bridge_t *b, const void *routing_id, size_t id_len, unsigned long long seq,
                        unsigned status, const char *body)
{
    char seq_text[32], status_text[16];
    snprintf(seq_text, sizeof seq_text, "%llu", seq);
    snprintf(status_text, sizeof status_text, "%u", status);
    if (zmq_send(b->router, routing_id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(b->router, seq_text, strlen(seq_text), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(b->router, status_text, strlen(status_text), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(b->router, body, strlen(body), ZMQ_DONTWAIT) < 0)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "answer %llu not handed to the API thread: %s", seq,
                  zmq_strerror(zmq_errno()));
}

/* Reads one [routing id][request] message; 0 when none was waiting. */
static int handle_one(api_bridge_t *b)
{
    char routing_id[ROUTING_ID_MAX];
    int id_len = zmq_recv(b->router, routing_id, sizeof routing_id, ZMQ_DONTWAIT);
    if (id_len < 0)
        return 0;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int got = zmq_msg_recv(&msg, b->router, ZMQ_DONTWAIT);
    while (got >= 0 && zmq_msg_more(&msg)) { /* one frame is expected: drop the rest */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, b->router, ZMQ_DONTWAIT);
        int more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        if (!more)
            break;
    }
    api_request_t request;
    alfup_err_t err;
    if (got < 0 || id_len > ROUTING_ID_MAX || zmq_msg_size(&msg) > REQUEST_MAX ||
        api_request_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &request, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "malformed request from the API thread dropped");
        zmq_msg_close(&msg);
        return 1;
    }
    zmq_msg_close(&msg);
    char *body = NULL;
    unsigned status = b->answer(b->arg, &request, &body);
    send_answer(b, routing_id, (size_t)id_len, request.seq, body ? status : 500,
                body ? body : "{\"error\": \"out of memory\"}");
    free(body);
    return 1;
}

void api_bridge_handle_input(api_bridge_t *b)
{
    for (int i = 0; i < REQUESTS_PER_PASS && handle_one(b); i++)
        ;
}
