/* cert_identity.c -- reading a peer's name and roles out of its X.509 certificate. */
#include "cert_identity.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    unsigned bit;
} ROLE_NAMES[] = {
    {"admin", ROLE_ADMIN}, {"approver", ROLE_APPROVER}, {"controller", ROLE_CONTROLLER},
    {"db", ROLE_DB},       {"operator", ROLE_OPERATOR}, {"repo", ROLE_REPO},
    {"solr", ROLE_SOLR},   {"viewer", ROLE_VIEWER},
};

#define ROLE_NAME_COUNT (sizeof ROLE_NAMES / sizeof ROLE_NAMES[0])
_Static_assert(ROLE_NAME_COUNT == CERT_ROLE_COUNT, "every role has a name");

unsigned cert_role_from_name(const char *name)
{
    for (size_t i = 0; i < ROLE_NAME_COUNT; i++)
        if (strcmp(ROLE_NAMES[i].name, name) == 0)
            return ROLE_NAMES[i].bit;
    return 0;
}

size_t cert_roles_names(unsigned roles, const char *names[CERT_ROLE_COUNT])
{
    size_t count = 0;
    for (size_t i = 0; i < ROLE_NAME_COUNT; i++)
        if (roles & ROLE_NAMES[i].bit)
            names[count++] = ROLE_NAMES[i].name;
    return count;
}

void cert_roles_format(unsigned roles, char *buf, size_t len)
{
    const char *names[CERT_ROLE_COUNT];
    size_t count = cert_roles_names(roles, names), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i]);
        if (n > 0)
            used += (size_t)n;
    }
}

int cert_name_is_valid(const char *name)
{
    size_t len = strnlen(name, CERT_NAME_MAX + 1);
    if (len == 0 || len > CERT_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

static int read_common_name(X509 *cert, char *out, size_t len, alfup_err_t *err)
{
    X509_NAME *subject = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0)
        return alfup_err_set(err, "certificate has no common name");
    if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0)
        return alfup_err_set(err, "certificate has more than one common name");
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    int data_len = ASN1_STRING_length(data);
    const unsigned char *bytes = ASN1_STRING_get0_data(data);
    if (data_len <= 0 || (size_t)data_len >= len || memchr(bytes, '\0', (size_t)data_len))
        return alfup_err_set(err, "certificate common name is empty, too long or malformed");
    memcpy(out, bytes, (size_t)data_len);
    out[data_len] = '\0';
    if (!cert_name_is_valid(out))
        return alfup_err_set(err, "certificate common name is not a valid name");
    return ALFUP_OK;
}

static unsigned read_roles(X509 *cert)
{
    unsigned roles = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL)
        return 0;
    size_t prefix_len = strlen(CERT_ROLE_URI_PREFIX);
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *entry = sk_GENERAL_NAME_value(names, i);
        if (entry->type != GEN_URI)
            continue;
        const ASN1_IA5STRING *uri = entry->d.uniformResourceIdentifier;
        int uri_len = ASN1_STRING_length(uri);
        const char *text = (const char *)ASN1_STRING_get0_data(uri);
        char role[32];
        if (uri_len <= (int)prefix_len || uri_len - prefix_len >= sizeof role ||
            strncmp(text, CERT_ROLE_URI_PREFIX, prefix_len) != 0)
            continue;
        memcpy(role, text + prefix_len, (size_t)uri_len - prefix_len);
        role[uri_len - prefix_len] = '\0';
        roles |= cert_role_from_name(role);
    }
    GENERAL_NAMES_free(names);
    return roles;
}

int cert_identity_read(X509 *cert, cert_identity_t *identity, alfup_err_t *err)
{
    memset(identity, 0, sizeof *identity);
    if (cert == NULL)
        return alfup_err_set(err, "no certificate");
    if (read_common_name(cert, identity->name, sizeof identity->name, err) != ALFUP_OK)
        return ALFUP_ERR;
    identity->roles = read_roles(cert);
    struct tm expiry;
    const ASN1_TIME *not_after = X509_get0_notAfter(cert);
    if (not_after && ASN1_TIME_to_tm(not_after, &expiry) == 1)
        identity->not_after_unix = (int64_t)timegm(&expiry);
    return ALFUP_OK;
}

int cert_identity_read_file(const char *path, cert_identity_t *identity, alfup_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return alfup_err_errno(err, errno, "open certificate %s", path);
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (cert == NULL)
        return alfup_err_ssl(err, "read certificate %s", path);
    int rc = cert_identity_read(cert, identity, err);
    if (rc != ALFUP_OK)
        alfup_err_prefix(err, "%s", path);
    X509_free(cert);
    return rc;
}
