/* alfup_error.c -- filling alfup_err_t from format strings, errno and OpenSSL. */
#include "alfup_error.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 2, 0)))
static void vset(alfup_err_t *err, const char *fmt, va_list ap)
{
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int alfup_err_set(alfup_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return ALFUP_ERR;
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    return ALFUP_ERR;
}

static void append(alfup_err_t *err, const char *text)
{
    size_t used = strnlen(err->msg, sizeof err->msg);
    if (used + 1 < sizeof err->msg)
        snprintf(err->msg + used, sizeof err->msg - used, "%s", text);
}

int alfup_err_errno(alfup_err_t *err, int errnum, const char *fmt, ...)
{
    if (err == NULL)
        return ALFUP_ERR;
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    append(err, ": ");
    append(err, strerror(errnum));
    return ALFUP_ERR;
}

int alfup_err_ssl(alfup_err_t *err, const char *fmt, ...)
{
    if (err == NULL) {
        ERR_clear_error();
        return ALFUP_ERR;
    }
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    unsigned long code;
    char reason[256];
    while ((code = ERR_get_error()) != 0) {
        ERR_error_string_n(code, reason, sizeof reason);
        append(err, ": ");
        append(err, reason);
    }
    return ALFUP_ERR;
}

int alfup_err_prefix(alfup_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return ALFUP_ERR;
    char prefix[ALFUP_ERR_MAX];
    char old[ALFUP_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    err->msg[0] = '\0';
    append(err, prefix);
    append(err, ": ");
    append(err, old);
    return ALFUP_ERR;
}
