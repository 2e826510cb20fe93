# db.cmake -- database and preflight steps against a real PostgreSQL started by tests/lib/pg_harness.sh;
# the three share tests/lib/db_test_lib.c (harness env, agent config, SQL and step-run helpers).
foreach(db_test test_db_steps test_db_copy test_preflight test_rehearsal_steps)
  add_executable(${db_test} ${ALFUP_TESTS_DIR}/integration/${db_test}.c ${ALFUP_TESTS_DIR}/lib/db_test_lib.c
                 ${ALFUP_TESTS_DIR}/lib/test_util.c)
  target_include_directories(${db_test} PRIVATE ${ALFUP_TESTS_DIR}/lib)
  target_link_libraries(${db_test} PRIVATE alfup_steps PkgConfig::LIBPQ PkgConfig::CMOCKA)
  alfup_script_test(db_${db_test} ${ALFUP_TESTS_DIR}/integration/db_test.sh TIMEOUT 300 LABELS db)
  if(TEST db_${db_test})
    set_property(TEST db_${db_test} APPEND PROPERTY ENVIRONMENT "DB_TEST_BINARY=${db_test}")
  endif()
endforeach()
if(TEST db_test_rehearsal_steps)
  add_dependencies(test_rehearsal_steps alfresco-standin)
endif()
# db-copy and preflight also need another server (the copy by dump and restore, the same-server test).
foreach(db_test test_db_copy test_preflight)
  if(TEST db_${db_test})
    set_property(TEST db_${db_test} APPEND PROPERTY ENVIRONMENT "DB_TEST_SECOND_SERVER=1")
  endif()
endforeach()
