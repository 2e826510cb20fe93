# daemon.cmake -- the two daemons as real processes.
alfup_script_test(daemons ${ALFUP_TESTS_DIR}/integration/daemon_test.sh TIMEOUT 300)
