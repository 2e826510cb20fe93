# standins.cmake -- the stand-in programs the tests run in place of Alfresco and Solr (build/bin/).
set(STANDIN_DIR ${ALFUP_TESTS_DIR}/standins)
add_library(alfup_standin_common STATIC
  ${STANDIN_DIR}/standin_daemon.c ${STANDIN_DIR}/standin_fault.c ${STANDIN_DIR}/standin_http.c
  ${STANDIN_DIR}/standin_log.c ${STANDIN_DIR}/standin_props.c)
target_include_directories(alfup_standin_common PUBLIC ${STANDIN_DIR})
target_link_libraries(alfup_standin_common PUBLIC Threads::Threads)

add_executable(alfresco-standin ${STANDIN_DIR}/alfresco_standin.c ${STANDIN_DIR}/alfresco_standin_db.c
  ${STANDIN_DIR}/alfresco_standin_isolation.c)
target_link_libraries(alfresco-standin PRIVATE alfup_standin_common PkgConfig::LIBPQ)

add_executable(solr-standin ${STANDIN_DIR}/solr_standin.c)
target_link_libraries(solr-standin PRIVATE alfup_standin_common)
