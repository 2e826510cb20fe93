/* step_install_amps.h -- the "install-amps" step kind: AMPs via the installation's tool (3.4). */
#ifndef ALFUP_STEP_INSTALL_AMPS_H
#define ALFUP_STEP_INSTALL_AMPS_H

#include "step.h"

#define INSTALL_AMPS_MAX 64
#define INSTALL_AMPS_TIMEOUT_S 3600u
#define INSTALL_AMPS_LOG_LINES 40u

/* Params: new_home, optional old_home (refused when new_home overlaps it),
 * amp=/path/x.amp (repeatable, at least one; each resolved
 * with path_policy, named *.amp, a regular file). Needs the tool "apply_amps"
 * in the agent's config (refused otherwise). Copies the AMPs into
 * NEW_HOME/amps, runs the tool (argv from the config only, cwd NEW_HOME,
 * INSTALL_AMPS_TIMEOUT_S), keeps the last INSTALL_AMPS_LOG_LINES output lines
 * in log_lines and fails with the tail when it does not exit 0. Then removes
 * the exploded webapps NEW_HOME/tomcat/webapps/{alfresco,share} (not the
 * .war files) and the contents of NEW_HOME/tomcat/{work,temp}.
 * Outputs: amp=NAME per AMP copied, tool_exit=0, cleaned=RELATIVE per folder
 * removed or emptied. */
step_status_t step_install_amps_run(step_context_t *ctx);

#endif
