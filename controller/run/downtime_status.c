/* downtime_status.c -- printing the downtime estimate and the measured downtime (downtime_status.h). */
#include "downtime_status.h"

#include <inttypes.h>

#include "json_writer.h"

#define MS_PER_S 1000.0
#define PERCENT 100.0

static double secs(int64_t ms)
{
    return (double)ms / MS_PER_S;
}

void downtime_estimate_print(const downtime_estimate_t *est, const char *label, const char *indent, FILE *out)
{
    if (est->known)
        fprintf(out, "%s%s: %.1f s = stop %.1f s + max(database %.1f s, delta %.1f s) + start %.1f s\n", indent, label,
                secs(est->total_ms), secs(est->stop_ms), secs(est->db_copy_ms), secs(est->delta_ms),
                secs(est->start_ms));
    else
        fprintf(out,
                "%s%s: unknown (an input is not measured); the parts so far: stop %.1f s, database %.1f s, "
                "delta %.1f s, start %.1f s\n",
                indent, label, secs(est->stop_ms), secs(est->db_copy_ms), secs(est->delta_ms), secs(est->start_ms));
    fprintf(out, "%s  basis: %s\n", indent, est->basis);
}

static void json_ms_or_null(FILE *out, const char *key, uint64_t ms)
{
    if (ms)
        fprintf(out, ",\"%s\":%" PRIu64, key, ms);
    else
        fprintf(out, ",\"%s\":null", key);
}

void downtime_estimate_json(const downtime_estimate_t *est, FILE *out)
{
    fprintf(out,
            "{\"known\":%s,\"total_ms\":%" PRId64 ",\"stop_ms\":%" PRId64 ",\"db_copy_ms\":%" PRId64
            ",\"delta_ms\":%" PRId64 ",\"start_ms\":%" PRId64,
            est->known ? "true" : "false", est->total_ms, est->stop_ms, est->db_copy_ms, est->delta_ms, est->start_ms);
    json_ms_or_null(out, "counted_unix_ms", est->counted_unix_ms);
    json_ms_or_null(out, "at_unix_ms", est->at_unix_ms);
    json_write_field(out, "basis", est->basis);
    fputc('}', out);
}

static int stops_something(const run_t *run)
{
    return run->plan != NULL && run->plan->rollback_from < run->plan->step_count;
}

void downtime_status_json(const run_t *run, int64_t now_unix_ms, FILE *out)
{
    fputs(",\"downtime\":{\"estimate\":", out);
    if (stops_something(run)) {
        downtime_estimate_t est;
        downtime_estimate_at(run, now_unix_ms, &est);
        downtime_estimate_json(&est, out);
        fputs(",\"estimate_at_count\":", out);
        downtime_estimate_for_run(run, &est);
        downtime_estimate_json(&est, out);
    } else {
        fputs("null,\"estimate_at_count\":null", out);
    }
    int64_t actual = 0;
    if (downtime_actual_for_run(run, &actual) == 0)
        fprintf(out, ",\"actual_ms\":%" PRId64 "}", actual);
    else
        fputs(",\"actual_ms\":null}", out);
}

void downtime_status_human(const run_t *run, int64_t now_unix_ms, FILE *out)
{
    if (!stops_something(run))
        return;
    downtime_estimate_t est, counted;
    downtime_estimate_at(run, now_unix_ms, &est);
    downtime_estimate_for_run(run, &counted);
    fputc('\n', out);
    downtime_estimate_print(&est, "estimated downtime", "", out);
    if (est.at_unix_ms && counted.known && counted.total_ms != est.total_ms)
        fprintf(out, "  as counted, before the extrapolation: %.1f s\n", secs(counted.total_ms));
    int64_t actual = 0;
    if (downtime_actual_for_run(run, &actual) != 0)
        return;
    fprintf(out, "measured downtime: %.1f s", secs(actual));
    if (est.known && est.total_ms > 0)
        fprintf(out, " (the estimate %+.0f%% against it)",
                PERCENT * (double)(est.total_ms - actual) / (double)(actual > 0 ? actual : 1));
    fputc('\n', out);
}
