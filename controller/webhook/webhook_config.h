/* webhook_config.h -- the `webhooks:` list of controller.yaml: where every event is POSTed, and the
 * secret its signature is made with. */
#ifndef ALFUP_WEBHOOK_CONFIG_H
#define ALFUP_WEBHOOK_CONFIG_H

#include <stddef.h>

#include "alfup_error.h"
#include "yaml_doc.h"

#define WEBHOOK_MAX 16            /* webhooks in one config */
#define WEBHOOK_URL_MAX 1024
#define WEBHOOK_SECRET_MIN 16     /* bytes of a secret file, trailing newlines not counted */
#define WEBHOOK_SECRET_MAX 4096

typedef struct webhook {
    char *url;                    /* http:// or https:// */
    char *secret;                 /* the secret_file's content (without trailing newlines) */
    size_t secret_len;
    char *ca;                     /* https: the CA file the receiver is checked against (NULL: the system's) */
} webhook_t;

typedef struct webhook_list {
    webhook_t *items;
    size_t count;
} webhook_list_t;

/* Reads root's optional `webhooks:` sequence of {url, secret_file, ca}, reading each secret file.
 * 0 (also when absent), or ALFUP_ERR with err as "FILE:LINE: ..." (a missing or short secret, a URL
 * that is not http(s), a duplicate URL). */
int webhook_config_parse(const yaml_doc_node_t *root, webhook_list_t *list, alfup_err_t *err);

/* Frees the list's contents (secrets wiped first) and zeroes it. */
void webhook_config_clear(webhook_list_t *list);

#endif
