/* agent_registry.h -- every agent the controller has seen, online or not. */
#ifndef ALFUP_AGENT_REGISTRY_H
#define ALFUP_AGENT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "message.h"

#define REGISTRY_TEXT_MAX 128

typedef struct agent_entry {
    char name[REGISTRY_TEXT_MAX];      /* certificate common name */
    unsigned roles;                    /* from the certificate */
    int online;
    char address[REGISTRY_TEXT_MAX];
    char version[REGISTRY_TEXT_MAX];
    char hostname[REGISTRY_TEXT_MAX];
    uint64_t backup_free_bytes;
    uint64_t last_seen_unix_ms;
    uint64_t online_since_unix_ms;
    char refused[REGISTRY_TEXT_MAX];   /* why its certificate was refused while connected ("" none) */
    int64_t cert_not_after_unix;       /* its certificate's expiry, as seen at its last handshake (0: unknown) */
} agent_entry_t;

typedef struct agent_registry {
    agent_entry_t *agents;             /* sorted by name */
    size_t count, capacity;
} agent_registry_t;

/* Marks name online with its roles and address (adding it when new), forgetting a refusal.
 * -1 on ENOMEM. */
int agent_registry_up(agent_registry_t *registry, const char *name, unsigned roles, const char *address);

/* Remembers that name's authenticated session was cut for reason (its certificate revoked),
 * until its next peer_up. -1 on ENOMEM. */
int agent_registry_refused(agent_registry_t *registry, const char *name, const char *reason);

/* Marks name offline. */
void agent_registry_down(agent_registry_t *registry, const char *name);

/* Notes a message from name: last seen now; a Hello also updates version, hostname, free space. */
void agent_registry_seen(agent_registry_t *registry, const char *name, const alfup_msg_t *msg);

/* The entry for name, or NULL. */
agent_entry_t *agent_registry_find(agent_registry_t *registry, const char *name);

/* Writes the agents as a table, or as a JSON array when json is set. */
void agent_registry_print(const agent_registry_t *registry, int json, FILE *out);

void agent_registry_clear(agent_registry_t *registry);

#endif
