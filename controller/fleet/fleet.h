/* fleet.h -- a fleet file (docs/fleet.md): deployments and their plans, the window, blackouts, waves, the threshold. */
#ifndef ALFUP_FLEET_H
#define ALFUP_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet_recur.h"
#include "plan_diag.h"
#include "yaml_doc.h"

/* The fleet file is read whole; bigger files are refused. */
#define FLEET_MAX_BYTES (256u * 1024u)
#define FLEET_MAX_DEPLOYMENTS 5000u
#define FLEET_MAX_WAVES 100u
#define FLEET_MAX_BLACKOUTS 500u
#define FLEET_PARALLELISM_MAX 1000u
#define FLEET_WINDOW_MIN_S 60
/* safety_factor in thousandths: 1.000 .. 10.000, default 1.5 */
#define FLEET_FACTOR_DEFAULT_MILLI 1500u
#define FLEET_FACTOR_MIN_MILLI 1000u
#define FLEET_FACTOR_MAX_MILLI 10000u
#define FLEET_PREPARE_AHEAD_DEFAULT_S (24 * 3600)
/* The gate each plan's workflow must have: the fleet approves it when the cutover fits a window. */
#define FLEET_CUTOVER_GATE "cutover"

typedef struct fleet_deployment {
    char *name;
    char *plan;      /* as written in the fleet file */
    char *plan_path; /* resolved: relative paths are taken from the fleet file's folder */
    size_t wave;     /* index in waves (every deployment is in exactly one) */
    const yaml_doc_node_t *node;
} fleet_deployment_t;

typedef struct fleet_wave {
    char *name;
    size_t *members; /* indexes in deployments, in the wave's order */
    size_t member_count;
    unsigned parallelism; /* cutovers of this wave at the same time */
    int64_t soak_s;       /* after the wave succeeded, before the next wave starts */
} fleet_wave_t;

typedef struct fleet_blackout {
    bool recurring;
    fleet_interval_t fixed; /* when not recurring */
    fleet_recur_t recur;    /* when recurring */
    char *reason;           /* may be NULL */
} fleet_blackout_t;

typedef enum fleet_threshold_kind { FLEET_THRESHOLD_COUNT, FLEET_THRESHOLD_PERCENT } fleet_threshold_kind_t;

typedef struct fleet {
    yaml_doc_t *doc;
    char *path;
    char *name;
    fleet_deployment_t *deployments; /* file order */
    size_t deployment_count;
    fleet_wave_t *waves; /* order: the first is the canary */
    size_t wave_count;
    char *zone_name;
    icaltimezone *zone; /* libical's, not owned; NULL when the name is unknown */
    char *rrule;        /* as written */
    fleet_recur_t window;
    fleet_blackout_t *blackouts;
    size_t blackout_count;
    fleet_threshold_kind_t threshold_kind;
    unsigned threshold_value; /* a count, or a percentage 1..100 */
    unsigned halt_failures;   /* failures that halt the fleet (the threshold as a count, >= 1) */
    int64_t prepare_ahead_s;
    unsigned safety_factor_milli;
    bool approve_cutovers;
} fleet_t;

/* How fleet_parse treats the plans the deployments name. */
typedef struct fleet_read_options {
    bool check_plans;          /* read and check each plan as `plan check` does (errors go to diag) */
    const char *workflows_dir; /* where the plans' workflows are (when check_plans) */
} fleet_read_options_t;

/* Parses and checks fleet text; path names it in messages and its folder anchors relative plan
 * paths. Every problem is added to diag as "PATH:LINE: message" (and a plan's own errors as
 * "PLAN:LINE: ..."). Returns the fleet, or NULL when diag got any error. Free with fleet_destroy. */
fleet_t *fleet_parse(const char *path, const char *text, size_t len, const fleet_read_options_t *options,
                     plan_diag_t *diag);

/* Reads the file at path (at most FLEET_MAX_BYTES) and parses it. Same contract. */
fleet_t *fleet_load(const char *path, const fleet_read_options_t *options, plan_diag_t *diag);

/* Frees the fleet; sets *fleet_p to NULL. Tolerates NULL. */
void fleet_destroy(fleet_t **fleet_p);

/* The index of the deployment called name, or -1. */
long fleet_find(const fleet_t *fleet, const char *name);

#endif
