# service.cmake -- service-start / service-stop steps, the log follower and probe, against the stand-ins.
add_executable(service_steps_test ${ALFUP_TESTS_DIR}/integration/test_service_steps.c ${ALFUP_TESTS_DIR}/lib/test_util.c)
target_include_directories(service_steps_test PRIVATE ${ALFUP_TESTS_DIR}/lib)
target_link_libraries(service_steps_test PRIVATE alfup_steps PkgConfig::LIBPQ PkgConfig::CMOCKA)
add_dependencies(service_steps_test alfresco-standin solr-standin)
alfup_script_test(service_steps ${ALFUP_TESTS_DIR}/integration/service_steps.sh TIMEOUT 300 LABELS service)
# The repository stand-in's rehearsal behaviour (schema update time, patches, --props, cluster, noindex,
# failed-patch-over) against a private PostgreSQL.
alfup_script_test(standin_rehearsal ${ALFUP_TESTS_DIR}/integration/standin_rehearsal_test.sh TIMEOUT 120
  LABELS service)
