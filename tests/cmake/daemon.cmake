# daemon.cmake -- the two daemons as real processes.
alfup_script_test(daemons ${ALFUP_TESTS_DIR}/integration/daemon_test.sh TIMEOUT 300)
alfup_unit_test(test_result_store SOURCES ${ALFUP_TESTS_DIR}/unit/test_result_store.c LIBS alfup_agent_core)
# The admin socket with real clients: unread replies and idle clients never stall the loop.
alfup_unit_test(test_admin_server SOURCES ${ALFUP_TESTS_DIR}/integration/test_admin_server.c
                LIBS alfup_controller_daemon)
