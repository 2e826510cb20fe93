# fleet.cmake -- fleets (controller/fleet/): the fleet file reader, windows and blackouts with libical,
# the scheduler's decision; the `fleet check` / `fleet show` commands, the fleet fuzz target and the
# decision benchmark's smoke run (docs/fleet.md).
alfup_unit_test(test_fleet_read SOURCES ${ALFUP_TESTS_DIR}/unit/test_fleet_read.c
                LIBS alfup_controller_fleet LABELS fleet)
alfup_unit_test(test_fleet_decide SOURCES ${ALFUP_TESTS_DIR}/unit/test_fleet_decide.c
                LIBS alfup_controller_fleet LABELS fleet)

alfup_script_test(fleet_cli ${ALFUP_TESTS_DIR}/integration/fleet_cli.sh TIMEOUT 60 LABELS fleet)

alfup_fuzz_target(fuzz_fleet SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_fleet.c
                  LIBS alfup_controller_fleet CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/fleet)
