/* alfup_error.h -- the project's error codes and the error message carrier. */
#ifndef ALFUP_ERROR_H
#define ALFUP_ERROR_H

#include <stddef.h>

enum {
    ALFUP_OK = 0,
    ALFUP_ERR = -1,   /* failed; the alfup_err_t says why */
    ALFUP_AGAIN = -2  /* no progress possible now (EAGAIN, WANT_READ); call again */
};

#define ALFUP_ERR_MAX 512

/* A human-readable reason with context (peer, host, step, path).
 * Functions that can fail take an alfup_err_t * (which may be NULL) and fill it
 * before returning ALFUP_ERR. */
typedef struct alfup_err {
    char msg[ALFUP_ERR_MAX];
} alfup_err_t;

/* Sets err->msg (printf-style). Tolerates err == NULL. Always returns ALFUP_ERR
 * so callers can write `return alfup_err_set(err, ...)`. */
int alfup_err_set(alfup_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like alfup_err_set, then appends ": strerror(errnum)". */
int alfup_err_errno(alfup_err_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like alfup_err_set, then appends the OpenSSL error queue (and clears it). */
int alfup_err_ssl(alfup_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with "context: ". Returns ALFUP_ERR. */
int alfup_err_prefix(alfup_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
