/* workflow_kinds.h -- the agent step kinds a workflow may use, with their parameters and outputs.
 * Must match agent/steps/step_registry.c and the docs/steps-*.md pages. */
#ifndef ALFUP_WORKFLOW_KINDS_H
#define ALFUP_WORKFLOW_KINDS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct workflow_kind {
    const char *name;
    /* Space-separated parameter names; "NAME!" required, "NAME*" may repeat,
     * "PREFIX.*" any NAME starting with "PREFIX.". */
    const char *params;
    /* Space-separated output keys; "*" any key. */
    const char *outputs;
    unsigned timeout_s; /* default controller-side wait for the result */
    bool destructive;   /* removes the old system: must be behind a gate */
} workflow_kind_t;

/* The kind called name, or NULL. */
const workflow_kind_t *workflow_kind_find(const char *name);

/* Writes the known kind names, comma-separated, into buf (for messages). */
void workflow_kind_names(char *buf, size_t len);

/* Whether key is a parameter of kind; *repeatable set when it may repeat. */
bool workflow_kind_param_ok(const workflow_kind_t *kind, const char *key, bool *repeatable);

/* The first required parameter of kind missing from present (a NULL-terminated
 * array of the keys given), or NULL. Returns a pointer into a static buffer-free
 * copy held in out (len bytes). */
const char *workflow_kind_missing_param(const workflow_kind_t *kind, const char *const *present, size_t count,
                                        char *out, size_t len);

/* Whether kind produces output key. */
bool workflow_kind_output_ok(const workflow_kind_t *kind, const char *key);

#endif
