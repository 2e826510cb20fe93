/* plan_diag.h -- a list of "FILE:LINE: message" errors, so a plan check reports every problem it finds. */
#ifndef ALFUP_PLAN_DIAG_H
#define ALFUP_PLAN_DIAG_H

#include "alfup_error.h"
#include "str_list.h"
#include "yaml_doc.h"

/* Most errors kept; later ones are counted, not stored. */
#define PLAN_DIAG_MAX 200

typedef struct plan_diag {
    str_list_t errors; /* each "FILE:LINE: message" */
    size_t dropped;    /* errors beyond PLAN_DIAG_MAX */
} plan_diag_t;

/* Adds err->msg (already "FILE:LINE: ..."). Returns ALFUP_ERR. */
int plan_diag_add_err(plan_diag_t *diag, const alfup_err_t *err);

/* Adds "FILE:LINE: key 'PATH': message" about node (see yaml_doc_error). Returns ALFUP_ERR. */
int plan_diag_at(plan_diag_t *diag, const yaml_doc_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a preformatted message. Returns ALFUP_ERR. */
int plan_diag_addf(plan_diag_t *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How many errors were found (kept or dropped). */
size_t plan_diag_count(const plan_diag_t *diag);

/* Copies the first error (and "(and N more)") into err. Returns ALFUP_ERR. */
int plan_diag_to_err(const plan_diag_t *diag, alfup_err_t *err);

/* Frees the messages; the diag is empty and reusable. */
void plan_diag_clear(plan_diag_t *diag);

#endif
