/* fuzz_envelope.c -- libFuzzer target: the envelope stream and decoder on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"
#include "envelope_stream.h"
#include "wire_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    alfup_err_t err;
    wire_frame_t frame;
    (void)wire_frame_parse(data, size, &frame, &err);

    alfup_msg_t msg;
    if (msg_decode(data, size, &msg, &err) == ALFUP_OK) {
        uint8_t *again = NULL;
        size_t len = 0;
        if (msg_encode(&msg, &again, &len, &err) == ALFUP_OK)
            free(again);
        alfup_msg_clear(&msg);
    }

    envelope_stream_t *stream = envelope_stream_new(4096);
    if (stream == NULL)
        return 0;
    if (envelope_stream_push(stream, data, size, &err) == ALFUP_OK) {
        uint8_t *payload;
        size_t len;
        while (envelope_stream_pop(stream, &payload, &len) == ALFUP_OK) {
            if (msg_decode(payload, len, &msg, &err) == ALFUP_OK)
                alfup_msg_clear(&msg);
            free(payload);
        }
    }
    envelope_stream_destroy(&stream);
    return 0;
}
