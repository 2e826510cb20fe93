# faults-agent.cmake -- end-to-end fault tests of issue 5 on the lab (tests/e2e/, docs/reliability.md): an
# agent killed during its backup, the database host's network cut during its backup, an agent's certificate
# revoked during a run. Each needs this build's alfup-controller, alfup-agent and the stand-ins; the network
# cut needs netns mode (root) and is skipped (exit 77) without it. ctest -L faults runs them.
# In the prestaged workflow (issue 11): a client left on the old database at the cutover, then repo1's agent killed
# during the resumed run's delta.
foreach(t agent_killed_backup network_cut_db revoked_mid_run prestaged_cutover_faults)
  alfup_script_test(e2e_${t} ${ALFUP_TESTS_DIR}/e2e/${t}_test.sh TIMEOUT 240 LABELS "e2e;faults")
  if(TEST e2e_${t})
    set_tests_properties(e2e_${t} PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endforeach()
