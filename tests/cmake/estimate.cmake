# estimate.cmake -- the cutover's downtime estimate (controller/run/downtime_estimate.c) on synthetic
# step results of a small test workflow (tests/unit/data/estimate).
alfup_unit_test(test_downtime_estimate SOURCES ${ALFUP_TESTS_DIR}/unit/test_downtime_estimate.c
                LIBS alfup_controller_run LABELS estimate)
