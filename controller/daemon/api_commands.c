/* api_commands.c -- the API's requests run through the same code as the admin socket's commands. */
#include "api_commands.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api_body.h"
#include "audit_log.h"
#include "controller_metrics.h"
#include "event_log.h"
#include "fleet_commands.h"
#include "log.h"
#include "run_commands.h"
#include "run_status.h"

#define COMPONENT "api"
#define PLAN_SUFFIX ".yaml"

/* {"KEY": "text"} with the text's trailing newline dropped; malloc'd. */
static char *json_message(const char *key, const char *text)
{
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    json_t *object = json_object();
    if (object == NULL || json_object_set_new(object, key, json_stringn(text, len)) != 0) {
        json_decref(object);
        return NULL;
    }
    char *out = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    return out;
}

static void audit(const api_commands_t *c, const api_request_t *r, unsigned status, const char *run_id,
                  const char *outcome)
{
    audit_entry_t entry = {.who = r->who, .serial = r->serial, .source = "api", .address = r->address,
                           .action = api_action_name(r->action), .run_id = run_id, .status = (int)status,
                           .outcome = outcome};
    alfup_err_t err;
    if (audit_log_append(c->journal, &entry, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s by %s on run '%s' (%u) not in the audit trail: %s",
                  entry.action, r->who, run_id, status, err.msg);
}

/* Runs an admin command (argv) into a malloc'd text; its exit code. */
static int run_text(const api_commands_t *c, int argc, char **argv, char **text)
{
    size_t len = 0;
    *text = NULL;
    FILE *out = open_memstream(text, &len);
    if (out == NULL)
        return -1;
    int exit_code = run_commands_answer(c->engine, argc, argv, out);
    fclose(out);
    return exit_code;
}

/* GET: the same JSON the admin socket's --json commands print. */
static unsigned answer_read(const api_commands_t *c, const api_request_t *r, char **body)
{
    alfup_err_t err;
    if (r->action == API_EVENTS) {
        *body = event_log_json_after(c->journal, r->after, EVENT_LOG_BATCH_MAX, &err);
        return *body ? 200 : (*body = json_message("error", err.msg), 500);
    }
    if (r->action == API_METRICS) {
        *body = controller_metrics_text(c->registry, run_engine_find(c->engine, NULL), c->journal, c->controller,
                                         &err);
        return *body ? 200 : (*body = json_message("error", err.msg), 500);
    }
    if (r->action == API_AUDIT) {
        *body = audit_log_json(c->journal, API_AUDIT_LIMIT, &err);
        return *body ? 200 : (*body = json_message("error", err.msg), 500);
    }
    if (r->action == API_FLEETS || r->action == API_FLEET) {
        size_t len = 0;
        FILE *out = open_memstream(body, &len);
        if (out == NULL)
            return 500;
        int rc = fleet_runner_status(c->fleets, r->action == API_FLEET ? r->run : NULL, true, out);
        fclose(out);
        if (rc != 0) {
            free(*body);
            *body = json_message("error", "no such fleet");
        }
        return rc == 0 ? 200 : 404;
    }
    const run_t *run = r->action == API_RUN ? run_engine_find(c->engine, r->run) : NULL;
    if (r->action == API_RUN && run == NULL) {
        *body = json_message("error", "no such run");
        return 404;
    }
    size_t len = 0;
    FILE *out = open_memstream(body, &len);
    if (out == NULL)
        return 500;
    if (r->action == API_AGENTS)
        agent_registry_print(c->registry, !r->text, out);
    else if (r->action == API_RUNS)
        run_status_list(run_engine_find(c->engine, NULL), !r->text, out);
    else
        run_status_print(run, !r->text, out);
    fclose(out);
    return 200;
}

static unsigned answer_start(const api_commands_t *c, const api_request_t *r, char **body, char *run_id,
                             size_t run_id_len)
{
    char path[4096];
    struct stat st;
    if (c->config->plans_dir == NULL)
        return *body = json_message("error", "this controller has no api.plans_dir: runs start on its host only"), 404;
    if (!api_name_is_valid(r->plan))
        return *body = json_message("error", "bad plan name"), 400;
    if (fleet_runner_drained(c->fleets))
        return *body = json_message("error", "the controller is drained: no new run starts"), 409;
    snprintf(path, sizeof path, "%s/%s%s", c->config->plans_dir, r->plan, PLAN_SUFFIX);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return *body = json_message("error", "no such plan in api.plans_dir"), 404;
    char *argv[] = {"run", path, NULL}, *text = NULL;
    int exit_code = run_text(c, 2, argv, &text);
    if (exit_code == 0 && text) {
        snprintf(run_id, run_id_len, "%.*s", (int)strcspn(text, "\n"), text);
        *body = json_message("run", run_id);
    } else {
        *body = json_message("error", text ? text : "out of memory");
    }
    free(text);
    return exit_code == 0 ? 201 : 422;
}

/* approve, resume, rollback, cancel: the admin socket's command on the run. */
static unsigned answer_action(const api_commands_t *c, const api_request_t *r, char **body)
{
    if (run_engine_find(c->engine, r->run) == NULL)
        return *body = json_message("error", "no such run"), 404;
    char *argv[] = {(char *)api_action_name(r->action), (char *)r->run, (char *)r->gate, NULL}, *text = NULL;
    int argc = r->action == API_APPROVE && r->gate[0] ? 3 : 2;
    int exit_code = run_text(c, argc, argv, &text);
    *body = json_message(exit_code == 0 ? "result" : "error", text ? text : "out of memory");
    free(text);
    return exit_code == 0 ? 200 : exit_code == 2 ? 400 : 409;
}

/* fleet start (the fleet file NAME.yaml in api.plans_dir), pause, resume, cancel; drain, undrain: the admin
 * socket's commands. */
static unsigned answer_fleet(const api_commands_t *c, const api_request_t *r, char **body, char *target,
                             size_t target_len)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    struct stat st;
    char *argv[] = {"fleet", (char *)api_action_name(r->action) + strlen("fleet-"), (char *)r->run, NULL};
    int argc = 3;
    if (r->action == API_DRAIN || r->action == API_UNDRAIN) {
        argv[0] = (char *)api_action_name(r->action);
        argc = 1;
    } else if (r->action == API_FLEET_START) {
        if (c->config->plans_dir == NULL)
            return *body = json_message("error", "this controller has no api.plans_dir: fleets start on its host only"),
                   404;
        if (!api_name_is_valid(r->plan))
            return *body = json_message("error", "bad fleet name"), 400;
        snprintf(path, sizeof path, "%s/%s%s", c->config->plans_dir, r->plan, PLAN_SUFFIX);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            return *body = json_message("error", "no such fleet file in api.plans_dir"), 404;
        argv[2] = path;
    }
    FILE *out = open_memstream(&text, &len);
    if (out == NULL)
        return 500;
    int exit_code = fleet_commands_answer(c->fleets, argc, argv, out);
    fclose(out);
    if (r->action == API_FLEET_START && exit_code == 0 && text)
        snprintf(target, target_len, "%.*s", (int)strcspn(text, "\n"), text);
    *body = json_message(exit_code == 0 ? "result" : "error", text ? text : "out of memory");
    int missing = text && strncmp(text, "no fleet ", strlen("no fleet ")) == 0;
    free(text);
    if (exit_code == 0)
        return r->action == API_FLEET_START ? 201 : 200;
    return exit_code == 2 ? 400 : missing ? 404 : r->action == API_FLEET_START ? 422 : 409;
}

static int is_fleet_action(api_action_t action)
{
    return action >= API_FLEET_START && action <= API_UNDRAIN;
}

/* Four eyes: with api.four_eyes, who started the run may not approve its gates. */
static int four_eyes_refuses(const api_commands_t *c, const api_request_t *r)
{
    char starter[API_FIELD_MAX];
    alfup_err_t err;
    if (!c->config->four_eyes || r->action != API_APPROVE)
        return 0;
    int rc = audit_log_run_starter(c->journal, r->run, starter, sizeof starter, &err);
    if (rc == ALFUP_ERR)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "four eyes: %s", err.msg);
    return rc == ALFUP_OK && strcmp(starter, r->who) == 0;
}

unsigned api_commands_answer(const api_commands_t *c, const api_request_t *r, char **body)
{
    *body = NULL;
    if (r->denied[0] || four_eyes_refuses(c, r)) {
        const char *why = r->denied[0] ? r->denied : "four eyes: who started the run may not approve its gates";
        audit(c, r, 403, r->run, why);
        *body = json_message("error", why);
        return 403;
    }
    if (!api_action_is_write(r->action))
        return answer_read(c, r, body);
    char run_id[API_FIELD_MAX];
    snprintf(run_id, sizeof run_id, "%s", r->run);
    unsigned status = r->action == API_START     ? answer_start(c, r, body, run_id, sizeof run_id)
                      : is_fleet_action(r->action) ? answer_fleet(c, r, body, run_id, sizeof run_id)
                                                   : answer_action(c, r, body);
    json_t *reply = *body ? json_loads(*body, 0, NULL) : NULL;
    const char *outcome = json_string_value(
        json_object_get(reply, status < 300 ? (r->action == API_START ? "run" : "result") : "error"));
    audit(c, r, status, run_id, outcome ? outcome : "");
    json_decref(reply);
    return status;
}
