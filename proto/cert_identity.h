/* cert_identity.h -- who a peer is: its certificate's common name and role URIs. */
#ifndef ALFUP_CERT_IDENTITY_H
#define ALFUP_CERT_IDENTITY_H

#include <openssl/x509.h>
#include <stdint.h>

#include "alfup_error.h"

/* Roles are subjectAltName URIs "urn:alfup:role:<role>" (certs/alfup-certs). */
#define CERT_ROLE_URI_PREFIX "urn:alfup:role:"
#define CERT_NAME_MAX 64

typedef enum cert_role {
    ROLE_REPO = 1u << 0,
    ROLE_DB = 1u << 1,
    ROLE_SOLR = 1u << 2,
    ROLE_CONTROLLER = 1u << 3,
    ROLE_OPERATOR = 1u << 4, /* console: starts, resumes, rolls back and cancels runs */
    ROLE_VIEWER = 1u << 5,   /* console: reads */
    ROLE_APPROVER = 1u << 6, /* console: approves gates */
    ROLE_ADMIN = 1u << 7     /* console: reads the audit trail */
} cert_role_t;

#define ROLE_AGENT_MASK (ROLE_REPO | ROLE_DB | ROLE_SOLR)
/* The roles of an operator's certificate (docs/api.md): never an agent's or the controller's. */
#define ROLE_CONSOLE_MASK (ROLE_OPERATOR | ROLE_VIEWER | ROLE_APPROVER | ROLE_ADMIN)
#define CERT_ROLE_COUNT 8 /* the roles above */

typedef struct cert_identity {
    char name[CERT_NAME_MAX + 1];  /* the subject's common name */
    unsigned roles;                /* cert_role_t bits */
    int64_t not_after_unix;        /* when it expires (seconds since 1970; 0 when unreadable) */
} cert_identity_t;

/* Reads the CN, the role URIs and the expiry of cert. Fails when the CN is missing, not
 * a well-formed name ([A-Za-z0-9][A-Za-z0-9._-]*, at most 64), or appears twice.
 * Unknown role URIs are ignored. */
int cert_identity_read(X509 *cert, cert_identity_t *identity, alfup_err_t *err);

/* Reads the identity of the certificate in a PEM file. */
int cert_identity_read_file(const char *path, cert_identity_t *identity, alfup_err_t *err);

/* Fills names with the names of the roles set in roles, in alphabetical order ("db", "repo"),
 * and returns how many. The names are static strings. */
size_t cert_roles_names(unsigned roles, const char *names[CERT_ROLE_COUNT]);

/* Writes the role names of roles, comma separated ("db,repo"), into buf. */
void cert_roles_format(unsigned roles, char *buf, size_t len);

/* The role bit for a name ("repo"), or 0 when unknown. */
unsigned cert_role_from_name(const char *name);

/* 1 when name is a well-formed agent or certificate name. */
int cert_name_is_valid(const char *name);

#endif
