/* fleet_store.h -- fleets, their deployments, the runner's decisions and the drain flag in the journal, so a
 * restarted controller continues every fleet as it was and never takes an action twice. */
#ifndef ALFUP_FLEET_STORE_H
#define ALFUP_FLEET_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alfup_error.h"
#include "journal.h"

#define FLEET_STORE_RUN_ID_MAX 32
#define FLEET_STORE_STATE_MAX 16

/* One decision, keyed by fleet, deployment, action ("prepare", "cutover") and window occurrence (UTC seconds
 * of the occurrence's start; 0 for prepare: a deployment prepares once per fleet). */
typedef struct fleet_decision {
    int64_t decided_ms;                  /* when it was first journaled */
    char run_id[FLEET_STORE_RUN_ID_MAX]; /* the run it acted on ("" while not known) */
    bool done;                           /* acted on */
} fleet_decision_t;

/* Creates the fleet tables when missing. */
int fleet_store_init(journal_t *journal, alfup_err_t *err);

/* A new fleet row; ALFUP_ERR (err says when it was started) when a fleet of that name exists. */
int fleet_store_add_fleet(journal_t *journal, const char *name, const char *path, const char *text,
                          bool approve_cutovers, int64_t started_ms, alfup_err_t *err);
int fleet_store_set_fleet_state(journal_t *journal, const char *name, const char *state, alfup_err_t *err);

/* Calls fn for every fleet row, oldest first; stops at fn's first non-zero return (returned). */
typedef int (*fleet_store_fleet_fn)(void *arg, const char *name, const char *path, const char *text, const char *state,
                                    bool approve_cutovers, int64_t started_ms);
int fleet_store_each_fleet(journal_t *journal, fleet_store_fleet_fn fn, void *arg, alfup_err_t *err);

/* A deployment's run, state name and settle time (UTC seconds, 0 when not settled). */
int fleet_store_save_member(journal_t *journal, const char *fleet, const char *deployment, const char *run_id,
                            const char *state, int64_t settled_s, alfup_err_t *err);
typedef void (*fleet_store_member_fn)(void *arg, const char *deployment, const char *run_id, const char *state,
                                      int64_t settled_s);
int fleet_store_each_member(journal_t *journal, const char *fleet, fleet_store_member_fn fn, void *arg,
                            alfup_err_t *err);

/* Journals the decision when it is not there yet (its decided_ms: now_ms) and reads it back into out. */
int fleet_store_decide(journal_t *journal, const char *fleet, const char *deployment, const char *action,
                       int64_t occurrence, int64_t now_ms, fleet_decision_t *out, alfup_err_t *err);
/* Marks the decision acted on, on run_id. */
int fleet_store_done(journal_t *journal, const char *fleet, const char *deployment, const char *action,
                     int64_t occurrence, const char *run_id, alfup_err_t *err);

/* The controller-wide drain flag. */
int fleet_store_set_drained(journal_t *journal, bool drained, alfup_err_t *err);
int fleet_store_drained(journal_t *journal, bool *drained, alfup_err_t *err);

/* The newest limit events of fleet, oldest first: "TIME  EVENT  DEPLOYMENT  DETAIL" lines, or (json) a JSON
 * array of the events' data objects with "at_unix_ms". */
int fleet_store_print_events(journal_t *journal, const char *fleet, unsigned limit, bool json, FILE *out,
                             alfup_err_t *err);

#endif
