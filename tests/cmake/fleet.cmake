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

# The decision for 1,000 deployments per tick against a baseline that only reads the states
# (docs/benchmarks.md); the smoke run checks the decisions on a few ticks, not the time.
add_executable(bench-fleet ${ALFUP_TESTS_DIR}/bench/bench_fleet.c)
target_link_libraries(bench-fleet PRIVATE alfup_controller_fleet)
if(NOT ALFUP_VALGRIND AND NOT ALFUP_FUZZ)
  add_test(NAME fleet_bench_smoke COMMAND bench-fleet 5)
  set_tests_properties(fleet_bench_smoke PROPERTIES LABELS "smoke;fleet" TIMEOUT 120)
endif()
alfup_unit_test(test_fleet_runner SOURCES ${ALFUP_TESTS_DIR}/unit/test_fleet_runner.c
                LIBS alfup_controller_fleetrun LABELS fleet)
# The runner's whole tick (runs read back, estimates, decision, journal) for 1,000 deployments beside fleet_decide
# alone (docs/benchmarks.md); the smoke run checks the actions on a few ticks, not the time.
add_executable(bench-fleet-runner ${ALFUP_TESTS_DIR}/bench/bench_fleet_runner.c)
target_link_libraries(bench-fleet-runner PRIVATE alfup_controller_fleetrun)
if(NOT ALFUP_VALGRIND AND NOT ALFUP_FUZZ)
  add_test(NAME fleet_runner_bench_smoke COMMAND bench-fleet-runner 3)
  set_tests_properties(fleet_runner_bench_smoke PROPERTIES LABELS "smoke;fleet" TIMEOUT 120)
endif()
