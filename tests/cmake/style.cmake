# style.cmake -- the banned-function check over every tracked C file, and the include direction
# of the layered folders (docs/architecture.md).
alfup_script_test(style_banned_functions ${ALFUP_TESTS_DIR}/style/check_banned.sh TIMEOUT 60)
if(NOT ALFUP_VALGRIND AND NOT ALFUP_FUZZ)
  add_test(NAME style_include_layers COMMAND python3 ${ALFUP_TESTS_DIR}/style/check_layers.py)
  set_tests_properties(style_include_layers PROPERTIES LABELS "integration" TIMEOUT 60
    ENVIRONMENT "ALFUP_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endif()
alfup_script_test(style_test_pipes ${ALFUP_TESTS_DIR}/style/check_test_pipes.sh TIMEOUT 60)
