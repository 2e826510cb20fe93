/* fuzz_refusal.h -- what the fuzz targets of the plan-diag readers (plan, fleet) insist on: require, and a refused
 * input said why in at least one message, each naming the file ("FILE:LINE ..."). */
#ifndef ALFUP_FUZZ_REFUSAL_H
#define ALFUP_FUZZ_REFUSAL_H

#include <stdlib.h>
#include <string.h>

#include "plan_diag.h"

static inline void require(int condition)
{
    if (!condition)
        abort();
}

/* Aborts unless diag holds at least one error and every error starts with file; then clears diag. */
static inline void require_refusal_named(plan_diag_t *diag, const char *file)
{
    require(plan_diag_count(diag) > 0);
    for (size_t i = 0; i < diag->errors.count; i++)
        require(strncmp(diag->errors.items[i], file, strlen(file)) == 0);
    plan_diag_clear(diag);
}

#endif
