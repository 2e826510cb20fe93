# bench-channel.cmake -- the control-plane benchmark (tests/bench/bench-channel.sh): its load
# client, its plain-ZeroMQ echo baseline, and a smoke run on 10 agents in the default run; the API load
# benchmark (bench-api-load.sh) on the same client, its smoke run too.
add_executable(bench_channel ${ALFUP_TESTS_DIR}/bench/bench_channel.c ${ALFUP_TESTS_DIR}/bench/bench_channel_agents.c)
target_link_libraries(bench_channel PRIVATE alfup_proto)
add_executable(bench_channel_echo ${ALFUP_TESTS_DIR}/bench/bench_channel_echo.c)
target_include_directories(bench_channel_echo PRIVATE ${ALFUP_TESTS_DIR}/bench)
target_link_libraries(bench_channel_echo PRIVATE alfup_controller_daemon)

if(NOT ALFUP_VALGRIND AND NOT ALFUP_FUZZ)
  # 10 agents, 3 pings: the script must finish and print every row of its table.
  add_test(NAME bench_channel_smoke
    COMMAND bash ${ALFUP_TESTS_DIR}/bench/bench-channel.sh --smoke)
  set_tests_properties(bench_channel_smoke PROPERTIES LABELS "integration;smoke" TIMEOUT 180
    ENVIRONMENT "ALFUP_SOURCE_DIR=${CMAKE_SOURCE_DIR};ALFUP_BUILD_DIR=${CMAKE_BINARY_DIR};ALFUP_BIN=${CMAKE_BINARY_DIR}/bin")
endif()

# The hash map behind the channel server's session lookups (common/key_map.c).
alfup_unit_test(test_key_map SOURCES ${ALFUP_TESTS_DIR}/unit/test_key_map.c LIBS alfup_common)
# The controller's grouped journal commits and the results waiting for them (controller/run/journal.c,
# controller/daemon/result_batch.c).
alfup_unit_test(test_journal_batch SOURCES ${ALFUP_TESTS_DIR}/unit/test_journal_batch.c LIBS alfup_controller_daemon)

if(NOT ALFUP_VALGRIND AND NOT ALFUP_FUZZ)
  # The API under load beside the fan-out (tests/bench/bench-api-load.sh, issue 14) on 10 agents, 5 event
  # streams, 20 status reads a second: fails when a stream misses, repeats or reorders an event, a status read
  # fails or a ping answer is missing; never on the times.
  add_test(NAME bench_api_load_smoke
    COMMAND bash ${ALFUP_TESTS_DIR}/bench/bench-api-load.sh --smoke)
  set_tests_properties(bench_api_load_smoke PROPERTIES LABELS "integration;smoke;api" TIMEOUT 180
    ENVIRONMENT "ALFUP_SOURCE_DIR=${CMAKE_SOURCE_DIR};ALFUP_BUILD_DIR=${CMAKE_BINARY_DIR};ALFUP_BIN=${CMAKE_BINARY_DIR}/bin")
endif()
