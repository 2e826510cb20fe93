# tests/cmake/bench.cmake -- benchmark tools (docs/benchmarks.md) and their smoke runs in the default test run.
# The full runs are tests/bench/bench-backup.sh and tests/bench/bench-db.sh on a RelWithDebInfo build;
# ctest runs each on tiny sizes, once, labelled "smoke" (never "bench", which the default run leaves out).
add_executable(gen-contentstore ${ALFUP_TESTS_DIR}/bench/gen_contentstore.c ${ALFUP_TESTS_DIR}/bench/gen_layout.c
               ${ALFUP_TESTS_DIR}/bench/gen_db.c ${ALFUP_TESTS_DIR}/bench/gen_copy.c)
target_link_libraries(gen-contentstore PRIVATE alfup_common PkgConfig::LIBPQ)
add_executable(bench_archive ${ALFUP_TESTS_DIR}/bench/bench_archive.c ${ALFUP_TESTS_DIR}/bench/bench_step.c)
target_link_libraries(bench_archive PRIVATE alfup_steps)
add_executable(bench_db ${ALFUP_TESTS_DIR}/bench/bench_db.c ${ALFUP_TESTS_DIR}/bench/bench_step.c)
target_link_libraries(bench_db PRIVATE alfup_steps)

# gen-contentstore: same seed, same bytes; another seed, other bytes; Alfresco's layout.
alfup_script_test(bench_gen_smoke ${ALFUP_TESTS_DIR}/bench/gen-smoke.sh TIMEOUT 120 LABELS "smoke")
# backup / verify / restore against tar | zstd, 20 MB once; restored trees must equal the source.
alfup_script_test(archive_bench_smoke ${ALFUP_TESTS_DIR}/bench/bench-backup.sh TIMEOUT 300 LABELS "smoke;archive")
if(TEST archive_bench_smoke)   # not registered in valgrind and fuzz builds
  set_property(TEST archive_bench_smoke APPEND PROPERTY ENVIRONMENT "BENCH_SIZE_MB=20;BENCH_RUNS=1;BENCH_CACHE=warm")
endif()
# db-backup / db-restore against pg_dump / pg_restore, 10 MB once; restored row counts must equal the source.
alfup_script_test(db_bench_smoke ${ALFUP_TESTS_DIR}/bench/bench-db.sh TIMEOUT 300 LABELS "smoke;db")
if(TEST db_bench_smoke)
  set_property(TEST db_bench_smoke APPEND PROPERTY ENVIRONMENT "BENCH_DB_MB=10;BENCH_STORE_MB=20;BENCH_RUNS=1")
endif()
# db-copy against db-backup + db-restore of the same database, 10 MB once; both results' row counts must equal the source.
alfup_script_test(db_copy_bench_smoke ${ALFUP_TESTS_DIR}/bench/bench-dbcopy.sh TIMEOUT 300 LABELS "smoke;db")
if(TEST db_copy_bench_smoke)
  set_property(TEST db_copy_bench_smoke APPEND PROPERTY ENVIRONMENT "BENCH_DB_MB=10;BENCH_STORE_MB=20;BENCH_RUNS=1")
endif()
# Both workflows' production downtime on the lab (issue 11): a tiny lab, a few writes, the prestaged run again at
# twice the store, the probe latency during the base copy; fails on a failed run or check, never on the times.
alfup_script_test(bench_downtime_smoke ${ALFUP_TESTS_DIR}/bench/bench-downtime.sh TIMEOUT 300 LABELS "smoke;e2e")
if(TEST bench_downtime_smoke)
  set_property(TEST bench_downtime_smoke APPEND PROPERTY ENVIRONMENT "BENCH_FILES=300;BENCH_ADD=20;BENCH_ORPHAN=5;BENCH_SCALE=2")
endif()
