#!/usr/bin/env python3
"""bench_api_load.py -- the API's load client for tests/bench/bench-api-load.sh: SSE clients that follow
GET /api/v1/events and a steady rate of GET /api/v1/runs/RUN status reads, with an operator's certificate.

Prints "ready ..." once every stream has caught up with the journal's newest event at the start, then
loads the API until SIGTERM or SIGINT. Then it takes the journal's newest event id M, waits (up to
--drain-s) until every stream has received it, and prints one JSON line: each stream's events must be
exactly the journal's ids up to M, in order, each once (reconnects resume with Last-Event-ID), and the
status reads' count, rate, errors and latency percentiles. Exits 1 when a stream missed, repeated or
reordered an event, or a read failed.

usage: bench_api_load.py PORT CA CERT KEY JOURNAL RUN [--sse N] [--rate R] [--conns C] [--drain-s S]
"""
import argparse
import http.client
import json
import math
import signal
import sqlite3
import ssl
import sys
import threading
import time

LATE_S = 0.05  # a read that starts this much after its turn is late (the connection was still busy)


def parse_args():
    p = argparse.ArgumentParser(description="SSE clients and status reads against the alfup API")
    for name in ("port", "ca", "cert", "key", "journal", "run"):
        p.add_argument(name)
    p.add_argument("--sse", type=int, default=100, help="event streams held open")
    p.add_argument("--rate", type=float, default=200.0, help="status reads a second, in total")
    p.add_argument("--conns", type=int, default=8, help="kept-alive connections the reads share")
    p.add_argument("--drain-s", type=float, default=60.0, help="how long the streams may take to catch up at the end")
    return p.parse_args()


def journal_ids(path, up_to=None):
    """The journal's event ids (read-only connection beside the controller's), up to up_to."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
    try:
        if up_to is None:
            return [r[0] for r in db.execute("SELECT id FROM events ORDER BY id")]
        return [r[0] for r in db.execute("SELECT id FROM events WHERE id <= ? ORDER BY id", (up_to,))]
    finally:
        db.close()


def pct(values, p):
    values = sorted(values)
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)] if values else float("nan")


class Api:
    def __init__(self, args):
        self.port = int(args.port)
        self.context = ssl.create_default_context(cafile=args.ca)
        self.context.load_cert_chain(args.cert, args.key)

    def connect(self, timeout):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=timeout)


class Stream(threading.Thread):
    """One SSE client: records every id it receives; reconnects with Last-Event-ID when cut."""

    def __init__(self, api, stop):
        super().__init__(daemon=True)
        self.api, self.stop = api, stop
        self.ids, self.reconnects, self.errors = [], 0, []
        self.last = 0

    def follow(self):
        conn = self.api.connect(timeout=60)
        headers = {"Last-Event-ID": str(self.last)} if self.last else {}
        conn.request("GET", "/api/v1/events", headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError("events: HTTP %d" % resp.status)
        while not self.stop.is_set():
            line = resp.readline()
            if not line:
                raise RuntimeError("events: stream closed")
            if line.startswith(b"id: "):
                self.last = int(line[4:])
                self.ids.append(self.last)

    def run(self):
        while not self.stop.is_set():
            try:
                self.follow()
            except (OSError, RuntimeError, http.client.HTTPException, ValueError) as e:
                if self.stop.is_set():
                    return
                self.errors.append(str(e))
                self.reconnects += 1
                time.sleep(0.2)

    def verdict(self, expected):
        """'' when the ids up to max(expected) are exactly expected, else what is wrong."""
        got = [i for i in self.ids if i <= expected[-1]] if expected else []
        if got == expected:
            return ""
        disorder = sum(1 for a, b in zip(self.ids, self.ids[1:]) if b <= a)
        missing = len(set(expected) - set(got))
        return "%d events of %d, %d missing, %d out of order or repeated" % (len(got), len(expected), missing, disorder)


class Reader(threading.Thread):
    """Status reads on one kept-alive connection: its share of the rate, on a fixed schedule."""

    def __init__(self, api, stop, path, period, offset):
        super().__init__(daemon=True)
        self.api, self.stop, self.path, self.period, self.offset = api, stop, path, period, offset
        self.latencies, self.from_due, self.errors, self.late = [], [], [], 0
        self.conn = None

    def read_once(self, due):
        if self.conn is None:
            self.conn = self.api.connect(timeout=30)
        began = time.monotonic()
        self.conn.request("GET", self.path)
        resp = self.conn.getresponse()
        body = resp.read()
        took = time.monotonic() - began
        if resp.status != 200 or not body.startswith(b"{"):
            raise RuntimeError("status read: HTTP %d %r" % (resp.status, body[:80]))
        self.latencies.append(took * 1000)
        self.from_due.append((time.monotonic() - due) * 1000)

    def run(self):
        start = time.monotonic() + self.offset
        k = 0
        while not self.stop.is_set():
            due = start + k * self.period
            now = time.monotonic()
            if due > now:
                self.stop.wait(due - now)
                if self.stop.is_set():
                    return
            elif now - due > LATE_S:
                self.late += 1
            k += 1
            try:
                self.read_once(due)
            except (OSError, RuntimeError, http.client.HTTPException) as e:
                self.errors.append(str(e))
                self.conn = None


def wait_caught_up(streams, target, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(s.last >= target for s in streams):
            return True
        time.sleep(0.05)
    return False


def main():
    args = parse_args()
    api = Api(args)
    stop_streams, stop_reads, done = threading.Event(), threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    began = time.monotonic()
    streams = [Stream(api, stop_streams) for _ in range(args.sse)]
    for s in streams:
        s.start()
    at_start = journal_ids(args.journal)
    if not wait_caught_up(streams, at_start[-1] if at_start else 0, args.drain_s):
        print("streams did not catch up with event %s within %.0f s" % (at_start[-1:], args.drain_s), file=sys.stderr)
        return 1
    print("ready: %d streams at event %d after %.1f s" % (args.sse, at_start[-1] if at_start else 0,
                                                         time.monotonic() - began), flush=True)
    period = args.conns / args.rate
    readers = [Reader(api, stop_reads, "/api/v1/runs/" + args.run, period, i / args.rate) for i in range(args.conns)]
    load_began, cpu_began = time.monotonic(), time.process_time()
    for r in readers:
        r.start()
    while not done.wait(0.5):
        pass
    stop_reads.set()
    for r in readers:
        r.join(timeout=35)
    load_s = time.monotonic() - load_began
    client_cpu = 100 * (time.process_time() - cpu_began) / load_s if load_s else 0
    expected = journal_ids(args.journal)
    caught_up = wait_caught_up(streams, expected[-1] if expected else 0, args.drain_s)
    verdicts = [s.verdict(expected) for s in streams]
    stop_streams.set()
    latencies = [l for r in readers for l in r.latencies]
    read_errors = [e for r in readers for e in r.errors]
    bad = [v for v in verdicts if v]
    result = {
        "sse_clients": args.sse, "journal_events": len(expected), "last_event": expected[-1] if expected else 0,
        "streams_complete": len(verdicts) - len(bad), "streams_caught_up": caught_up,
        "stream_problems": bad[:5], "reconnects": sum(s.reconnects for s in streams),
        "events_received": sum(len(s.ids) for s in streams),
        "reads": len(latencies), "read_errors": len(read_errors), "read_error_examples": read_errors[:3],
        "load_s": round(load_s, 2), "reads_per_s": round(len(latencies) / load_s, 1) if load_s else 0,
        "late_reads": sum(r.late for r in readers),
        "read_p50_ms": round(pct(latencies, 50), 2), "read_p99_ms": round(pct(latencies, 99), 2),
        "read_max_ms": round(max(latencies), 2) if latencies else None,
        "read_from_turn_p99_ms": round(pct([d for r in readers for d in r.from_due], 99), 2),
        "client_cpu_percent": round(client_cpu),
    }
    print(json.dumps(result), flush=True)
    return 0 if not bad and caught_up and not read_errors and latencies else 1


if __name__ == "__main__":
    sys.exit(main())
