/* step_configure_solr.h -- the "configure-solr" step kind: point the new Solr's cores at
 * the new index folder (data.dir.root in every solrcore.properties; procedure step 1.3). */
#ifndef ALFUP_STEP_CONFIGURE_SOLR_H
#define ALFUP_STEP_CONFIGURE_SOLR_H

#include "step.h"

/* Params: solr_home (the NEW Solr home), data_dir_root (its index folder),
 * old_solr_home (the old one: both must not overlap it), set.KEY=VALUE
 * (other solrcore.properties keys, e.g. set.alfresco.host). Sets the keys in
 * place (appended when absent) in every solrcore.properties below solr_home,
 * keeping comments and order; each file is rewritten atomically with its mode.
 * Outputs: data_dir_root, configured=PATH per file changed, unchanged=PATH. */
step_status_t step_configure_solr_run(step_context_t *ctx);

#endif
