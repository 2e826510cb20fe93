/* workflow_check.h -- the checks a parsed workflow must pass (ids, stages, parameters, templates, references). */
#ifndef ALFUP_WORKFLOW_CHECK_H
#define ALFUP_WORKFLOW_CHECK_H

#include "workflow.h"

/* Runs every check on wf and sets the steps' stage numbers and list flags;
 * problems go to diag with the workflow file's line. */
void workflow_check_all(plan_diag_t *diag, workflow_t *wf);

/* Calls fn for each "{name}" template (ref 0) and "${step.output}" reference
 * (ref 1) in text; name is NUL-terminated in a scratch copy. Returns -1 (and
 * *bad points at the problem) when a brace is not closed, else what the last
 * fn returned (0). fn returning non-zero stops the walk. */
typedef int (*workflow_template_fn)(const char *name, int ref, void *arg);
int workflow_templates_each(const char *text, workflow_template_fn fn, void *arg);

#endif
