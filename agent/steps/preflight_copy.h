/* preflight_copy.h -- what the preflight step checks for the copies the prestaged workflow makes:
 * room in the folder the contentstore (or an index) is copied into, and whether the new database is
 * on the old one's PostgreSQL server (template copy) or another (dump and restore). The state the
 * preflight's checks share (step_preflight.c and this file). */
#ifndef ALFUP_PREFLIGHT_COPY_H
#define ALFUP_PREFLIGHT_COPY_H

#include <stdint.h>

#include "preflight_fs.h"
#include "step.h"

typedef struct preflight {
    step_context_t *ctx;
    unsigned failed;
    uint64_t estimate;      /* bytes the backup will need */
    int estimated;          /* 1 when something contributed to the estimate */
    char first_failed[700]; /* "<check>: <reason>" of the first failure */
    uint64_t tree_bytes;    /* the size_tree trees' bytes (part of estimate) */
    int trees_sized;        /* 1 when a size_tree was measured */
    uint64_t copy_need;     /* bytes the copies need (1.1 x the trees), 0: no copy_to */
    char copy_fs[PREFLIGHT_FS_ID_MAX]; /* the filesystem of the copies, when copy_need > 0 */
} preflight_t;

/* Records one check: output "<name>" = "ok" | "FAIL: <reason>", and a log line. */
void preflight_check_result(preflight_t *pf, const char *name, const char *fail_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* bytes * 11 / 10 rounded up (PREFLIGHT_SPACE_NUM / PREFLIGHT_SPACE_DEN), without overflow. */
uint64_t preflight_with_margin(uint64_t bytes);

/* Param copy_to=P (repeatable: every folder a copy of the size_tree trees goes to, all on one
 * filesystem or each checked alone): the deepest existing ancestor of each has free space for
 * 1.1 x the trees' bytes (the base and the delta, as the backup's estimate). Outputs copy_fs,
 * copy_needed_bytes, copy_free_bytes (the first copy_to's) for the controller's check across
 * hosts; a check "copy_space:P" each. When the copy is on backup_dir's filesystem, check_space
 * adds its need to the backup's (pf->copy_need, pf->copy_fs). Needs check_tree_sizes first. */
void preflight_check_copy_space(preflight_t *pf);

/* Param copy_server=NAME (with database=D; "" or absent: nothing to check): NAME is one of the
 * agent's postgres.servers, reachable, and the same-server test (db_server.h) tells whether D's
 * copy will be a template copy (output db_copy_method=template, db_server_same=yes) or a dump and
 * restore (dump-restore, no; the dump goes to backup_dir, so D's size joins the estimate again).
 * Outputs db_server_source and db_server_target: what each server says about itself. */
void preflight_check_copy_server(preflight_t *pf, const char *database);

#endif
