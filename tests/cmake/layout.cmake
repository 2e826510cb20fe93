# layout.cmake -- tests of the installation layout steps: properties parser/merger, carry, remove, AMPs, Solr, wipe.
alfup_unit_test(layout_properties
  SOURCES ${ALFUP_TESTS_DIR}/unit/test_properties.c
  LIBS alfup_steps)
alfup_unit_test(layout_steps
  SOURCES ${ALFUP_TESTS_DIR}/integration/test_layout_steps.c ${ALFUP_TESTS_DIR}/lib/step_test_lib.c
  LIBS alfup_steps
  LABELS integration)
alfup_fuzz_target(fuzz_properties
  SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_properties.c
  LIBS alfup_steps
  CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/properties)
# The racer needs threads that really interleave: not under valgrind, which runs one at a time.
if(NOT ALFUP_VALGRIND)
  alfup_unit_test(layout_walk_race
    SOURCES ${ALFUP_TESTS_DIR}/integration/test_walk_race.c ${ALFUP_TESTS_DIR}/lib/step_test_lib.c
    LIBS alfup_steps
    LABELS integration)
endif()
