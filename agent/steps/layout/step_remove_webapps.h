/* step_remove_webapps.h -- the "remove-webapps" step kind: drop web applications (3.2). */
#ifndef ALFUP_STEP_REMOVE_WEBAPPS_H
#define ALFUP_STEP_REMOVE_WEBAPPS_H

#include "step.h"

/* At most this many app parameters. */
#define REMOVE_WEBAPPS_MAX 64

/* Params: new_home, app=NAME (repeatable, at least one), optional old_home
 * (refused when new_home overlaps it). NAME matches
 * [A-Za-z0-9_.-]+ and is not "." or ".."; "alfresco" and "share" are allowed
 * (the plan decides). Every name is checked before anything is removed.
 * Removes NEW_HOME/tomcat/webapps/NAME.war and the exploded folder
 * NEW_HOME/tomcat/webapps/NAME. Outputs: removed=NAME.war / removed=NAME/
 * for what was there, absent=NAME when neither was. */
step_status_t step_remove_webapps_run(step_context_t *ctx);

/* 1 when name is an acceptable web application name, else 0. */
int webapp_name_is_valid(const char *name);

#endif
