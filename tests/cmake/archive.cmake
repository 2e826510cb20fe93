# tests/cmake/archive.cmake -- tree archives: manifest, backup/verify/restore/install steps, fuzz, benchmark.
alfup_unit_test(test_manifest SOURCES ${ALFUP_TESTS_DIR}/unit/test_manifest.c LIBS alfup_steps LABELS archive)
alfup_unit_test(test_archive_steps SOURCES ${ALFUP_TESTS_DIR}/integration/test_archive_steps.c
                LIBS alfup_steps LABELS "archive;integration")

alfup_fuzz_target(fuzz_manifest SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_manifest.c LIBS alfup_steps
                  CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/manifest)

# Benchmark tools; the full 1 GB run is tests/bench/bench-backup.sh (docs/benchmarks.md).
add_executable(gen_tree ${ALFUP_TESTS_DIR}/bench/gen_tree.c)
add_executable(bench_archive ${ALFUP_TESTS_DIR}/bench/bench_archive.c)
target_link_libraries(bench_archive PRIVATE alfup_steps)
alfup_script_test(archive_bench_smoke ${ALFUP_TESTS_DIR}/bench/bench-backup.sh TIMEOUT 600 LABELS "bench;archive")
if(TEST archive_bench_smoke)   # not registered in valgrind and fuzz builds
  set_property(TEST archive_bench_smoke APPEND PROPERTY ENVIRONMENT "BENCH_SIZE_MB=20;BENCH_RUNS=1")
endif()
