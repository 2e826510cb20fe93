# daemon.cmake -- the two daemons as real processes.
alfup_script_test(daemons ${ALFUP_TESTS_DIR}/integration/daemon_test.sh TIMEOUT 300)
alfup_unit_test(test_result_store SOURCES ${ALFUP_TESTS_DIR}/unit/test_result_store.c LIBS alfup_agent_core)
