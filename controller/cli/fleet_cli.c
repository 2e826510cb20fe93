/* fleet_cli.c -- `fleet check` (the fleet file and every plan it names) and `fleet show` (the timeline). */
#include "fleet_cli.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "fleet_calendar.h"
#include "fleet_time.h"
#include "json_writer.h"
#include "plan_cli.h"

#define EXIT_FLEET_BAD 1
#define EXIT_FLEET_USAGE 2

typedef struct fleet_cli_args {
    bool show, json;
    const char *path, *workflows, *from;
    int windows;
} fleet_cli_args_t;

/* Where each wave would cut over, if its cutovers fit in one usable window. */
typedef struct wave_plan {
    bool has_slot;
    fleet_slot_t slot;
    int64_t prepare_from;
} wave_plan_t;

static int usage(FILE *err)
{
    fprintf(err, "usage: alfup-controller fleet check FLEET [--workflows DIR]\n"
                 "       alfup-controller fleet show FLEET [--json] [--from ISO8601] [--windows N] "
                 "[--workflows DIR]\n");
    return EXIT_FLEET_USAGE;
}

static int parse_args(int count, char **words, fleet_cli_args_t *args)
{
    if (count < 3 || (strcmp(words[1], "check") != 0 && strcmp(words[1], "show") != 0))
        return -1;
    args->show = strcmp(words[1], "show") == 0;
    args->windows = FLEET_CLI_WINDOWS_DEFAULT;
    for (int i = 2; i < count; i++) {
        if (strcmp(words[i], "--json") == 0 && args->show)
            args->json = true;
        else if (strcmp(words[i], "--from") == 0 && args->show && i + 1 < count)
            args->from = words[++i];
        else if (strcmp(words[i], "--windows") == 0 && args->show && i + 1 < count)
            args->windows = atoi(words[++i]);
        else if (strcmp(words[i], "--workflows") == 0 && i + 1 < count)
            args->workflows = words[++i];
        else if (words[i][0] != '-' && args->path == NULL)
            args->path = words[i];
        else
            return -1;
    }
    return args->path != NULL && args->windows >= 1 && args->windows <= FLEET_CLI_WINDOWS_MAX ? 0 : -1;
}

/* The wave plans: wave 0 in the first usable window from `from`, each next wave in the first one
 * after the previous wave's window and its soak. */
static int plan_waves(const fleet_t *fleet, int64_t from, wave_plan_t *plans, alfup_err_t *err)
{
    int64_t after = from;
    for (size_t w = 0; w < fleet->wave_count; w++) {
        int rc = fleet_calendar_next(fleet, after, &plans[w].slot, err);
        if (rc == ALFUP_ERR)
            return rc;
        plans[w].has_slot = rc == ALFUP_OK;
        if (!plans[w].has_slot)
            continue;
        if (plans[w].slot.usable.start < after)
            plans[w].slot.usable.start = after;
        plans[w].prepare_from = plans[w].slot.usable.start - fleet->prepare_ahead_s;
        if (plans[w].prepare_from < from)
            plans[w].prepare_from = from;
        after = plans[w].slot.usable.end + fleet->waves[w].soak_s;
    }
    return ALFUP_OK;
}

static void show_text(const fleet_t *fleet, int64_t from, int windows, const wave_plan_t *plans, FILE *out)
{
    char a[FLEET_TIME_TEXT_MAX], b[FLEET_TIME_TEXT_MAX], c[FLEET_TIME_TEXT_MAX];
    fleet_utc_text(fleet_ical_to_utc(fleet->window.start, fleet->zone), fleet->zone, a, sizeof a);
    fleet_duration_text(fleet->window.duration_s, b, sizeof b);
    fprintf(out, "fleet %s (%s): %zu deployments in %zu waves\n", fleet->name, fleet->path, fleet->deployment_count,
            fleet->wave_count);
    fprintf(out, "window: %s from %s %s, %s each; %zu blackouts\n", fleet->rrule, a, fleet->zone_name, b,
            fleet->blackout_count);
    fleet_duration_text(fleet->prepare_ahead_s, a, sizeof a);
    fprintf(out,
            "failure threshold: %u failed deployments halt the fleet; prepare_ahead %s; safety factor %u.%03u; "
            "cutovers %s\n",
            fleet->halt_failures, a, fleet->safety_factor_milli / 1000, fleet->safety_factor_milli % 1000,
            fleet->approve_cutovers ? "approved ahead (approve_cutovers: true)" : "each approved by an operator");
    fprintf(out, "estimates: unknown (no rehearsal has run): no cutover starts without one; this timeline "
                 "assumes each wave's cutovers fit in one window\n");
    fleet_utc_text(from, fleet->zone, a, sizeof a);
    fprintf(out, "\nusable windows from %s %s:\n", a, fleet->zone_name);
    int64_t after = from;
    fleet_slot_t slot;
    alfup_err_t err;
    for (int i = 0; i < windows && fleet_calendar_next(fleet, after, &slot, &err) == ALFUP_OK; i++) {
        fleet_utc_text(slot.usable.start, fleet->zone, a, sizeof a);
        fleet_utc_text(slot.usable.end, fleet->zone, b, sizeof b);
        bool cut = slot.usable.start != slot.occurrence.start || slot.usable.end != slot.occurrence.end;
        fleet_utc_text(slot.occurrence.start, fleet->zone, c, sizeof c);
        fprintf(out, "  %s -> %s%s%s%s\n", a, b, cut ? " (part of the window at " : "", cut ? c : "",
                cut ? ", cut by a blackout)" : "");
        after = slot.usable.end;
    }
    for (size_t w = 0; w < fleet->wave_count; w++) {
        const fleet_wave_t *wave = &fleet->waves[w];
        fleet_duration_text(wave->soak_s, c, sizeof c);
        fprintf(out, "\nwave %zu '%s'%s: parallelism %u, soak after it %s\n", w + 1, wave->name,
                w == 0 ? " (canary)" : "", wave->parallelism, wave->soak_s ? c : "none");
        if (!plans[w].has_slot) {
            fprintf(out, "  no usable window left\n");
        } else {
            fleet_utc_text(plans[w].slot.usable.start, fleet->zone, a, sizeof a);
            fleet_utc_text(plans[w].slot.usable.end, fleet->zone, b, sizeof b);
            fleet_utc_text(plans[w].prepare_from, fleet->zone, c, sizeof c);
            fprintf(out, "  cutovers in the window %s -> %s; prepare from %s%s\n", a, b, c,
                    w ? " (once the previous wave has settled)" : "");
        }
        for (size_t k = 0; k < wave->member_count; k++) {
            const fleet_deployment_t *d = &fleet->deployments[wave->members[k]];
            fprintf(out, "    %-24s plan %s\n", d->name, d->plan_path);
        }
    }
}

static void json_time(FILE *out, const char *key, int64_t utc)
{
    char text[FLEET_TIME_TEXT_MAX];
    fleet_utc_iso(utc, text, sizeof text);
    fprintf(out, "\"%s\":\"%s\"", key, text);
}

static void json_slot(FILE *out, const fleet_slot_t *slot)
{
    fputc('{', out);
    json_time(out, "start", slot->usable.start);
    fputc(',', out);
    json_time(out, "end", slot->usable.end);
    fputc(',', out);
    json_time(out, "occurrence_start", slot->occurrence.start);
    fputc(',', out);
    json_time(out, "occurrence_end", slot->occurrence.end);
    fputc('}', out);
}

static void json_wave(const fleet_t *fleet, size_t w, const wave_plan_t *plan, FILE *out)
{
    const fleet_wave_t *wave = &fleet->waves[w];
    fputs(w ? ",{\"name\":" : "{\"name\":", out);
    json_write_string(out, wave->name);
    fprintf(out, ",\"parallelism\":%u,\"soak_s\":%lld,\"window\":", wave->parallelism, (long long)wave->soak_s);
    if (plan->has_slot) {
        json_slot(out, &plan->slot);
        fputc(',', out);
        json_time(out, "prepare_from", plan->prepare_from);
    } else {
        fputs("null,\"prepare_from\":null", out);
    }
    fputs(",\"deployments\":[", out);
    for (size_t k = 0; k < wave->member_count; k++) {
        const fleet_deployment_t *d = &fleet->deployments[wave->members[k]];
        fputs(k ? ",{\"name\":" : "{\"name\":", out);
        json_write_string(out, d->name);
        json_write_field(out, "plan", d->plan_path);
        fputs(",\"estimate_s\":null}", out);
    }
    fputs("]}", out);
}

static void show_json(const fleet_t *fleet, int64_t from, int windows, const wave_plan_t *plans, FILE *out)
{
    fputs("{\"fleet\":", out);
    json_write_string(out, fleet->name);
    json_write_field(out, "file", fleet->path);
    json_write_field(out, "timezone", fleet->zone_name);
    json_write_field(out, "rrule", fleet->rrule);
    fprintf(out, ",\"duration_s\":%lld,\"halt_failures\":%u,\"prepare_ahead_s\":%lld,\"safety_factor\":%u.%03u,",
            (long long)fleet->window.duration_s, fleet->halt_failures, (long long)fleet->prepare_ahead_s,
            fleet->safety_factor_milli / 1000, fleet->safety_factor_milli % 1000);
    fprintf(out, "\"approve_cutovers\":%s,\"estimates\":\"unknown\",", fleet->approve_cutovers ? "true" : "false");
    json_time(out, "from", from);
    fputs(",\"windows\":[", out);
    int64_t after = from;
    fleet_slot_t slot;
    alfup_err_t err;
    for (int i = 0; i < windows && fleet_calendar_next(fleet, after, &slot, &err) == ALFUP_OK; i++) {
        fputs(i ? "," : "", out);
        json_slot(out, &slot);
        after = slot.usable.end;
    }
    fputs("],\"waves\":[", out);
    for (size_t w = 0; w < fleet->wave_count; w++)
        json_wave(fleet, w, &plans[w], out);
    fputs("]}\n", out);
}

static int show(const fleet_t *fleet, const fleet_cli_args_t *args, FILE *out, FILE *err)
{
    int64_t from = (int64_t)time(NULL);
    fleet_local_t local;
    if (args->from != NULL) {
        if (fleet_local_parse(args->from, true, &local) != 0) {
            fprintf(err, "alfup-controller: --from '%s': expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]\n", args->from);
            return EXIT_FLEET_USAGE;
        }
        from = fleet_local_to_utc(&local, fleet->zone);
    }
    wave_plan_t *plans = calloc(fleet->wave_count, sizeof *plans);
    alfup_err_t e;
    if (plans == NULL || plan_waves(fleet, from, plans, &e) != ALFUP_OK) {
        fprintf(err, "%s: %s\n", fleet->path, plans ? e.msg : "out of memory");
        free(plans);
        return EXIT_FLEET_BAD;
    }
    if (args->json)
        show_json(fleet, from, args->windows, plans, out);
    else
        show_text(fleet, from, args->windows, plans, out);
    free(plans);
    return 0;
}

int fleet_cli_main(int count, char **words, FILE *out, FILE *err)
{
    fleet_cli_args_t args = {0};
    if (parse_args(count, words, &args) != 0)
        return usage(err);
    char dir[PATH_MAX];
    fleet_read_options_t options = {.check_plans = true,
                                    .workflows_dir = plan_cli_workflows_dir(args.workflows, dir, sizeof dir)};
    plan_diag_t diag = {0};
    fleet_t *fleet = fleet_load(args.path, &options, &diag);
    for (size_t i = 0; fleet == NULL && i < diag.errors.count; i++)
        fprintf(err, "%s\n", diag.errors.items[i]);
    if (fleet == NULL && diag.dropped > 0)
        fprintf(err, "%s: ... and %zu more errors\n", args.path, diag.dropped);
    plan_diag_clear(&diag);
    if (fleet == NULL)
        return EXIT_FLEET_BAD;
    int rc = 0;
    if (args.show)
        rc = show(fleet, &args, out, err);
    else
        fprintf(out, "%s: ok (%zu deployments in %zu waves, every plan checked)\n", args.path, fleet->deployment_count,
                fleet->wave_count);
    fleet_destroy(&fleet);
    return rc;
}
