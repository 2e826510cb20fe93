/* wire_frame.h -- the ZeroMQ frame that carries TLS records: type, session epoch, bytes. */
#ifndef ALFUP_WIRE_FRAME_H
#define ALFUP_WIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"

/* Frame layout: 1 byte type, 4 bytes epoch (big-endian), then TLS records.
 * The epoch names one TLS session attempt of an agent: a frame with a new
 * epoch starts a new session, so stale records from an earlier attempt never
 * reach a fresh handshake. RESET frames carry no payload and are not
 * authenticated: they only ever cause a fresh, fully verified handshake. */
enum { WIRE_FRAME_TLS = 1, WIRE_FRAME_RESET = 2 };

#define WIRE_HEADER_BYTES 5u
#define WIRE_PAYLOAD_MAX (64u * 1024u)
#define WIRE_FRAME_MAX (WIRE_PAYLOAD_MAX + WIRE_HEADER_BYTES)

typedef struct wire_frame {
    int type;
    uint32_t epoch;
    const uint8_t *payload;  /* points into the parsed buffer */
    size_t payload_len;
} wire_frame_t;

/* Parses a received frame. Refuses short, oversized or unknown frames and
 * RESET frames with a payload. */
int wire_frame_parse(const uint8_t *bytes, size_t len, wire_frame_t *frame, alfup_err_t *err);

/* Writes the 5-byte header for type and epoch into header. */
void wire_frame_header(int type, uint32_t epoch, uint8_t header[WIRE_HEADER_BYTES]);

#endif
