/* controller_config.h -- the controller daemon config: listen, admin socket, TLS, journal. */
#ifndef ALFUP_CONTROLLER_CONFIG_H
#define ALFUP_CONTROLLER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "alfup_error.h"
#include "webhook_config.h"

#define CONTROLLER_DEFAULT_HEARTBEAT_TIMEOUT_S 15u
#define CONTROLLER_HEARTBEAT_TIMEOUT_MIN_S 3u
#define CONTROLLER_HEARTBEAT_TIMEOUT_MAX_S 600u
#define CONTROLLER_DEFAULT_MAX_PENDING_HANDSHAKES 256u
#define CONTROLLER_MAX_PENDING_HANDSHAKES_MIN 1u
#define CONTROLLER_MAX_PENDING_HANDSHAKES_MAX 65536u
#define CONTROLLER_DEFAULT_HANDSHAKE_TIMEOUT_S 10u
#define CONTROLLER_HANDSHAKE_TIMEOUT_MIN_S 1u
#define CONTROLLER_HANDSHAKE_TIMEOUT_MAX_S 300u

typedef struct controller_tls {
    char *ca;
    char *cert;
    char *key;
    char *crl;              /* NULL when not configured */
} controller_tls_t;

#define CONTROLLER_API_IDLE_TIMEOUT_MIN_S 1u
#define CONTROLLER_API_IDLE_TIMEOUT_MAX_S 3600u
#define CONTROLLER_API_DEFAULT_IDLE_TIMEOUT_S 10u

/* api: the operators' HTTPS API (docs/api.md); listen is NULL when the section is absent. */
typedef struct controller_api {
    char *listen;           /* HOST:PORT */
    char *ca, *cert, *key;  /* default: the tls: section's */
    char *crl;              /* default: the tls: section's (NULL when neither) */
    char *plans_dir;        /* POST /api/v1/runs starts PLANS_DIR/NAME.yaml; NULL: no starting */
    char *console_dir;      /* the console page's files; NULL: the build's ALFUP_DEFAULT_CONSOLE_DIR */
    unsigned idle_timeout_s;
    bool four_eyes;         /* the approver of a gate may not be who started the run */
} controller_api_t;

typedef struct controller_config {
    char *path;             /* the file it was read from */
    char *listen;           /* ZeroMQ endpoint to bind, tcp://HOST:PORT */
    char *admin;            /* absolute path of the local command socket */
    controller_tls_t tls;
    char *journal;          /* absolute path of the run journal (SQLite) */
    char *workflows;        /* folder of workflow files (default ALFUP_DEFAULT_WORKFLOWS_DIR) */
    unsigned heartbeat_timeout_s;     /* an agent silent this long is offline */
    unsigned max_pending_handshakes;  /* TLS handshakes in progress at once */
    unsigned handshake_timeout_s;     /* a handshake not done by then is dropped */
    controller_api_t api;
    webhook_list_t webhooks;          /* webhooks: where every event is POSTed (docs/api.md) */
} controller_config_t;

/* Reads and validates the YAML file at path. Returns a new config, or NULL
 * with err as "PATH:LINE: key 'x': problem". Free with controller_config_destroy. */
controller_config_t *controller_config_load(const char *path, alfup_err_t *err);

/* Parses YAML text of len bytes (name is used in messages and as ->path).
 * Same contract as controller_config_load. */
controller_config_t *controller_config_parse(const char *text, size_t len, const char *name,
                                             alfup_err_t *err);

/* Frees the config and sets *config_p to NULL. Tolerates NULL. */
void controller_config_destroy(controller_config_t **config_p);

#endif
