/* fuzz_api_body.c -- libFuzzer target: any bytes as the body of an API request are either refused
 * with a message or yield a value that is a valid name (never a path), whatever keys are allowed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition)
{
    if (!condition)
        abort();
}

static void check(const uint8_t *data, size_t size, const char *const *allowed, const char *want, int required)
{
    char value[API_NAME_MAX + 1];
    alfup_err_t err;
    memset(value, 'x', sizeof value);
    int rc = api_body_decode((const char *)data, size, allowed, want, required, value, sizeof value, &err);
    if (rc != ALFUP_OK) {
        require(rc == ALFUP_ERR && memchr(err.msg, '\0', sizeof err.msg) != NULL && err.msg[0] != '\0');
        return;
    }
    require(memchr(value, '\0', sizeof value) != NULL);
    require(value[0] == '\0' ? !required : api_name_is_valid(value));
    require(strchr(value, '/') == NULL && strstr(value, "..") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const PLAN[] = {"plan", NULL};
    static const char *const GATE[] = {"gate", NULL};
    static const char *const NONE[] = {NULL};
    check(data, size, PLAN, "plan", 1);
    check(data, size, GATE, "gate", 0);
    check(data, size, NONE, "", 0);
    return 0;
}
