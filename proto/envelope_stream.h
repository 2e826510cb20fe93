/* envelope_stream.h -- reassembles length-prefixed envelopes from a TLS byte stream. */
#ifndef ALFUP_ENVELOPE_STREAM_H
#define ALFUP_ENVELOPE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"

/* Each envelope travels as a 4-byte big-endian length, then that many bytes. */
#define ENVELOPE_LENGTH_BYTES 4u

typedef struct envelope_stream envelope_stream_t;

/* A reassembler that refuses any envelope longer than max bytes. NULL on ENOMEM. */
envelope_stream_t *envelope_stream_new(size_t max);

void envelope_stream_destroy(envelope_stream_t **stream_p);

/* Takes len bytes of the stream. A length header over the limit is refused
 * here, before anything is allocated for it; after a failure the stream is
 * unusable (the peer is dropped). */
int envelope_stream_push(envelope_stream_t *stream, const uint8_t *bytes, size_t len,
                         alfup_err_t *err);

/* Moves the next complete envelope into *payload (caller frees) / *len.
 * ALFUP_AGAIN when none is complete yet. */
int envelope_stream_pop(envelope_stream_t *stream, uint8_t **payload, size_t *len);

/* Writes the 4-byte length header for len into header. */
void envelope_length_encode(uint32_t len, uint8_t header[ENVELOPE_LENGTH_BYTES]);

#endif
