/* codec.h -- envelopes to bytes and back; the only user of the generated code. */
#ifndef ALFUP_CODEC_H
#define ALFUP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"
#include "message.h"

/* Encodes msg (with ALFUP_PROTOCOL_VERSION) into a new buffer *out of *len
 * bytes, which the caller frees. Fails when the result would exceed
 * ALFUP_ENVELOPE_MAX or memory runs out. */
int msg_encode(const alfup_msg_t *msg, uint8_t **out, size_t *len, alfup_err_t *err);

/* Decodes len bytes into *msg (zeroed first; the caller clears it). Refuses
 * input over ALFUP_ENVELOPE_MAX, malformed protobuf, unknown protocol
 * versions, envelopes without a body, and step ids that are not well formed.
 * On failure *msg is left cleared. */
int msg_decode(const uint8_t *buf, size_t len, alfup_msg_t *msg, alfup_err_t *err);

#endif
