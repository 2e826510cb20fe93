# channel.cmake -- codec, framing and secure channel tests.
alfup_unit_test(test_codec SOURCES ${ALFUP_TESTS_DIR}/unit/test_codec.c LIBS alfup_proto)
add_executable(test_channel ${ALFUP_TESTS_DIR}/integration/test_channel.c)
target_link_libraries(test_channel PRIVATE alfup_proto PkgConfig::CMOCKA)
alfup_script_test(channel_tls ${ALFUP_TESTS_DIR}/integration/channel_test.sh TIMEOUT 300)
alfup_fuzz_target(fuzz_envelope SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_envelope.c LIBS alfup_proto
                  CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/envelope)
