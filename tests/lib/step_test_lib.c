/* step_test_lib.c -- scratch root, paths, the online copy's settling time, test agent config and step run for the
 * step tests (see step_test_lib.h). */
#include "step_test_lib.h"

#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "online_state.h"

void step_test_temp_root(const char *prefix, char *out, size_t size)
{
    char tmpl[256];
    int n = snprintf(tmpl, sizeof tmpl, "/tmp/%s-XXXXXX", prefix);
    assert_true(n > 0 && (size_t)n < sizeof tmpl);
    assert_non_null(mkdtemp(tmpl));
    char *canonical = realpath(tmpl, NULL);
    assert_non_null(canonical);
    assert_true(strlen(canonical) < size);
    memcpy(out, canonical, strlen(canonical) + 1);
    free(canonical);
}

void step_test_path_join(char *out, const char *a, const char *b)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
    assert_true(n > 0 && n < PATH_MAX);
}

void step_test_wait_settled(void)
{
    struct timespec start, now, slice = {0, 50 * 1000 * 1000};
    clock_gettime(CLOCK_REALTIME, &start);
    do {
        nanosleep(&slice, NULL);
        clock_gettime(CLOCK_REALTIME, &now);
    } while (now.tv_sec < start.tv_sec + ONLINE_RACY_MARGIN_S + 1);
}

agent_config_t *step_test_config(const char *name, const char *allowed_root, const char *backup_dir,
                                 const char *state_dir)
{
    agent_config_t *config = calloc(1, sizeof *config);
    assert_non_null(config);
    assert_non_null(config->name = strdup(name));
    assert_non_null(config->backup_dir = strdup(backup_dir));
    if (state_dir != NULL)
        assert_non_null(config->state_dir = strdup(state_dir));
    assert_int_equal(str_list_add(&config->allowed_roots, allowed_root), 0);
    return config;
}

step_status_t step_test_run_v(const step_test_how_t *how, const char *kind, msg_step_result_t *result, va_list ap)
{
    const step_kind_t *step = step_kind_find(kind);
    assert_non_null(step);
    kv_list_t params = {0};
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;)
        assert_int_equal(kv_list_add(&params, key, va_arg(ap, const char *)), 0);
    memset(result, 0, sizeof *result);
    step_context_t ctx = {.config = how->config,
                          .step_id = "t-1",
                          .params = &params,
                          .approval = "",
                          .result = result,
                          .progress = how->progress,
                          .progress_arg = how->progress_arg,
                          .cancel = how->cancel,
                          .interrupted = how->interrupted};
    step_status_t status = step->run(&ctx);
    if (status != STEP_SUCCEEDED)
        print_message("  %s -> %s: %s\n", kind, step_status_name(status), result->error ? result->error : "");
    kv_list_clear(&params);
    return status;
}
