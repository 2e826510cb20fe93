# certs.cmake -- tests of certs/alfup-certs (the deployment CA tool).
alfup_script_test(certs_tool ${ALFUP_TESTS_DIR}/integration/certs_test.sh TIMEOUT 300 LABELS certs)
