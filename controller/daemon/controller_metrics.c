/* controller_metrics.c -- agents and certificates for GET /metrics; the runs' part is run_metrics.c. */
#include "controller_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_identity.h"
#include "run_metrics.h"

static void write_agents(const agent_registry_t *registry, FILE *out)
{
    unsigned online = 0;
    for (size_t i = 0; i < registry->count; i++)
        online += registry->agents[i].online != 0;
    fprintf(out, "# HELP alfup_agents_online Agents with an authenticated session now.\n"
                 "# TYPE alfup_agents_online gauge\nalfup_agents_online %u\n", online);
    fprintf(out, "# HELP alfup_agents_known Agents seen since the controller started.\n"
                 "# TYPE alfup_agents_known gauge\nalfup_agents_known %zu\n", registry->count);
}

static void write_cert_file(const char *kind, const char *path, FILE *out)
{
    cert_identity_t identity;
    alfup_err_t err;
    if (path && cert_identity_read_file(path, &identity, &err) == ALFUP_OK && identity.not_after_unix > 0)
        fprintf(out, "alfup_certificate_expiry_timestamp_seconds{kind=\"%s\",name=\"%s\"} %lld\n", kind,
                identity.name, (long long)identity.not_after_unix);
}

/* The controller's and the API's certificates (read from their files now), and every agent's as its
 * last handshake showed it. Names are certificate names ([A-Za-z0-9._-]): safe as label values. */
static void write_certificates(const agent_registry_t *registry, const controller_config_t *config, FILE *out)
{
    fprintf(out, "# HELP alfup_certificate_expiry_timestamp_seconds When a certificate expires (Unix time): the "
                 "controller's, the API's, and each agent's seen.\n"
                 "# TYPE alfup_certificate_expiry_timestamp_seconds gauge\n");
    write_cert_file("controller", config->tls.cert, out);
    if (config->api.listen && config->api.cert && strcmp(config->api.cert, config->tls.cert) != 0)
        write_cert_file("api", config->api.cert, out);
    for (size_t i = 0; i < registry->count; i++)
        if (registry->agents[i].cert_not_after_unix > 0 && cert_name_is_valid(registry->agents[i].name))
            fprintf(out, "alfup_certificate_expiry_timestamp_seconds{kind=\"agent\",name=\"%s\"} %lld\n",
                    registry->agents[i].name, (long long)registry->agents[i].cert_not_after_unix);
}

char *controller_metrics_text(const agent_registry_t *registry, const run_t *runs, journal_t *journal,
                              const controller_config_t *config, alfup_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL)
        return alfup_err_set(err, "metrics: out of memory"), NULL;
    write_agents(registry, out);
    int rc = run_metrics_write(journal, runs, out, err);
    write_certificates(registry, config, out);
    if (fclose(out) != 0 && rc == ALFUP_OK)
        rc = alfup_err_set(err, "metrics: out of memory");
    if (rc != ALFUP_OK) {
        free(text);
        return NULL;
    }
    return text;
}
