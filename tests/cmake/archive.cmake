# tests/cmake/archive.cmake -- tree archives: manifest, backup/verify/restore/install steps, fuzz.
alfup_unit_test(test_manifest SOURCES ${ALFUP_TESTS_DIR}/unit/test_manifest.c LIBS alfup_steps LABELS archive)
alfup_unit_test(test_archive_steps SOURCES ${ALFUP_TESTS_DIR}/integration/test_archive_steps.c ${ALFUP_TESTS_DIR}/lib/step_test_lib.c
                LIBS alfup_steps LABELS "archive;integration")

alfup_unit_test(test_archive_delta SOURCES ${ALFUP_TESTS_DIR}/integration/test_archive_delta.c ${ALFUP_TESTS_DIR}/lib/step_test_lib.c
                LIBS alfup_steps alfup_agent_core LABELS "archive;integration")

alfup_unit_test(test_page_cache SOURCES ${ALFUP_TESTS_DIR}/integration/test_page_cache.c ${ALFUP_TESTS_DIR}/lib/step_test_lib.c
                LIBS alfup_steps LABELS "archive;integration")

alfup_fuzz_target(fuzz_manifest SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_manifest.c LIBS alfup_steps
                  CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/manifest)

# The benchmark tools and archive_bench_smoke are in bench.cmake.
