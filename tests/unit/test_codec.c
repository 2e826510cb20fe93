/* test_codec.c -- envelopes round-trip, and malformed or oversized input is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "envelope_stream.h"
#include "file_util.h"
#include "wire_frame.h"

static void test_step_result_round_trip(void **state)
{
    (void)state;
    alfup_msg_t out = {.kind = MSG_STEP_RESULT, .seq = 7, .ack = 3};
    out.result.step_id = strdup("backup.1");
    out.result.kind = strdup("backup-tree");
    out.result.status = STEP_FAILED;
    out.result.error = strdup("disk full");
    kv_list_add(&out.result.outputs, "archive", "/srv/b/x.tar.zst");
    str_list_add(&out.result.log_lines, "line one");
    uint8_t *bytes = NULL;
    size_t len = 0;
    alfup_err_t err;
    assert_int_equal(msg_encode(&out, &bytes, &len, &err), ALFUP_OK);
    alfup_msg_t in;
    assert_int_equal(msg_decode(bytes, len, &in, &err), ALFUP_OK);
    assert_int_equal(in.kind, MSG_STEP_RESULT);
    assert_int_equal(in.seq, 7);
    assert_int_equal(in.ack, 3);
    assert_string_equal(in.result.step_id, "backup.1");
    assert_int_equal(in.result.status, STEP_FAILED);
    assert_string_equal(in.result.error, "disk full");
    assert_string_equal(kv_list_get(&in.result.outputs, "archive"), "/srv/b/x.tar.zst");
    assert_string_equal(in.result.log_lines.items[0], "line one");
    alfup_msg_clear(&in);
    alfup_msg_clear(&out);
    free(bytes);
}

static void test_bad_step_id_refused(void **state)
{
    (void)state;
    alfup_msg_t out = {.kind = MSG_STEP_REQUEST};
    out.request.step_id = "../../etc/passwd";
    out.request.kind = "ping";
    uint8_t *bytes = NULL;
    size_t len = 0;
    alfup_err_t err;
    assert_int_equal(msg_encode(&out, &bytes, &len, &err), ALFUP_OK);
    alfup_msg_t in;
    assert_int_equal(msg_decode(bytes, len, &in, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "step id"));
    free(bytes);
}

static void test_garbage_and_empty_refused(void **state)
{
    (void)state;
    alfup_msg_t in;
    alfup_err_t err;
    uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(msg_decode(garbage, sizeof garbage, &in, &err), ALFUP_ERR);
    uint8_t version_only[] = {0x08, 0x01}; /* version 1, no body */
    assert_int_equal(msg_decode(version_only, sizeof version_only, &in, &err), ALFUP_ERR);
    uint8_t wrong_version[] = {0x08, 0x09, 0x5a, 0x00}; /* version 9, heartbeat */
    assert_int_equal(msg_decode(wrong_version, sizeof wrong_version, &in, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "version 9"));
}

static void test_oversized_length_refused_before_allocation(void **state)
{
    (void)state;
    envelope_stream_t *stream = envelope_stream_new(ALFUP_ENVELOPE_MAX);
    uint8_t header[ENVELOPE_LENGTH_BYTES];
    envelope_length_encode(0xfffffff0u, header);
    alfup_err_t err;
    assert_int_equal(envelope_stream_push(stream, header, 2, &err), ALFUP_OK);
    assert_int_equal(envelope_stream_push(stream, header + 2, 2, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "refused"));
    envelope_stream_destroy(&stream);
}

static void test_stream_reassembles_split_envelopes(void **state)
{
    (void)state;
    envelope_stream_t *stream = envelope_stream_new(64);
    uint8_t bytes[] = {0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'};
    alfup_err_t err;
    for (size_t i = 0; i < sizeof bytes; i++)
        assert_int_equal(envelope_stream_push(stream, bytes + i, 1, &err), ALFUP_OK);
    uint8_t *payload;
    size_t len;
    assert_int_equal(envelope_stream_pop(stream, &payload, &len), ALFUP_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(payload, "abc", 3);
    free(payload);
    assert_int_equal(envelope_stream_pop(stream, &payload, &len), ALFUP_OK);
    assert_int_equal(len, 1);
    free(payload);
    assert_int_equal(envelope_stream_pop(stream, &payload, &len), ALFUP_AGAIN);
    envelope_stream_destroy(&stream);
}

static void test_wire_frames(void **state)
{
    (void)state;
    wire_frame_t frame;
    alfup_err_t err;
    uint8_t ok[] = {WIRE_FRAME_TLS, 0, 0, 1, 2, 0x16};
    assert_int_equal(wire_frame_parse(ok, sizeof ok, &frame, &err), ALFUP_OK);
    assert_int_equal(frame.epoch, 258);
    uint8_t unknown[] = {9, 0, 0, 0, 0, 1};
    assert_int_equal(wire_frame_parse(unknown, sizeof unknown, &frame, &err), ALFUP_ERR);
    uint8_t empty_tls[] = {WIRE_FRAME_TLS, 0, 0, 0, 0};
    assert_int_equal(wire_frame_parse(empty_tls, sizeof empty_tls, &frame, &err), ALFUP_ERR);
}

/* The fuzz seeds are real envelopes: each decodes to the kind its name says. */
static void test_fuzz_seeds_decode(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        msg_kind_t kind;
    } SEEDS[] = {{"heartbeat", MSG_HEARTBEAT},       {"hello", MSG_HELLO},
                 {"step_request", MSG_STEP_REQUEST}, {"step_result", MSG_STEP_RESULT},
                 {"progress", MSG_STEP_PROGRESS},    {"ack", MSG_RESULT_ACK},
                 {"cancel", MSG_STEP_CANCEL}};
    const char *src = getenv("ALFUP_SOURCE_DIR");
    assert_non_null(src);
    for (size_t i = 0; i < sizeof SEEDS / sizeof SEEDS[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/envelope/%s", src, SEEDS[i].file);
        uint8_t *bytes = NULL;
        size_t len = 0;
        alfup_err_t err;
        assert_int_equal(file_read_all(path, ALFUP_ENVELOPE_MAX, &bytes, &len, &err), ALFUP_OK);
        alfup_msg_t msg;
        if (msg_decode(bytes, len, &msg, &err) != ALFUP_OK)
            fail_msg("%s: %s", SEEDS[i].file, err.msg);
        assert_int_equal(msg.kind, SEEDS[i].kind);
        alfup_msg_clear(&msg);
        free(bytes);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_result_round_trip),
        cmocka_unit_test(test_bad_step_id_refused),
        cmocka_unit_test(test_garbage_and_empty_refused),
        cmocka_unit_test(test_oversized_length_refused_before_allocation),
        cmocka_unit_test(test_stream_reassembles_split_envelopes),
        cmocka_unit_test(test_wire_frames),
        cmocka_unit_test(test_fuzz_seeds_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
