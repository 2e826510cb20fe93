/* run_status.c -- rendering runs for `status`: human tables and the --json object. */
#include "run_status.h"

#include <string.h>
#include <time.h>

#include "downtime_status.h"
#include "json_writer.h"

#define LOG_LINES_SHOWN 12

static void iso_time(uint64_t unix_ms, char *buf, size_t len)
{
    if (unix_ms == 0) {
        snprintf(buf, len, "-");
        return;
    }
    time_t seconds = (time_t)(unix_ms / 1000u);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void json_time(FILE *out, const char *key, uint64_t unix_ms)
{
    char text[32];
    fprintf(out, ",\"%s\":", key);
    if (unix_ms == 0) {
        fputs("null", out);
        return;
    }
    iso_time(unix_ms, text, sizeof text);
    json_write_string(out, text);
}

static double percent_of(const msg_step_progress_t *p)
{
    if (p->bytes_total)
        return 100.0 * (double)p->bytes_done / (double)p->bytes_total;
    if (p->files_total)
        return 100.0 * (double)p->files_done / (double)p->files_total;
    return -1.0;
}

static double elapsed_s(const run_step_t *s)
{
    uint64_t end = s->finished_unix_ms ? s->finished_unix_ms : alfup_now_unix_ms();
    return s->sent_unix_ms && end > s->sent_unix_ms ? (double)(end - s->sent_unix_ms) / 1000.0 : 0.0;
}

static void json_progress(FILE *out, const run_step_t *s)
{
    const msg_step_progress_t *p = &s->progress;
    double seconds = elapsed_s(s);
    fprintf(out, ",\"progress\":{\"bytes_done\":%llu,\"bytes_total\":%llu,\"files_done\":%llu,\"files_total\":%llu,"
                 "\"percent\":%.1f,\"bytes_per_s\":%.0f,\"message\":",
            (unsigned long long)p->bytes_done, (unsigned long long)p->bytes_total, (unsigned long long)p->files_done,
            (unsigned long long)p->files_total, percent_of(p) < 0 ? 0.0 : percent_of(p),
            seconds > 0 ? (double)p->bytes_done / seconds : 0.0);
    json_write_string(out, p->message ? p->message : "");
    fputc('}', out);
}

static void json_step(FILE *out, const planned_step_t *p, const run_step_t *s)
{
    fputs("{\"id\":", out);
    json_write_string(out, p->id);
    json_write_field(out, "step", p->workflow_step);
    json_write_field(out, "title", p->title);
    json_write_field(out, "procedure", p->procedure);
    json_write_field(out, "host", p->agent);
    json_write_field(out, "kind", p->kind);
    fprintf(out, ",\"stage\":%u,\"attempt\":%u,\"state\":", p->stage, s->attempt);
    json_write_string(out, run_step_state_name(s->state));
    fputs(",\"gate\":", out);
    if (p->gate)
        json_write_string(out, p->gate);
    else
        fputs("null", out);
    json_time(out, "started", s->sent_unix_ms);
    json_time(out, "finished", s->finished_unix_ms);
    fprintf(out, ",\"started_unix_ms\":%llu,\"finished_unix_ms\":%llu,\"elapsed_s\":%.1f",
            (unsigned long long)s->sent_unix_ms, (unsigned long long)s->finished_unix_ms, elapsed_s(s));
    json_progress(out, s);
    json_write_field(out, "error", s->result.error ? s->result.error : "");
    fputs(",\"log\":", out);
    json_write_string_array(out, &s->result.log_lines);
    fputs(",\"outputs\":", out);
    json_write_kv_object(out, &s->result.outputs);
    fputc('}', out);
}

static void json_phases(const run_t *run, FILE *out)
{
    fputs(",\"phases\":[", out);
    const char *phase = NULL;
    for (size_t i = 0; i < run->plan->step_count; i++) {
        const planned_step_t *p = &run->plan->steps[i];
        if (phase == NULL || strcmp(phase, p->phase) != 0) {
            fputs(phase ? "]}," : "", out);
            fputs("{\"id\":", out);
            json_write_string(out, p->phase);
            json_write_field(out, "title", p->phase_title);
            fputs(",\"steps\":[", out);
            phase = p->phase;
        } else {
            fputc(',', out);
        }
        json_step(out, p, &run->steps[i]);
    }
    fputs(phase ? "]}]" : "]", out);
}

static void print_json(const run_t *run, FILE *out)
{
    fputs("{\"run\":", out);
    json_write_string(out, run->id);
    json_write_field(out, "deployment", run->plan->deployment);
    json_write_field(out, "workflow", run->plan->workflow);
    json_write_field(out, "plan", run->plan->plan_path);
    json_write_field(out, "state", run_state_name(run->state));
    fprintf(out, ",\"paused\":%s,\"waiting_for\":", run->paused ? "true" : "false");
    if (run->waiting_gate)
        json_write_string(out, run->waiting_gate);
    else
        fputs("null", out);
    json_write_field(out, "error", run->error ? run->error : "");
    json_time(out, "created", run->created_unix_ms);
    json_time(out, "finished", run->finished_unix_ms);
    fputs(",\"failed_step\":", out);
    if (run->failed_index >= 0 && (size_t)run->failed_index < run->plan->step_count)
        json_step(out, &run->plan->steps[run->failed_index], &run->steps[run->failed_index]);
    else
        fputs("null", out);
    json_phases(run, out);
    downtime_status_json(run, (int64_t)alfup_now_unix_ms(), out);
    fprintf(out, ",\"rollback\":{\"rounds\":%u,\"steps\":[", run->rollback_round);
    for (size_t i = 0; run->rollback_round && i < run->plan->rollback_count; i++) {
        fputs(i ? "," : "", out);
        json_step(out, &run->plan->rollback[i], &run->rollback_steps[i]);
    }
    fputs("]}}\n", out);
}

static const char *state_mark(run_step_state_t state)
{
    switch (state) {
    case RSTEP_SUCCEEDED: return "ok  ";
    case RSTEP_SENT: return "run ";
    case RSTEP_FAILED: return "FAIL";
    case RSTEP_SKIPPED: return "skip";
    case RSTEP_CANCELLED: return "cncl";
    default: return "    ";
    }
}

static void human_bytes(double bytes, char *buf, size_t len)
{
    const char *units[] = {"B", "KB", "MB", "GB", "TB"};
    size_t unit = 0;
    while (bytes >= 1000.0 && unit + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1000.0;
        unit++;
    }
    snprintf(buf, len, "%.1f %s", bytes, units[unit]);
}

static void human_step(FILE *out, const planned_step_t *p, const run_step_t *s)
{
    char detail[160] = "";
    if (s->state == RSTEP_SENT && percent_of(&s->progress) >= 0) {
        char rate[32];
        double seconds = elapsed_s(s);
        human_bytes(seconds > 0 ? (double)s->progress.bytes_done / seconds : 0, rate, sizeof rate);
        snprintf(detail, sizeof detail, "%5.1f%%  %s/s", percent_of(&s->progress), rate);
    } else if (s->state == RSTEP_SENT && s->progress.message && s->progress.message[0]) {
        snprintf(detail, sizeof detail, "%.60s", s->progress.message);
    } else if (s->state == RSTEP_PENDING && p->gate) {
        snprintf(detail, sizeof detail, "needs approval: %s", p->gate);
    }
    fprintf(out, "  [%s] %-8s %-30s %-10s %-22s %7.1fs  %s\n", state_mark(s->state), p->procedure, p->workflow_step,
            p->agent, p->kind, elapsed_s(s), detail);
    if (s->state == RSTEP_FAILED && s->result.error && s->result.error[0])
        fprintf(out, "         error: %s\n", s->result.error);
    if (s->state == RSTEP_FAILED) {
        size_t from = s->result.log_lines.count > LOG_LINES_SHOWN ? s->result.log_lines.count - LOG_LINES_SHOWN : 0;
        for (size_t i = from; i < s->result.log_lines.count; i++)
            fprintf(out, "         | %s\n", s->result.log_lines.items[i]);
    }
}

static void print_human(const run_t *run, FILE *out)
{
    char created[32];
    iso_time(run->created_unix_ms, created, sizeof created);
    fprintf(out, "run %s  deployment %s  state %s%s\n", run->id, run->plan->deployment, run_state_name(run->state),
            run->paused ? " (paused: the controller restarted; continue with 'resume')" : "");
    fprintf(out, "plan %s  workflow %s  started %s\n", run->plan->plan_path, run->plan->workflow, created);
    if (run->waiting_gate)
        fprintf(out, "waiting for approval: alfup-controller approve %s %s\n", run->id, run->waiting_gate);
    const char *phase = NULL;
    for (size_t i = 0; i < run->plan->step_count; i++) {
        const planned_step_t *p = &run->plan->steps[i];
        if (phase == NULL || strcmp(phase, p->phase) != 0) {
            fprintf(out, "\nphase %s: %s\n", p->phase, p->phase_title);
            phase = p->phase;
        }
        human_step(out, p, &run->steps[i]);
    }
    if (run->rollback_round) {
        fprintf(out, "\nrollback (round %u): stop the new services, start the old ones\n", run->rollback_round);
        for (size_t i = 0; i < run->plan->rollback_count; i++)
            human_step(out, &run->plan->rollback[i], &run->rollback_steps[i]);
    }
    downtime_status_human(run, (int64_t)alfup_now_unix_ms(), out);
    if (run->error)
        fprintf(out, "\nerror: %s\n", run->error);
}

void run_status_print(const run_t *run, int json, FILE *out)
{
    if (json)
        print_json(run, out);
    else
        print_human(run, out);
}

void run_status_list(const run_t *runs, int json, FILE *out)
{
    fputs(json ? "[" : "", out);
    for (const run_t *run = runs; run; run = run->next) {
        char created[32];
        iso_time(run->created_unix_ms, created, sizeof created);
        if (json) {
            fputs(run == runs ? "{\"run\":" : ",{\"run\":", out);
            json_write_string(out, run->id);
            json_write_field(out, "deployment", run->plan->deployment);
            json_write_field(out, "state", run_state_name(run->state));
            json_time(out, "created", run->created_unix_ms);
            fputc('}', out);
        } else {
            fprintf(out, "%-28s %-20s %-13s %s\n", run->id, run->plan->deployment, run_state_name(run->state), created);
        }
    }
    fputs(json ? "]\n" : "", out);
}
