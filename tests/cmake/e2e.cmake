# e2e.cmake -- end-to-end tests on the lab (tests/lab/, docs/lab.md): a controller and three agents with a real
# PostgreSQL and the stand-ins, full runs of the shipped workflow. Each needs this build's alfup-controller,
# alfup-agent, alfresco-standin and solr-standin. ctest -L e2e runs them.
foreach(t upgrade console prestaged_upgrade prestaged_validate_fail prestaged_rollback rollback_restore rollback_validate resume lab_staging
        rehearsal fleet)
  alfup_script_test(e2e_${t} ${ALFUP_TESTS_DIR}/e2e/${t}_test.sh TIMEOUT 240 LABELS e2e)
endforeach()
# The lab's writer (production writing during the prepare phase, tests/lab/lab-writes.sh) on its own.
alfup_script_test(lab_writer ${ALFUP_TESTS_DIR}/integration/lab_writer_test.sh TIMEOUT 180 LABELS e2e)
# The console page's rendering in Debian's Chromium, without a lab (tests/browser/, docs/console.md).
alfup_script_test(console_render ${ALFUP_TESTS_DIR}/browser/console_render_test.sh TIMEOUT 120)
# The downtime estimate against the measured downtime at two data sizes (two labs, two runs through the cutover).
alfup_script_test(e2e_downtime_estimate ${ALFUP_TESTS_DIR}/e2e/downtime_estimate_test.sh TIMEOUT 420 LABELS e2e)
