# daemon.cmake -- the two daemons as real processes.
alfup_script_test(daemons ${ALFUP_TESTS_DIR}/integration/daemon_test.sh TIMEOUT 300)
alfup_unit_test(test_result_store SOURCES ${ALFUP_TESTS_DIR}/unit/test_result_store.c LIBS alfup_agent_core)
# The admin socket with real clients: unread replies and idle clients never stall the loop.
alfup_unit_test(test_admin_server SOURCES ${ALFUP_TESTS_DIR}/integration/test_admin_server.c
                LIBS alfup_controller_daemon)
# A result the journal cannot record (its filesystem full) is not lost (issue 15).
alfup_script_test(daemons_journal_full ${ALFUP_TESTS_DIR}/integration/journal_full_test.sh TIMEOUT 180)
# A controller restarted after an agent's certificate was revoked names it and fails its steps (issue 15).
alfup_script_test(daemons_revoked_restart ${ALFUP_TESTS_DIR}/integration/revoked_restart_test.sh TIMEOUT 120)
# The operators' HTTPS API with real certificates and curl: rights, refusals, bodies, audit (issue 14).
alfup_script_test(api ${ALFUP_TESTS_DIR}/integration/api_test.sh TIMEOUT 300)
alfup_script_test(api_hooks ${ALFUP_TESTS_DIR}/integration/api_hooks_test.sh TIMEOUT 300)
# The API's request bodies: names only, never a path, whatever the bytes (issue 14).
alfup_unit_test(test_api_body SOURCES ${ALFUP_TESTS_DIR}/unit/test_api_body.c LIBS alfup_controller_api)
# The console page's files: the fixed list only, the whoami route (issue 14).
alfup_unit_test(test_api_console SOURCES ${ALFUP_TESTS_DIR}/unit/test_api_console.c LIBS alfup_controller_api)
alfup_fuzz_target(fuzz_api_body SOURCES ${CMAKE_SOURCE_DIR}/controller/api/api_body.c ${ALFUP_TESTS_DIR}/fuzz/fuzz_api_body.c
                  LIBS alfup_common PkgConfig::JANSSON CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/api_body)
if(TARGET fuzz_api_body)
  target_include_directories(fuzz_api_body PRIVATE ${CMAKE_SOURCE_DIR}/controller/api)
endif()
