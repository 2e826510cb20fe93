/* log_follow.h -- follow a growing log file line by line (tail -F), bounded. */
#ifndef ALFUP_LOG_FOLLOW_H
#define ALFUP_LOG_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"

/* Longest line handed out; longer lines are cut here and the rest dropped. */
#define LOG_FOLLOW_LINE_MAX 4096u
/* At most this many bytes are read per log_follow_poll call. */
#define LOG_FOLLOW_POLL_BYTES (1024u * 1024u)

typedef struct log_follow log_follow_t;

/* Called for each complete line (without its newline). Return 0 to go on,
 * non-zero to stop: the rest stays unread for the next poll. */
typedef int (*log_line_fn)(void *arg, const char *line);

/* The current size of the file at path, or 0 when it does not exist (so a log
 * created later is followed from its start). Returns ALFUP_OK or ALFUP_ERR. */
int log_follow_size(const char *path, uint64_t *size, alfup_err_t *err);

/* A follower of path from byte offset (a size from log_follow_size). The file
 * need not exist yet. Returns NULL when out of memory. Free with
 * log_follow_destroy. */
log_follow_t *log_follow_new(const char *path, uint64_t offset);

/* Reads what was appended since the last call and passes each complete line to
 * fn. Handles the file appearing, being truncated (read again from its start)
 * and being rotated (the old file is drained, then the new one is read from
 * its start). Returns the number of lines passed (>= 0), or ALFUP_ERR with err
 * on a read error. A line fn stopped on counts as passed. */
int log_follow_poll(log_follow_t *follow, log_line_fn fn, void *arg, alfup_err_t *err);

/* Frees the follower, closes its file and sets *follow_p to NULL. Tolerates NULL. */
void log_follow_destroy(log_follow_t **follow_p);

#endif
