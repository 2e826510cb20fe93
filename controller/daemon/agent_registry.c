/* agent_registry.c -- the list behind `alfup-controller agents`. */
#include "agent_registry.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_identity.h"
#include "json_writer.h"

/* The index of name in the sorted array, or where it would be inserted; *found says which. */
static size_t locate(const agent_registry_t *r, const char *name, int *found)
{
    size_t lo = 0, hi = r->count;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, r->agents[mid].name);
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

agent_entry_t *agent_registry_find(agent_registry_t *r, const char *name)
{
    int found;
    size_t at = locate(r, name, &found);
    return found ? &r->agents[at] : NULL;
}

/* Inserts an empty entry for name at its sorted place. NULL on ENOMEM. */
static agent_entry_t *insert(agent_registry_t *r, const char *name)
{
    int found;
    size_t at = locate(r, name, &found);
    if (r->count == r->capacity) {
        size_t capacity = r->capacity ? r->capacity * 2 : 16;
        agent_entry_t *grown = realloc(r->agents, capacity * sizeof *grown);
        if (grown == NULL)
            return NULL;
        r->agents = grown;
        r->capacity = capacity;
    }
    memmove(&r->agents[at + 1], &r->agents[at], (r->count - at) * sizeof *r->agents);
    r->count++;
    agent_entry_t *entry = &r->agents[at];
    memset(entry, 0, sizeof *entry);
    snprintf(entry->name, sizeof entry->name, "%s", name);
    return entry;
}

int agent_registry_up(agent_registry_t *r, const char *name, unsigned roles, const char *address)
{
    agent_entry_t *entry = agent_registry_find(r, name);
    if (entry == NULL && (entry = insert(r, name)) == NULL)
        return -1;
    entry->roles = roles;
    entry->online = 1;
    entry->refused[0] = '\0';
    snprintf(entry->address, sizeof entry->address, "%s", address);
    entry->last_seen_unix_ms = entry->online_since_unix_ms = alfup_now_unix_ms();
    return 0;
}

int agent_registry_refused(agent_registry_t *r, const char *name, const char *reason)
{
    agent_entry_t *entry = agent_registry_find(r, name);
    if (entry == NULL && (entry = insert(r, name)) == NULL)
        return -1;
    entry->online = 0;
    snprintf(entry->refused, sizeof entry->refused, "%s", reason);
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
        const char *roles[CERT_ROLE_COUNT];
        size_t role_count = cert_roles_names(a->roles, roles);
        char seen[32];
        format_time(a->last_seen_unix_ms, seen, sizeof seen);
        fprintf(out, "%s{\"name\":", i ? "," : "");
        json_write_string(out, a->name);
        fputs(",\"roles\":[", out);
        for (size_t k = 0; k < role_count; k++) {
            fputs(k ? "," : "", out);
            json_write_string(out, roles[k]);
        }
        fprintf(out, "],\"online\":%s,\"address\":", a->online ? "true" : "false");
        json_write_string(out, a->address);
        json_write_field(out, "version", a->version);
        json_write_field(out, "hostname", a->hostname);
        fprintf(out, ",\"backup_free_bytes\":%llu,\"last_seen\":", (unsigned long long)a->backup_free_bytes);
        json_write_string(out, seen);
        if (a->refused[0]) {
            json_write_field(out, "refused", a->refused);
        }
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
        fprintf(out, "%-20s %-16s %-8s %-24s %-10s %s%s%s\n", a->name, roles, a->online ? "yes" : "no", a->address,
                a->version[0] ? a->version : "-", seen, a->refused[0] ? "  REFUSED: " : "", a->refused);
    }
    if (r->count == 0)
        fputs("(no agent has connected yet)\n", out);
}

void agent_registry_clear(agent_registry_t *r)
{
    free(r->agents);
    memset(r, 0, sizeof *r);
}
