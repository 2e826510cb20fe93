/* agent_registry.c -- the list behind `alfup-controller agents`. */
#include "agent_registry.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_identity.h"
#include "json_writer.h"

agent_entry_t *agent_registry_find(agent_registry_t *r, const char *name)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->agents[i].name, name) == 0)
            return &r->agents[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const agent_entry_t *)a)->name, ((const agent_entry_t *)b)->name);
}

int agent_registry_up(agent_registry_t *r, const char *name, unsigned roles, const char *address)
{
    agent_entry_t *entry = agent_registry_find(r, name);
    if (entry == NULL) {
        if (r->count == r->capacity) {
            size_t capacity = r->capacity ? r->capacity * 2 : 16;
            agent_entry_t *grown = realloc(r->agents, capacity * sizeof *grown);
            if (grown == NULL)
                return -1;
            r->agents = grown;
            r->capacity = capacity;
        }
        entry = &r->agents[r->count++];
        memset(entry, 0, sizeof *entry);
        snprintf(entry->name, sizeof entry->name, "%s", name);
    }
    entry->roles = roles;
    entry->online = 1;
    snprintf(entry->address, sizeof entry->address, "%s", address);
    entry->last_seen_unix_ms = entry->online_since_unix_ms = alfup_now_unix_ms();
    qsort(r->agents, r->count, sizeof *r->agents, by_name);
    return 0;
}

void agent_registry_down(agent_registry_t *r, const char *name)
{
    agent_entry_t *entry = agent_registry_find(r, name);
    if (entry)
        entry->online = 0;
}

void agent_registry_seen(agent_registry_t *r, const char *name, const alfup_msg_t *msg)
{
    agent_entry_t *entry = agent_registry_find(r, name);
    if (entry == NULL)
        return;
    entry->last_seen_unix_ms = alfup_now_unix_ms();
    if (msg->kind != MSG_HELLO)
        return;
    snprintf(entry->version, sizeof entry->version, "%s", msg->hello.version);
    snprintf(entry->hostname, sizeof entry->hostname, "%s", msg->hello.hostname);
    entry->backup_free_bytes = msg->hello.backup_free_bytes;
}

static void format_time(uint64_t unix_ms, char *buf, size_t len)
{
    time_t seconds = (time_t)(unix_ms / 1000u);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_json(const agent_registry_t *r, FILE *out)
{
    fputc('[', out);
    for (size_t i = 0; i < r->count; i++) {
        const agent_entry_t *a = &r->agents[i];
        char roles[64], seen[32];
        cert_roles_format(a->roles, roles, sizeof roles);
        format_time(a->last_seen_unix_ms, seen, sizeof seen);
        fprintf(out, "%s{\"name\":", i ? "," : "");
        json_write_string(out, a->name);
        fputs(",\"roles\":[", out);
        char *save = NULL;
        int first = 1;
        for (char *role = strtok_r(roles, ",", &save); role; role = strtok_r(NULL, ",", &save)) {
            fputs(first ? "" : ",", out);
            json_write_string(out, role);
            first = 0;
        }
        fprintf(out, "],\"online\":%s,\"address\":", a->online ? "true" : "false");
        json_write_string(out, a->address);
        fputs(",\"version\":", out);
        json_write_string(out, a->version);
        fputs(",\"hostname\":", out);
        json_write_string(out, a->hostname);
        fprintf(out, ",\"backup_free_bytes\":%llu,\"last_seen\":", (unsigned long long)a->backup_free_bytes);
        json_write_string(out, seen);
        fputc('}', out);
    }
    fputs("]\n", out);
}

void agent_registry_print(const agent_registry_t *r, int json, FILE *out)
{
    if (json) {
        print_json(r, out);
        return;
    }
    fprintf(out, "%-20s %-16s %-8s %-24s %-10s %s\n", "NAME", "ROLES", "ONLINE", "ADDRESS", "VERSION", "LAST SEEN");
    for (size_t i = 0; i < r->count; i++) {
        const agent_entry_t *a = &r->agents[i];
        char roles[64], seen[32];
        cert_roles_format(a->roles, roles, sizeof roles);
        format_time(a->last_seen_unix_ms, seen, sizeof seen);
        fprintf(out, "%-20s %-16s %-8s %-24s %-10s %s\n", a->name, roles, a->online ? "yes" : "no", a->address,
                a->version[0] ? a->version : "-", seen);
    }
    if (r->count == 0)
        fputs("(no agent has connected yet)\n", out);
}

void agent_registry_clear(agent_registry_t *r)
{
    free(r->agents);
    memset(r, 0, sizeof *r);
}
