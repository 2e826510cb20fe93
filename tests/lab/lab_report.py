#!/usr/bin/env python3
"""lab_report.py -- the quick start's REPORT from `alfup-controller status --json` and the lab's checks.

  lab_report.py STATUS_JSON CHECKS_FILE [MODE [PROBE_LATENCY]]

STATUS_JSON: the run's status (docs/runs.md). CHECKS_FILE: one "name: result" line per check the quick
start made itself (content sha-256, table row counts, old system unchanged, probes). Prints the report;
exits 0 when the run succeeded and no check line says it failed (contains CHANGED, DIFFER, MISMATCH, NOT).
Step outputs whose key repeats (backup-tree's per-tree values) are kept as lists. PROBE_LATENCY: the old
repository's probe latency during the base copy and idle (tests/lab/lab-probe.sh), shown with the base copy
when the file exists.
"""
import datetime
import json
import os
import sys

WIDTH = 78


def keep_repeats(pairs):
    out = {}
    for key, value in pairs:
        if key in out and isinstance(value, str):
            prev = out[key]
            out[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[key] = value
    return out


def when(text):
    if not text:
        return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def step_start(step):
    ms = step.get("started_unix_ms")
    return ms / 1000.0 if ms else (when(step.get("started")).timestamp() if step.get("started") else None)


def step_end(step):
    ms = step.get("finished_unix_ms")
    if ms:
        return ms / 1000.0
    start = step_start(step)
    return start + float(step.get("elapsed_s") or 0) if start is not None and step.get("finished") else None


def size(n):
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024


def busy(steps):
    """Seconds the steps kept the run busy: per stage the longest step, summed."""
    stages = {}
    for s in steps:
        if s.get("state") != "pending":
            stages[s.get("stage")] = max(stages.get(s.get("stage"), 0.0), float(s.get("elapsed_s") or 0))
    return sum(stages.values())


def hhmmss(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S") if t else "-"


def phases_table(status):
    lines = ["Phase             steps  state        started   time"]
    every = [(p["id"], p.get("title", ""), p["steps"]) for p in status["phases"]]
    rb = status.get("rollback") or {}
    if rb.get("steps"):
        every.append(("rollback", "Stop the new services, start the old ones", rb["steps"]))
    total = 0.0
    for pid, title, steps in every:
        done = [s for s in steps if s.get("state") != "pending"]
        states = sorted({s["state"] for s in steps})
        state = states[0] if len(states) == 1 else next(
            (w for w in ("failed", "running", "cancelled", "skipped") if w in states), ",".join(states))
        starts = [step_start(s) for s in done if step_start(s)]
        total += busy(steps)
        lines.append("  %-15s %5d  %-11.11s  %-8s %5.1f s" % (
            pid, len(steps), state, hhmmss(min(starts)) if starts else "-", busy(steps)))
    lines.append("  %-15s %5s  %-11s  %-8s %5.1f s" % ("total", "", "", "", total))
    lines.append("  (time: per stage the longest step, summed; steps of a stage run in parallel)")
    return lines


def find(status, step_name, host=None):
    for p in status["phases"]:
        for s in p["steps"]:
            if s.get("step") == step_name and (host is None or s.get("host") == host):
                return s
    return None


def downtime(status):
    stop = find(status, "stop-old")
    ready = find(status, "verify-restored") or find(status, "start-restored")
    if not stop or not step_start(stop):
        return ["Production downtime: none (the old repository was not stopped)"]
    if ready and ready.get("state") == "succeeded" and step_end(ready):
        seconds = step_end(ready) - step_start(stop)
        crit = 0.0
        crit_steps = []
        for p in status["phases"]:
            crit_steps += [s for s in p["steps"] if s.get("state") == "succeeded"]
        first = next(i for i, s in enumerate(crit_steps) if s is stop)
        last = next(i for i, s in enumerate(crit_steps) if s is ready)
        crit = busy(crit_steps[first:last + 1])
        return ["Production downtime: %.1f s of steps (old repository stopping at %s, stop-old@%s,"
                % (crit, hhmmss(step_start(stop)), stop["host"]),
                "  until the new repository answered its readiness probe, %s; wall clock %.1f s)"
                % (ready["id"], seconds)]
    back = [x for x in (status.get("rollback") or {}).get("steps", []) if x.get("step") == "rb-start-old"]
    if back and back[-1].get("state") == "succeeded" and step_end(back[-1]):
        return ["Production downtime: about %d s: the new repository never became ready; the OLD one answered "
                "again at %s (%s)" % (round(step_end(back[-1]) - step_start(stop)), hhmmss(step_end(back[-1])),
                                      back[-1]["id"])]
    return ["Production downtime: the new repository never became ready, nor the old one again"]


def stage_of(status, step):
    """The steps of step's stage (same phase, same stage number)."""
    for p in status["phases"]:
        if any(s is step for s in p["steps"]):
            return [s for s in p["steps"] if s.get("stage") == step.get("stage")]
    return [step]


def prestaged_parts(status):
    """For the prestaged workflow: what the downtime consisted of, and the base copy done while serving."""
    stop, copy, ready = find(status, "stop-old"), find(status, "copy-database"), find(status, "verify-restored")
    if not stop or not copy or stop.get("state") != "succeeded":
        return []
    lines = ["  consisting of (per stage the longest step):",
             "    stop                 %6.1f s  (stop-old, stop-old-solr)" % busy(stage_of(status, stop))]
    o = copy.get("outputs") or {}
    if copy.get("state") == "succeeded":
        how = ("template copy of %s, strategy %s" % (size(o.get("bytes", 0)), o.get("strategy"))
               if o.get("method", "template") == "template" else
               "dump and restore into server %s, dump %s" % (o.get("server"), size(o.get("dump_bytes", 0))))
        lines.append("    database copy        %6.1f s  (copy-database: %s, %s tables, %s rows)" % (
            float(copy.get("elapsed_s") or 0), how, o.get("tables"), o.get("rows")))
    for d in [s for s in stage_of(status, copy) if s.get("kind") == "backup-delta" and s.get("state") == "succeeded"]:
        o = d.get("outputs") or {}
        lines.append("    %-20s %6.1f s  (%s files added, %s, %s removed; %s of %s folders re-listed)" % (
            d["step"], float(d.get("elapsed_s") or 0), o.get("files_added"), size(o.get("bytes_added", 0)),
            o.get("files_removed"), o.get("folders_relisted"), o.get("folders_total")))
    if ready and ready.get("state") == "succeeded":
        steps = [s for p in status["phases"] for s in p["steps"] if p["id"] == "cutover"]
        first = next((s for s in steps if s.get("step") == "start-restored-solr"), None)
        if first:
            start = [s for s in steps if s.get("stage", 0) >= first.get("stage", 0)]
            lines.append("    start                %6.1f s  (start-restored-solr .. verify-restored)" % busy(start))
    base = [s for p in status["phases"] if p["id"] == "base-copy" for s in p["steps"]]
    bc = find(status, "base-content")
    if bc and bc.get("state") == "succeeded":
        o = bc.get("outputs") or {}
        lines.append("Base copy while production served: base-copy phase %.1f s; base-content %.1f s, %s files, %s "
                     "online (%s files recent, copied again by the delta)" % (
                         busy(base), float(bc.get("elapsed_s") or 0), o.get("files"), size(o.get("bytes", 0)),
                         o.get("files_recent")))
    return lines


def measured_parts(status):
    """The cutover's parts as they ran (per stage the longest step), for the estimate's table; None when absent."""
    stop, copy = find(status, "stop-old"), find(status, "copy-database")
    if not stop or stop.get("state") != "succeeded" or not copy or copy.get("state") != "succeeded":
        return None
    deltas = [s for s in stage_of(status, copy) if s.get("kind") == "backup-delta"]
    steps = [s for p in status["phases"] if p["id"] == "cutover" for s in p["steps"]]
    first = next((s for s in steps if s.get("kind") == "service-start"), None)
    start = [s for s in steps if first and s.get("stage", 0) >= first.get("stage", 0)]
    return {"stop": busy(stage_of(status, stop)), "db": float(copy.get("elapsed_s") or 0),
            "delta": max([float(s.get("elapsed_s") or 0) for s in deltas] or [0.0]), "start": busy(start)}


def estimate_lines(status):
    """The downtime estimate the controller computed before the cutover, against the measured downtime."""
    d = status.get("downtime") or {}
    est = d.get("estimate")
    if not est:
        return []
    total = "%.1f s" % (est["total_ms"] / 1000.0) if est["known"] else "unknown"
    lines = ["Downtime estimate (computed before the cutover from this run's measurements): %s" % total]
    measured = measured_parts(status)
    actual = d.get("actual_ms")
    rows = [("stop", "stop_ms", "stop"), ("database copy", "db_copy_ms", "db"), ("delta", "delta_ms", "delta"),
            ("start", "start_ms", "start")]
    lines.append("  %-14s %10s %10s" % ("part", "estimated", "measured"))
    for name, key, part in rows:
        lines.append("  %-14s %8.1f s %s" % (name, est[key] / 1000.0,
                                             "%8.1f s" % measured[part] if measured else "       -"))
    lines.append("  %-14s %10s %s" % ("total", total, "%8.1f s" % (actual / 1000.0) if actual is not None else "       -"))
    if actual and est["known"]:
        lines.append("  estimate against the measured downtime: %+.0f%% (target: within 25%%)"
                     % (100.0 * (est["total_ms"] - actual) / actual))
    lines.append("  basis: %s" % est["basis"])
    return lines


def rehearsal(status):
    """The rehearsal (issue 12): what it measured while production served, and the cutover's start beside it."""
    db, content, start = find(status, "rehearse-db"), find(status, "rehearse-content"), find(status, "rehearse-start")
    if not start:
        return []
    if start.get("state") != "succeeded":
        return ["Rehearsal: %s (production was not stopped)%s" % (
            start.get("state"), ": " + start["error"] if start.get("error") else "")]
    o, d, c = start.get("outputs") or {}, (db or {}).get("outputs") or {}, (content or {}).get("outputs") or {}
    lines = ["Rehearsal while production served (the upgrade on a copy): rehearse phase %.1f s" % busy(
        [s for p in status["phases"] if p["id"] == "rehearse" for s in p["steps"]]),
             "    database copy        %s in %.1f s (pg_dump -Fd -j + pg_restore -j, production connected)" % (
                 size(d.get("db_bytes", 0)), int(d.get("copy_ms", 0)) / 1000.0),
             "    contentstore         %s files hard-linked from the base copy, %s copied" % (
                 c.get("files_linked"), c.get("files_copied")),
             "    start to ready       %.1f s, of which the schema update %.1f s (%s patches)" % (
                 int(o.get("start_to_ready_ms", 0)) / 1000.0, int(o.get("schema_update_ms", 0)) / 1000.0,
                 o.get("patches_applied"))]
    cut = find(status, "start-restored")
    if cut and cut.get("state") == "succeeded":
        lines.append("    the cutover's start  %.1f s (start-restored, ready after %.1f s)" % (
            float(cut.get("elapsed_s") or 0), int((cut.get("outputs") or {}).get("ready_after_ms", 0)) / 1000.0))
    return lines


def probe_latency(path):
    """The two lines of lab_probe_compare, side by side: p50/p95/max with the base copy running and idle."""
    if not path or not os.path.exists(path):
        return []
    rows = []
    for line in open(path):
        head, _, stats = line.rstrip("\n").partition(": probes ")
        f = ("probes " + stats).split()
        v = dict(zip(f[0::2], f[1::2]))
        rows.append((head.replace("old repository probe, ", ""), v))
    if len(rows) != 2:
        return []
    lines = ["Old repository's readiness probe (every 200 ms), latency in ms:",
             "  %-40s %6s %8s %8s %8s %6s" % ("", "probes", "p50", "p95", "max", "failed")]
    for head, v in rows:
        lines.append("  %-40s %6s %8s %8s %8s %6s" % (head, v.get("probes"), v.get("p50_ms"), v.get("p95_ms"),
                                                      v.get("max_ms"), v.get("failed")))
    return lines


def as_list(v):
    return v if isinstance(v, list) else ([] if v is None else [v])


def transfers(status):
    lines = ["Backed up"]
    total = 0
    for p in status["phases"]:
        for s in p["steps"]:
            o = s.get("outputs") or {}
            if s.get("state") != "succeeded":
                continue
            if s["kind"] == "backup-tree":
                archive = o.get("archive", "")
                on_disk = os.path.getsize(archive) if archive and os.path.exists(archive) else None
                total += int(o.get("bytes", 0))
                lines.append("  %-28s %6s files %11s -> %s%s" % (
                    s["id"], o.get("files"), size(o.get("bytes", 0)), os.path.basename(archive),
                    " (%s)" % size(on_disk) if on_disk is not None else ""))
            elif s["kind"] == "backup-delta":
                total += int(o.get("bytes_added", 0))
                lines.append("  %-28s %6s files %11s -> %s (delta of the base; %s removed)" % (
                    s["id"], o.get("files_added"), size(o.get("bytes_added", 0)),
                    os.path.basename(o.get("archive", "")), o.get("files_removed")))
            elif s["kind"] == "db-backup":
                total += int(o.get("dump_bytes", 0))
                lines.append("  %-28s database %s: %s tables, %s rows, schema %s -> dump %s" % (
                    s["id"], o.get("database"), o.get("tables"), o.get("total_rows"), o.get("schema"),
                    size(o.get("dump_bytes", 0))))
    lines.append("  total: %s (%d bytes)" % (size(total), total))
    lines.append("Restored")
    total = 0
    for p in status["phases"]:
        for s in p["steps"]:
            o = s.get("outputs") or {}
            if s.get("state") != "succeeded":
                continue
            if s["kind"] == "restore-tree":
                total += int(o.get("bytes", 0))
                lines.append("  %-28s %6s files %11s -> %s" % (s["id"], o.get("files"), size(o.get("bytes", 0)),
                                                             o.get("target")))
            elif s["kind"] == "backup-delta" and o.get("target"):
                lines.append("  %-28s %6s files written, %s removed -> %s" % (
                    s["id"], o.get("target_files_written"), o.get("target_removed"), o.get("target")))
            elif s["kind"] == "db-copy":
                lines.append("  %-28s database %s (owner %s) copied from %s: %s tables, %s rows, schema %s%s" % (
                    s["id"], o.get("database"), o.get("owner"), o.get("source"), o.get("tables"), o.get("rows"),
                    o.get("schema"), REHEARSAL_COPY if p["id"] == "rehearse" else ""))
            elif s["kind"] == "db-restore":
                lines.append("  %-28s database %s (owner %s): %s tables, %s rows, schema %s" % (
                    s["id"], o.get("database"), o.get("owner"), o.get("tables"), o.get("total_rows"), o.get("schema")))
    lines.append("  total: %s (%d bytes of files)" % (size(total), total))
    return lines


REHEARSAL_COPY = " (the rehearsal's copy, timing the template copy; dropped)"


def verification(status, checks):
    lines = ["Verification"]
    verified = [s for p in status["phases"] for s in p["steps"] if s["kind"] == "verify-archive"]
    ok = [s for s in verified if s.get("state") == "succeeded"]
    lines.append("  archives verified against their manifests and sha-256: %d of %d (%s files, %s)" % (
        len(ok), len(verified), sum(int((s.get("outputs") or {}).get("files", 0)) for s in ok),
        size(sum(int((s.get("outputs") or {}).get("bytes", 0)) for s in ok))))
    for s in (x for p in status["phases"] for x in p["steps"] if x["kind"] == "db-restore"):
        o = s.get("outputs") or {}
        if s.get("state") == "succeeded":
            lines.append("  database restore: every table's row count and the schema number (%s) checked against "
                         "the dump's facts: %s tables, %s rows" % (o.get("schema"), o.get("tables"), o.get("total_rows")))
    for p in status["phases"]:
        for s in (x for x in p["steps"] if x["kind"] == "db-copy" and x.get("state") == "succeeded"):
            o = s.get("outputs") or {}
            lines.append("  database copy: every table's row count and the schema number (%s) checked against %s: "
                         "%s tables, %s rows" % (o.get("schema"), "its source" + REHEARSAL_COPY if p["id"] == "rehearse"
                                                 else "the stopped old database", o.get("tables"), o.get("rows")))
    for line in checks:
        lines.append("  " + line)
    return lines


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        status = json.load(f, object_pairs_hook=keep_repeats)
    with open(argv[2]) as f:
        checks = [l.rstrip("\n") for l in f if l.strip()]
    mode = argv[3] if len(argv) > 3 else ""
    probes = argv[4] if len(argv) > 4 else ""
    out = ["=" * WIDTH, "alfup quick start -- REPORT", "=" * WIDTH,
           "Run %s  deployment %s  workflow %s" % (status["run"], status.get("deployment"), status.get("workflow")),
           "State: %s%s" % (status["state"], "   (lab: %s)" % mode if mode else ""),
           "Started %s  finished %s" % (status.get("created"), status.get("finished"))]
    if status.get("error"):
        out.append("Error: %s" % status["error"])
    out += [""] + phases_table(status) + [""] + downtime(status) + prestaged_parts(status) + probe_latency(probes)
    out += ([""] + rehearsal(status)) if rehearsal(status) else []
    out += [""] + estimate_lines(status) + [""] + transfers(status)
    out += [""] + verification(status, checks) + ["=" * WIDTH]
    print("\n".join(out))
    bad = [c for c in checks if any(w in c for w in ("CHANGED", "DIFFER", "MISMATCH", "NOT ", "FAILED"))]
    return 0 if status["state"] == "succeeded" and not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
