# testlib.cmake -- the shell libraries the tests share (tests/lib): err_trap.sh says why a test script
# exits, and every shell test sources it.
alfup_script_test(testlib_err_trap ${ALFUP_TESTS_DIR}/lib/err_trap_test.sh TIMEOUT 60)
