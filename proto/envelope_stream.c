/* envelope_stream.c -- length-prefixed reassembly with the size limit checked first. */
#include "envelope_stream.h"

#include <stdlib.h>
#include <string.h>

typedef struct envelope_node {
    struct envelope_node *next;
    uint8_t *payload;
    size_t len;
} envelope_node_t;

struct envelope_stream {
    size_t max;
    uint8_t header[ENVELOPE_LENGTH_BYTES];
    size_t header_used;
    uint8_t *body;       /* the envelope being filled, once its header is known */
    size_t body_len, body_used;
    envelope_node_t *head, *tail;  /* complete envelopes, oldest first */
    int failed;
};

envelope_stream_t *envelope_stream_new(size_t max)
{
    envelope_stream_t *stream = calloc(1, sizeof *stream);
    if (stream)
        stream->max = max;
    return stream;
}

void envelope_stream_destroy(envelope_stream_t **stream_p)
{
    if (stream_p == NULL || *stream_p == NULL)
        return;
    envelope_stream_t *stream = *stream_p;
    while (stream->head) {
        envelope_node_t *next = stream->head->next;
        free(stream->head->payload);
        free(stream->head);
        stream->head = next;
    }
    free(stream->body);
    free(stream);
    *stream_p = NULL;
}

void envelope_length_encode(uint32_t len, uint8_t header[ENVELOPE_LENGTH_BYTES])
{
    header[0] = (uint8_t)(len >> 24);
    header[1] = (uint8_t)(len >> 16);
    header[2] = (uint8_t)(len >> 8);
    header[3] = (uint8_t)len;
}

static int complete_envelope(envelope_stream_t *stream, alfup_err_t *err)
{
    envelope_node_t *node = calloc(1, sizeof *node);
    if (node == NULL)
        return alfup_err_set(err, "envelope stream: out of memory");
    node->payload = stream->body;
    node->len = stream->body_len;
    if (stream->tail)
        stream->tail->next = node;
    else
        stream->head = node;
    stream->tail = node;
    stream->body = NULL;
    stream->body_len = stream->body_used = 0;
    stream->header_used = 0;
    return ALFUP_OK;
}

static int start_body(envelope_stream_t *stream, alfup_err_t *err)
{
    uint32_t len = ((uint32_t)stream->header[0] << 24) | ((uint32_t)stream->header[1] << 16) |
                   ((uint32_t)stream->header[2] << 8) | stream->header[3];
    if (len == 0 || len > stream->max)
        return alfup_err_set(err, "envelope of %u bytes refused (limit %zu)", len, stream->max);
    stream->body = malloc(len);
    if (stream->body == NULL)
        return alfup_err_set(err, "envelope stream: out of memory");
    stream->body_len = len;
    stream->body_used = 0;
    return ALFUP_OK;
}

int envelope_stream_push(envelope_stream_t *stream, const uint8_t *bytes, size_t len,
                         alfup_err_t *err)
{
    if (stream->failed)
        return alfup_err_set(err, "envelope stream already failed");
    while (len > 0) {
        if (stream->body == NULL) {
            size_t take = ENVELOPE_LENGTH_BYTES - stream->header_used;
            take = take < len ? take : len;
            memcpy(stream->header + stream->header_used, bytes, take);
            stream->header_used += take;
            bytes += take;
            len -= take;
            if (stream->header_used == ENVELOPE_LENGTH_BYTES && start_body(stream, err) != ALFUP_OK) {
                stream->failed = 1;
                return ALFUP_ERR;
            }
            continue;
        }
        size_t take = stream->body_len - stream->body_used;
        take = take < len ? take : len;
        memcpy(stream->body + stream->body_used, bytes, take);
        stream->body_used += take;
        bytes += take;
        len -= take;
        if (stream->body_used == stream->body_len && complete_envelope(stream, err) != ALFUP_OK) {
            stream->failed = 1;
            return ALFUP_ERR;
        }
    }
    return ALFUP_OK;
}

int envelope_stream_pop(envelope_stream_t *stream, uint8_t **payload, size_t *len)
{
    envelope_node_t *node = stream->head;
    if (node == NULL)
        return ALFUP_AGAIN;
    stream->head = node->next;
    if (stream->head == NULL)
        stream->tail = NULL;
    *payload = node->payload;
    *len = node->len;
    free(node);
    return ALFUP_OK;
}
