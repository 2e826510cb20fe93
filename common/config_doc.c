/* config_doc.c -- turning a YAML document into a config object (config_doc.h). */
#include "config_doc.h"

#include <stdlib.h>
#include <string.h>

void *config_from_doc(yaml_doc_t *doc, const config_kind_t *kind, alfup_err_t *err)
{
    if (doc == NULL)
        return NULL;
    char *config = calloc(1, kind->size);
    char *path = config != NULL ? strdup(yaml_doc_name(doc)) : NULL;
    if (path == NULL) {
        alfup_err_set(err, "%s: out of memory", yaml_doc_name(doc));
        free(config);
        config = NULL;
    } else {
        memcpy(config + kind->path_offset, &path, sizeof path);
        if (kind->parse_root(yaml_doc_root(doc), config, err) != ALFUP_OK) {
            kind->destroy(config);
            config = NULL;
        }
    }
    yaml_doc_destroy(&doc);
    return config;
}
