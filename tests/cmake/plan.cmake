# plan.cmake -- plans, workflows and their expansion (controller/plan/), the `plan check` /
# `plan show` commands and the plan fuzz target. The tests link controller/plan's library alone,
# so they do not depend on the rest of the controller.

alfup_unit_test(test_plan SOURCES ${ALFUP_TESTS_DIR}/unit/test_plan.c
                ${ALFUP_TESTS_DIR}/lib/text_edit.c
                LIBS alfup_controller_plan LABELS plan)
alfup_unit_test(test_run_plan SOURCES ${ALFUP_TESTS_DIR}/unit/test_run_plan.c
                LIBS alfup_controller_plan LABELS plan)

alfup_script_test(plan_cli ${ALFUP_TESTS_DIR}/integration/plan_cli.sh TIMEOUT 60 LABELS plan)

alfup_fuzz_target(fuzz_plan SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_plan.c
                  LIBS alfup_controller_plan CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/plan)
if(TARGET fuzz_plan)
  target_compile_definitions(fuzz_plan PRIVATE ALFUP_FUZZ_WORKFLOWS_DIR="${CMAKE_SOURCE_DIR}/deploy/workflows")
endif()

# The shipped examples (deploy/examples) checked against each other: agent configs, controller
# config and plans, with the workflow the plans name.
alfup_unit_test(test_examples SOURCES ${ALFUP_TESTS_DIR}/unit/test_examples.c
                LIBS alfup_controller_plan alfup_agent_config alfup_controller_daemon LABELS plan)
