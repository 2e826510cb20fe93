/* agent_config.c -- lookups in, and freeing of, the agent's config.
 * Reading the YAML file is in agent_config_load.c. */
#include "agent_config.h"

#include <stdlib.h>
#include <string.h>

static void service_clear(agent_service_t *service)
{
    free(service->name);
    str_list_clear(&service->start_argv);
    str_list_clear(&service->stop_argv);
    free(service->pidfile);
    free(service->log);
    free(service->properties_file);
    free(service->ready_url);
    free(service->started);
    str_list_clear(&service->failed);
}

void agent_config_destroy(agent_config_t **config_p)
{
    if (config_p == NULL || *config_p == NULL)
        return;
    agent_config_t *config = *config_p;
    free(config->path);
    free(config->name);
    free(config->controller);
    free(config->tls.ca);
    free(config->tls.cert);
    free(config->tls.key);
    free(config->tls.crl);
    free(config->state_dir);
    free(config->backup_dir);
    str_list_clear(&config->allowed_roots);
    for (size_t i = 0; i < config->service_count; i++)
        service_clear(&config->services[i]);
    free(config->services);
    for (size_t i = 0; i < config->tool_count; i++) {
        free(config->tools[i].name);
        str_list_clear(&config->tools[i].argv);
    }
    free(config->tools);
    free(config->postgres.conninfo);
    free(config->postgres.bin_dir);
    for (size_t i = 0; i < config->postgres.server_count; i++) {
        free(config->postgres.servers[i].name);
        free(config->postgres.servers[i].conninfo);
    }
    free(config->postgres.servers);
    free(config);
    *config_p = NULL;
}

const agent_service_t *agent_config_service(const agent_config_t *config, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < config->service_count; i++)
        if (strcmp(config->services[i].name, name) == 0)
            return &config->services[i];
    return NULL;
}

const agent_tool_t *agent_config_tool(const agent_config_t *config, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < config->tool_count; i++)
        if (strcmp(config->tools[i].name, name) == 0)
            return &config->tools[i];
    return NULL;
}

const agent_pg_server_t *agent_config_pg_server(const agent_config_t *config, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < config->postgres.server_count; i++)
        if (strcmp(config->postgres.servers[i].name, name) == 0)
            return &config->postgres.servers[i];
    return NULL;
}
