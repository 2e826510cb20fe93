/* step_solr_clean.h -- the "solr-clean" step kind: empty model and index folders (4.2). */
#ifndef ALFUP_STEP_SOLR_CLEAN_H
#define ALFUP_STEP_SOLR_CLEAN_H

#include "step.h"

/* Params: solr_home (the NEW Solr home, holding the cores' solrcore.properties),
 * data_dir_root (the cores' data.dir.root); optional old_solr_home and
 * old_data_dir_root (the OLD Solr's: refused when either overlaps solr_home
 * or data_dir_root -- the workflow should always pass them). Refused unless a
 * solrcore.properties lies below solr_home (searched a few levels deep), and
 * unless data_dir_root lies inside solr_home or is the data.dir.root some
 * solrcore.properties names. Empties, where they exist (folders are kept):
 *   indexes: DATA/alfresco/index, DATA/archive/index (Search Services),
 *            DATA/workspace/SpacesStore, DATA/archive/SpacesStore (Solr 4 / 1.4)
 *   models:  SOLR_HOME/alfrescoModels, SOLR_HOME/solrhome/alfrescoModels,
 *            SOLR_HOME/data/alfrescoModels, DATA/alfrescoModels,
 *            SOLR_HOME/{workspace,archive}-SpacesStore/alfrescoModels (Solr 1.4),
 *            PARENT/model when DATA is named "index" (Solr 4's alf_data/solr4)
 * Nothing else is touched; a target that resolves outside solr_home and
 * data_dir_root refuses the step. Refused when none of them exists.
 * Outputs: cleared=PATH per folder, model_files_removed, index_files_removed,
 * bytes_removed. */
step_status_t step_solr_clean_run(step_context_t *ctx);

#endif
