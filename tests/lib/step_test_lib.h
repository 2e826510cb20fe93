/* step_test_lib.h -- what the step tests on real files share: a scratch root, paths, the online copy's settling
 * time, the test agent's config, a step run. */
#ifndef ALFUP_TEST_STEP_TEST_LIB_H
#define ALFUP_TEST_STEP_TEST_LIB_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include "agent_config.h"
#include "step.h"

/* Makes a fresh folder /tmp/PREFIX-XXXXXX and writes its canonical path
 * (realpath) into out (size bytes); fails the test when it cannot. */
void step_test_temp_root(const char *prefix, char *out, size_t size);

/* out (PATH_MAX bytes) = "a/b"; fails the test when it would not fit. */
void step_test_path_join(char *out, const char *a, const char *b);

/* Returns once every timestamp of what was written before the call is older than the online copy's
 * racy margin (ONLINE_RACY_MARGIN_S), polling the clock: only then does an online copy trust the
 * folders' change times and read the files instead of leaving them to the delta. */
void step_test_wait_settled(void);

/* A new agent config named name whose one allowed root is allowed_root, with
 * backup_dir and state_dir (NULL: none). Creates no folder; fails the test when
 * memory runs out. Free with agent_config_destroy. */
agent_config_t *step_test_config(const char *name, const char *allowed_root, const char *backup_dir,
                                 const char *state_dir);

/* How a step is run: the context's fields a test chooses. */
typedef struct step_test_how {
    const agent_config_t *config;
    step_progress_fn progress; /* NULL: none */
    void *progress_arg;
    atomic_int *cancel;
    int interrupted;
} step_test_how_t;

/* Runs the step kind (found through the registry, step id "t-1", no approval)
 * with params read from ap as key, value, ..., NULL. result is zeroed first
 * (the caller clears it). A status other than STEP_SUCCEEDED is printed with
 * the step's error. */
step_status_t step_test_run_v(const step_test_how_t *how, const char *kind, msg_step_result_t *result, va_list ap);

#endif
