# plan.cmake -- plans, workflows and their expansion (controller/plan*.c, workflow*.c, run_plan.c), the
# `plan check` / `plan show` commands and the plan fuzz target.
# Compiled from explicit sources so these tests do not depend on the rest of the controller.
set(ALFUP_PLAN_SOURCES
    ${CMAKE_SOURCE_DIR}/controller/plan.c ${CMAKE_SOURCE_DIR}/controller/plan_check.c
    ${CMAKE_SOURCE_DIR}/controller/plan_template.c ${CMAKE_SOURCE_DIR}/controller/plan_diag.c
    ${CMAKE_SOURCE_DIR}/controller/workflow.c ${CMAKE_SOURCE_DIR}/controller/workflow_check.c
    ${CMAKE_SOURCE_DIR}/controller/workflow_kinds.c ${CMAKE_SOURCE_DIR}/controller/run_plan.c)

alfup_unit_test(test_plan SOURCES ${ALFUP_PLAN_SOURCES} ${ALFUP_TESTS_DIR}/unit/test_plan.c
                ${ALFUP_TESTS_DIR}/lib/text_edit.c
                LIBS alfup_common LABELS plan)
target_include_directories(test_plan PRIVATE ${CMAKE_SOURCE_DIR}/controller)
alfup_unit_test(test_run_plan SOURCES ${ALFUP_PLAN_SOURCES} ${ALFUP_TESTS_DIR}/unit/test_run_plan.c
                LIBS alfup_common LABELS plan)
target_include_directories(test_run_plan PRIVATE ${CMAKE_SOURCE_DIR}/controller)

alfup_script_test(plan_cli ${ALFUP_TESTS_DIR}/integration/plan_cli.sh TIMEOUT 60 LABELS plan)

alfup_fuzz_target(fuzz_plan SOURCES ${ALFUP_PLAN_SOURCES} ${ALFUP_TESTS_DIR}/fuzz/fuzz_plan.c
                  LIBS alfup_common CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/plan)
if(TARGET fuzz_plan)
  target_include_directories(fuzz_plan PRIVATE ${CMAKE_SOURCE_DIR}/controller)
  target_compile_definitions(fuzz_plan PRIVATE ALFUP_FUZZ_WORKFLOWS_DIR="${CMAKE_SOURCE_DIR}/deploy/workflows")
endif()
