/* fuzz_agent_config.c -- libFuzzer target: any text given as an agent config is either refused
 * with a "file:line" message or yields a config that keeps every promise the agent relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "config_value.h"
#include "path_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition)
{
    if (!condition)
        abort();
}

/* What the steps take for granted about a loaded config. */
static void check_promises(const agent_config_t *config)
{
    require(config_name_ok(config->name));
    require(config_endpoint_ok(config->controller));
    require(config->tls.ca[0] == '/' && config->tls.cert[0] == '/' && config->tls.key[0] == '/');
    require(config->allowed_roots.count > 0);
    int backup_inside = 0;
    for (size_t i = 0; i < config->allowed_roots.count; i++) {
        const char *root = config->allowed_roots.items[i];
        require(root[0] == '/' && strcmp(root, "/") != 0);
        backup_inside |= path_is_within(config->backup_dir, root);
    }
    require(backup_inside);
    for (size_t i = 0; i < config->service_count; i++) {
        const agent_service_t *service = &config->services[i];
        require(config_name_ok(service->name));
        require(service->start_argv.count > 0 && service->start_argv.items[0][0] == '/');
        require(service->stop_argv.count > 0 && service->stop_argv.items[0][0] == '/');
        require(service->start_timeout_s > 0 && service->stop_timeout_s > 0);
        require(agent_config_service(config, service->name) == service);
    }
    for (size_t i = 0; i < config->tool_count; i++)
        require(config->tools[i].argv.count > 0 && config->tools[i].argv.items[0][0] == '/');
    for (size_t i = 0; i < config->postgres.server_count; i++) {
        const agent_pg_server_t *server = &config->postgres.servers[i];
        require(config_name_ok(server->name) && server->conninfo != NULL);
        require(agent_config_pg_server(config, server->name) == server);
    }
    require(config->heartbeat_s >= 1 && config->heartbeat_s <= 300);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    alfup_err_t err = {{0}};
    agent_config_t *config = agent_config_parse((const char *)data, size, "fuzz.yaml", &err);
    if (config == NULL) {
        require(strncmp(err.msg, "fuzz.yaml", 9) == 0);
        return 0;
    }
    check_promises(config);
    agent_config_destroy(&config);
    return 0;
}
