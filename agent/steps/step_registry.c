/* step_registry.c -- the step kinds this agent knows, by wire name.
 * A kind not listed here is refused; add one line per kind. */
#include "step.h"

#include <string.h>

#include "step_carry_customizations.h"
#include "step_configure_solr.h"
#include "step_decommission_tree.h"
#include "step_install_amps.h"
#include "step_ping.h"
#include "step_db_backup.h"
#include "step_db_copy.h"
#include "step_db_rehearsal_copy.h"
#include "step_db_restore.h"
#include "step_db_scratch.h"
#include "step_decommission_database.h"
#include "step_preflight.h"
#include "step_backup_tree.h"
#include "step_backup_delta.h"
#include "step_delta_scan.h"
#include "step_verify_archive.h"
#include "step_restore_tree.h"
#include "step_rehearsal_tree.h"
#include "step_rehearsal_remove.h"
#include "step_install_distribution.h"
#include "step_remove_webapps.h"
#include "step_solr_clean.h"
#include "step_wipe.h"
#include "step_service_start.h"
#include "step_service_stop.h"
#include "step_rehearsal_start.h"

static const step_kind_t STEP_KINDS[] = {
    {"ping", step_ping_run},
    {"db-backup", step_db_backup_run},
    {"db-restore", step_db_restore_run},
    {"db-copy", step_db_copy_run},
    {"db-rehearsal-copy", step_db_rehearsal_copy_run},
    {"db-create-scratch", step_db_create_scratch_run},
    {"db-drop-scratch", step_db_drop_scratch_run},
    {"decommission-database", step_decommission_database_run},
    {"preflight", step_preflight_run},
    {"backup-tree", step_backup_tree_run},
    {"backup-delta", step_backup_delta_run},
    {"delta-scan", step_delta_scan_run},
    {"verify-archive", step_verify_archive_run},
    {"restore-tree", step_restore_tree_run},
    {"rehearsal-tree", step_rehearsal_tree_run},
    {"rehearsal-remove", step_rehearsal_remove_run},
    {"install-distribution", step_install_distribution_run},
    {"carry-customizations", step_carry_customizations_run},
    {"remove-webapps", step_remove_webapps_run},
    {"install-amps", step_install_amps_run},
    {"solr-clean", step_solr_clean_run},
    {"configure-solr", step_configure_solr_run},
    {"wipe", step_wipe_run},
    {"decommission-tree", step_decommission_tree_run},
    {"service-start", step_service_start_run},
    {"service-stop", step_service_stop_run},
    {"rehearsal-start", step_rehearsal_start_run},
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
