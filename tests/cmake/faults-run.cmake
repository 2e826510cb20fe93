# faults-run.cmake -- end-to-end fault tests of a run on the lab (issue 5, docs/reliability.md): the
# controller killed in phase 4, PostgreSQL stopped during the database restore, a hung start, a full
# backups disk, a backups disk the hosts share; and in the prestaged workflow (issue 11) the controller killed
# during the base copy, at the cutover gate and during the delta. Each runs the shipped workflow on tests/lab/
# (netns mode as root). ctest -L faults.
foreach(t controller_killed_phase4 pg_stopped_restore hung_start backup_disk_full backup_shared_fs
          prestaged_controller_killed)
  alfup_script_test(e2e_${t} ${ALFUP_TESTS_DIR}/e2e/${t}_test.sh TIMEOUT 240 LABELS "e2e;faults")
endforeach()
foreach(t backup_disk_full backup_shared_fs)
  if(TEST e2e_${t})   # not registered in valgrind and fuzz builds
    set_tests_properties(e2e_${t} PROPERTIES SKIP_RETURN_CODE 77)   # not root: no tmpfs
  endif()
endforeach()
