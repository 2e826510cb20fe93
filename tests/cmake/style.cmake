# style.cmake -- the banned-function check over every tracked C file.
alfup_script_test(style_banned_functions ${ALFUP_TESTS_DIR}/style/check_banned.sh TIMEOUT 60)
