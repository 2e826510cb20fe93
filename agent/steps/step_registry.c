/* step_registry.c -- the step kinds this agent knows, by wire name.
 * A kind not listed here is refused; add one line per kind. */
#include "step.h"

#include <string.h>

#include "step_ping.h"

static const step_kind_t STEP_KINDS[] = {
    {"ping", step_ping_run},
};

const step_kind_t *step_kind_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof STEP_KINDS / sizeof STEP_KINDS[0]; i++)
        if (strcmp(STEP_KINDS[i].name, name) == 0)
            return &STEP_KINDS[i];
    return NULL;
}
