# engine.cmake -- the run engine with agents played by the test, and a real journal.
alfup_unit_test(test_run_engine SOURCES ${ALFUP_TESTS_DIR}/integration/test_run_engine.c
                LIBS alfup_controller_daemon)
alfup_unit_test(test_run_metrics SOURCES ${ALFUP_TESTS_DIR}/unit/test_run_metrics.c LIBS alfup_controller_run)
