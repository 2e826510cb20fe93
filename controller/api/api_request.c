/* api_request.c -- the inproc request between the API thread and the daemon's loop, as JSON (jansson). */
#include "api_request.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const ACTION_NAMES[API_ACTION_COUNT] = {
    "agents", "runs", "run", "audit", "events", "whoami", "metrics", "fleets", "fleet", "start", "approve",
    "resume", "rollback", "cancel", "fleet-start", "fleet-pause", "fleet-resume", "fleet-cancel", "drain",
    "undrain"};

const char *api_action_name(api_action_t action)
{
    return action < API_ACTION_COUNT ? ACTION_NAMES[action] : "unknown";
}

int api_action_is_write(api_action_t action)
{
    return action >= API_START && action < API_ACTION_COUNT;
}

char *api_request_encode(const api_request_t *r)
{
    json_t *object = json_pack("{s:I, s:I, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)r->seq,
                               "after", (json_int_t)r->after, "text", r->text,
                               "action", api_action_name(r->action), "run", r->run, "gate", r->gate, "plan",
                               r->plan, "who", r->who, "serial", r->serial, "address", r->address, "denied",
                               r->denied);
    if (object == NULL)
        return NULL;
    char *text = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    return text;
}

static int copy_field(json_t *object, const char *key, char *out, size_t len, alfup_err_t *err)
{
    const char *value = json_string_value(json_object_get(object, key));
    if (value == NULL || strlen(value) >= len)
        return alfup_err_set(err, "api request: %s missing or too long", key);
    memcpy(out, value, strlen(value) + 1);
    return ALFUP_OK;
}

static int find_action(const char *name, api_action_t *action)
{
    for (int i = 0; name && i < API_ACTION_COUNT; i++)
        if (strcmp(ACTION_NAMES[i], name) == 0)
            return *action = (api_action_t)i, 0;
    return -1;
}

int api_request_decode(const char *text, size_t len, api_request_t *r, alfup_err_t *err)
{
    memset(r, 0, sizeof *r);
    json_error_t json_err;
    json_t *object = json_loadb(text, len, JSON_REJECT_DUPLICATES, &json_err);
    if (object == NULL)
        return alfup_err_set(err, "api request: %s", json_err.text);
    int rc = ALFUP_ERR;
    json_t *seq = json_object_get(object, "seq");
    if (!json_is_integer(seq) || find_action(json_string_value(json_object_get(object, "action")), &r->action)) {
        alfup_err_set(err, "api request: no seq or unknown action");
        goto out;
    }
    r->seq = (unsigned long long)json_integer_value(seq);
    r->after = (long long)json_integer_value(json_object_get(object, "after"));
    r->text = json_is_true(json_object_get(object, "text"));
    if (copy_field(object, "run", r->run, sizeof r->run, err) || copy_field(object, "gate", r->gate, sizeof r->gate, err) ||
        copy_field(object, "plan", r->plan, sizeof r->plan, err) || copy_field(object, "who", r->who, sizeof r->who, err) ||
        copy_field(object, "serial", r->serial, sizeof r->serial, err) ||
        copy_field(object, "address", r->address, sizeof r->address, err) ||
        copy_field(object, "denied", r->denied, sizeof r->denied, err))
        goto out;
    rc = ALFUP_OK;
out:
    json_decref(object);
    return rc;
}
