# config.cmake -- YAML loading (yaml_doc), the agent's and the controller's config files, their fuzz target.
alfup_unit_test(test_yaml_doc SOURCES ${ALFUP_TESTS_DIR}/unit/test_yaml_doc.c LIBS alfup_common
                LABELS config)
alfup_unit_test(test_agent_config SOURCES ${ALFUP_TESTS_DIR}/unit/test_agent_config.c
                LIBS alfup_steps LABELS config)
# The controller library is compiled on its own here so this test does not
# depend on the rest of the controller.
alfup_unit_test(test_controller_config
                SOURCES ${CMAKE_SOURCE_DIR}/controller/daemon/controller_config.c
                        ${CMAKE_SOURCE_DIR}/controller/webhook/webhook_config.c
                        ${ALFUP_TESTS_DIR}/unit/test_controller_config.c ${ALFUP_TESTS_DIR}/lib/text_edit.c
                LIBS alfup_common LABELS config)
target_include_directories(test_controller_config PRIVATE ${CMAKE_SOURCE_DIR}/controller/daemon
                           ${CMAKE_SOURCE_DIR}/controller/webhook)

alfup_fuzz_target(fuzz_agent_config SOURCES ${ALFUP_TESTS_DIR}/fuzz/fuzz_agent_config.c
                  LIBS alfup_steps CORPUS ${ALFUP_TESTS_DIR}/fuzz/corpus/agent_config)
