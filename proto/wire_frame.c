/* wire_frame.c -- parsing and building the frames that carry TLS records over ZeroMQ. */
#include "wire_frame.h"

int wire_frame_parse(const uint8_t *bytes, size_t len, wire_frame_t *frame, alfup_err_t *err)
{
    if (len < WIRE_HEADER_BYTES)
        return alfup_err_set(err, "frame of %zu bytes is shorter than its header", len);
    if (len > WIRE_FRAME_MAX)
        return alfup_err_set(err, "frame of %zu bytes exceeds the %u-byte limit", len, WIRE_FRAME_MAX);
    frame->type = bytes[0];
    frame->epoch = ((uint32_t)bytes[1] << 24) | ((uint32_t)bytes[2] << 16) |
                   ((uint32_t)bytes[3] << 8) | bytes[4];
    frame->payload = bytes + WIRE_HEADER_BYTES;
    frame->payload_len = len - WIRE_HEADER_BYTES;
    if (frame->type == WIRE_FRAME_TLS && frame->payload_len > 0)
        return ALFUP_OK;
    if (frame->type == WIRE_FRAME_RESET && frame->payload_len == 0)
        return ALFUP_OK;
    return alfup_err_set(err, "malformed frame (type %d, %zu payload bytes)", frame->type,
                         frame->payload_len);
}

void wire_frame_header(int type, uint32_t epoch, uint8_t header[WIRE_HEADER_BYTES])
{
    header[0] = (uint8_t)type;
    header[1] = (uint8_t)(epoch >> 24);
    header[2] = (uint8_t)(epoch >> 16);
    header[3] = (uint8_t)(epoch >> 8);
    header[4] = (uint8_t)epoch;
}
