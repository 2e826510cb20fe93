/* fuzz_controller_config.c -- libFuzzer target: any text given as the controller's config is
 * either refused with a "file:line" message or yields a config that keeps every promise the
 * daemon relies on (an endpoint, absolute paths, limits inside their documented ranges). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "controller_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition)
{
    if (!condition)
        abort();
}

static int absolute(const char *path)
{
    return path != NULL && path[0] == '/';
}

static void check_promises(const controller_config_t *config)
{
    require(config->listen != NULL && config_endpoint_ok(config->listen));
    require(absolute(config->admin) && absolute(config->journal));
    require(absolute(config->tls.ca) && absolute(config->tls.cert) && absolute(config->tls.key));
    require(config->tls.crl == NULL || absolute(config->tls.crl));
    require(config->workflows != NULL && config->workflows[0] != '\0');
    /* api: its TLS files absolute (its own or the tls: section's), plans_dir absolute when given */
    require(config->api.listen == NULL ||
            (absolute(config->api.ca) && absolute(config->api.cert) && absolute(config->api.key)));
    require(config->api.crl == NULL || absolute(config->api.crl));
    require(config->api.plans_dir == NULL || absolute(config->api.plans_dir));
    require(config->heartbeat_timeout_s >= CONTROLLER_HEARTBEAT_TIMEOUT_MIN_S &&
            config->heartbeat_timeout_s <= CONTROLLER_HEARTBEAT_TIMEOUT_MAX_S);
    require(config->max_pending_handshakes >= CONTROLLER_MAX_PENDING_HANDSHAKES_MIN &&
            config->max_pending_handshakes <= CONTROLLER_MAX_PENDING_HANDSHAKES_MAX);
    require(config->handshake_timeout_s >= CONTROLLER_HANDSHAKE_TIMEOUT_MIN_S &&
            config->handshake_timeout_s <= CONTROLLER_HANDSHAKE_TIMEOUT_MAX_S);
    require(config->path != NULL && strcmp(config->path, "fuzz.yaml") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    alfup_err_t err = {{0}};
    controller_config_t *config = controller_config_parse((const char *)data, size, "fuzz.yaml", &err);
    if (config == NULL) {
        require(strncmp(err.msg, "fuzz.yaml", 9) == 0);
        return 0;
    }
    check_promises(config);
    controller_config_destroy(&config);
    require(config == NULL);
    return 0;
}
