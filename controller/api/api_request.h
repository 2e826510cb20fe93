/* api_request.h -- what the API thread asks the daemon's loop over the inproc socket, and the answer. */
#ifndef ALFUP_API_REQUEST_H
#define ALFUP_API_REQUEST_H

#include <stddef.h>

#include "alfup_error.h"
#include "cert_identity.h"

/* The daemon binds a ROUTER here; the API thread connects a DEALER. A request is one frame (the
 * JSON below); the answer is three frames: the request's seq, the HTTP status (decimal), the body. */
#define API_BRIDGE_ENDPOINT "inproc://alfup-api"
#define API_FIELD_MAX 128

/* What the API may ask. API_ACTION_DENIED_* never run: the daemon audits them and answers 403. */
typedef enum api_action {
    API_AGENTS, API_RUNS, API_RUN, API_AUDIT, API_EVENTS, API_WHOAMI, API_METRICS, API_FLEETS, API_FLEET,
    API_START, API_APPROVE, API_RESUME, API_ROLLBACK, API_CANCEL, /* writes from API_START on */
    API_FLEET_START, API_FLEET_PAUSE, API_FLEET_RESUME, API_FLEET_CANCEL, API_DRAIN, API_UNDRAIN,
    API_ACTION_COUNT
} api_action_t;

typedef struct api_request {
    unsigned long long seq;           /* the API thread's counter: stale answers are dropped */
    long long after;                  /* events: the last event id the client has */
    int text;                         /* agents, runs, run: the admin socket's text (Accept: text/plain), not JSON */
    api_action_t action;
    char run[API_FIELD_MAX];          /* run id (a fleet's name for the fleet actions), "" when none */
    char gate[API_FIELD_MAX];         /* approve: the gate, "" for the one the run waits at */
    char plan[API_FIELD_MAX];         /* start: the plan's name in api.plans_dir (fleet start: the fleet file's) */
    char who[CERT_NAME_MAX + 1];      /* the certificate's name */
    char serial[API_FIELD_MAX];       /* its serial, hex */
    char address[API_FIELD_MAX];      /* the client's address */
    char denied[API_FIELD_MAX];       /* non-empty: refused by the API for this reason (403) */
} api_request_t;

/* The action's name in the audit trail and on the wire ("start", "approve" ...). */
const char *api_action_name(api_action_t action);

/* 1 when the action changes something (audited); 0 for reads. */
int api_action_is_write(api_action_t action);

/* The request as a JSON text (malloc'd), or NULL when memory ran out. */
char *api_request_encode(const api_request_t *request);

/* Reads a request encoded by api_request_encode. ALFUP_ERR with err on anything else. */
int api_request_decode(const char *text, size_t len, api_request_t *request, alfup_err_t *err);

#endif
