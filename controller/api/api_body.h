/* api_body.h -- decoding the JSON body of an API request: one object, known keys, names only. */
#ifndef ALFUP_API_BODY_H
#define ALFUP_API_BODY_H

#include <stddef.h>

#include "alfup_error.h"

/* A body longer than this is refused (413) before it is read. */
#define API_BODY_MAX (64u * 1024u)
/* A name in a body (a plan, a gate): at most this long. */
#define API_NAME_MAX 100

/* 1 when name is [A-Za-z0-9._-]+, at most API_NAME_MAX, not "." nor "..", and without "..":
 * a plan's name is looked up in api.plans_dir, so it can never name a path. */
int api_name_is_valid(const char *name);

/* Reads body (len bytes; len 0 means "{}"): a JSON object whose keys are all in allowed (a
 * NULL-terminated list), each a string that is a valid name. The value of want is copied into
 * out ("" when absent). required: want must be present. ALFUP_ERR with err (a message for the
 * client, 400) on anything else: not JSON, not an object, an unknown key, a bad name. */
int api_body_decode(const char *body, size_t len, const char *const *allowed, const char *want, int required,
                    char *out, size_t out_len, alfup_err_t *err);

#endif
