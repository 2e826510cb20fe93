/* solr_cores.h -- finding a Solr home's cores by their solrcore.properties files. */
#ifndef ALFUP_SOLR_CORES_H
#define ALFUP_SOLR_CORES_H

#include "str_list.h"

#define SOLR_CORE_FILE "solrcore.properties"
#define SOLR_SEARCH_DEPTH 4
#define SOLR_SEARCH_ENTRIES 20000u
#define SOLR_CORE_FILES_MAX 16u

/* Appends to found the paths of the solrcore.properties files below dir, at
 * most SOLR_SEARCH_DEPTH folders deep, never following symlinks, looking at
 * no more than SOLR_SEARCH_ENTRIES entries and keeping at most
 * SOLR_CORE_FILES_MAX files. An unreadable folder is skipped. */
void solr_cores_find(const char *dir, str_list_t *found);

#endif
