/* step_carry_customizations.h -- the "carry-customizations" step kind (procedure 3.5). */
#ifndef ALFUP_STEP_CARRY_CUSTOMIZATIONS_H
#define ALFUP_STEP_CARRY_CUSTOMIZATIONS_H

#include "step.h"

#define CARRY_SET_MAX 64
#define CARRY_KEY_MAX 200
#define CARRY_VALUE_MAX 4096

/* Params: old_home, new_home (must not overlap), set.KEY=VALUE (KEY matches
 * [A-Za-z0-9._-]+; set.dir.root and set.db.url are required: dir.root must be
 * absolute and lie outside old_home, and neither may equal the old file's
 * value). Merges OLD/tomcat/shared/classes/alfresco-global.properties into
 * NEW's (see props_merge: changed keys replaced in place, missing ones
 * appended under "# --- carried from OLD_HOME by alfup on DATE ---", set keys
 * forced), written atomically (a missing new file starts empty and takes the
 * old file's mode). Then copies the files of OLD/.../alfresco/extension that
 * NEW/.../alfresco/extension lacks, never replacing one.
 * Outputs: properties=PATH, carried=KEY, replaced=KEY, set=KEY (never values),
 * copied=REL, conflict=REL (different file already shipped: left alone),
 * skipped=REL (symlink or special file), points_at_old=KEY (a carried value
 * that still contains old_home: also a log line; review it). */
step_status_t step_carry_customizations_run(step_context_t *ctx);

#endif
