# tomcat.cmake -- a real Tomcat 10 (Debian's tomcat10) with the repository stand-in webapp inside, driven by a
# real alfup-agent through catalina.sh: a shutdown slower than catalina.sh waits, and a start right after.
alfup_script_test(e2e_tomcat_slow_stop ${ALFUP_TESTS_DIR}/e2e/tomcat_slow_stop_test.sh TIMEOUT 150 LABELS e2e)
