# hostile.cmake -- hostile input (issue 5): floods of half-finished handshakes, data before the
# handshake and oversized frames against the real controller; replayed and disallowed step requests
# against a real agent; fuzz targets for the controller config and the database facts file.

# Test tools: a loopback flooder, and a stand-in controller that sends chosen step requests.
add_executable(hostile_peer ${ALFUP_TESTS_DIR}/integration/hostile_peer.c)
target_link_libraries(hostile_peer PRIVATE alfup_proto)
add_executable(step_replayer ${ALFUP_TESTS_DIR}/integration/step_replayer.c)
target_link_libraries(step_replayer PRIVATE alfup_proto)

alfup_script_test(hostile_flood ${ALFUP_TESTS_DIR}/integration/hostile_flood_test.sh TIMEOUT 180)
alfup_script_test(hostile_flood_sustained ${ALFUP_TESTS_DIR}/integration/hostile_flood_sustained_test.sh
                  TIMEOUT 120)
alfup_script_test(hostile_replay ${ALFUP_TESTS_DIR}/integration/hostile_replay_test.sh TIMEOUT 180)
alfup_script_test(hostile_refusals ${ALFUP_TESTS_DIR}/integration/hostile_refusals_test.sh TIMEOUT 180)

# The controller config loader is compiled on its own, as test_controller_config does.
alfup_fuzz_target(fuzz_controller_config
                  SOURCES ${CMAKE_SOURCE_DIR}/controller/daemon/controller_config.c
                          ${CMAKE_SOURCE_DIR}/controller/webhook/webhook_config.c
                          ${ALFUP_TESTS_DIR}/fuzz/fuzz_controller_config.c
                  LIBS alfup_common CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/controller_config)
if(TARGET fuzz_controller_config)
  target_include_directories(fuzz_controller_config PRIVATE ${CMAKE_SOURCE_DIR}/controller/daemon
                           ${CMAKE_SOURCE_DIR}/controller/webhook)
endif()
alfup_fuzz_target(fuzz_db_facts SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_db_facts.c
                  LIBS alfup_steps CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/db_facts)

# An agent that leaves right after its Hello while a step is in flight for it (issue 15).
add_executable(hello_dropper ${ALFUP_TESTS_DIR}/integration/hello_dropper.c)
target_link_libraries(hello_dropper PRIVATE alfup_proto)
alfup_script_test(hostile_hello_drop ${ALFUP_TESTS_DIR}/integration/hostile_hello_drop_test.sh TIMEOUT 180)
