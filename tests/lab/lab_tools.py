#!/usr/bin/env python3
"""lab_tools.py -- data and digests for the lab: content seeding, tree digests, content comparison, zips.

  lab_tools.py content DIR_ROOT COUNT SEED ROWS_TSV [--size-mb MB]
      writes COUNT files DIR_ROOT/contentstore/yyyy/mm/dd/hh/mm/UUID.bin of mixed sizes (a tenth of
      them orphaned: their rows get an orphan_time) and COUNT//20 files in contentstore.deleted;
      ROWS_TSV gets one "store://... SIZE ORPHAN_TIME" row per contentstore file (COPY text format).
      With --size-mb, files are written until the contentstore holds MB MiB (COUNT is then a minimum),
      their sizes mixed as gen-contentstore's (85% 1-64 KB, 12% 64 KB-1 MB, 2.5% 1-8 MB, 0.5% 8-40 MB)
  lab_tools.py probe-poll URL OUT
      polls URL every 200 ms (a probe starts each 0.2 s tick, or at once when the previous one took
      longer) until OUT.stop exists or OUT's folder is gone; "UNIX_TIME CODE LATENCY_MS" lines into OUT
  lab_tools.py probe-stats POLLS FROM TO
      the probes of POLLS (probe-poll's file) that began in [FROM, TO) (unix seconds): prints
      "probes N p50_ms A p95_ms B max_ms C failed F" (nearest-rank percentiles)
  lab_tools.py index DIR COUNT SEED      a few Solr index files (random bytes) in DIR
  lab_tools.py tree-digest DIR [--exclude REL]...
      one sha-256 over every entry below DIR: relative path, type, permission bits, size, mtime
      (files and symlinks) and content (files) or target (symlinks); prints "DIGEST ENTRIES"
  lab_tools.py content-compare OLD_DIR_ROOT NEW_DIR_ROOT
      sha-256 of every file under contentstore and contentstore.deleted of both; prints
      "files N bytes B same S differ D missing M extra E" and exits 1 unless all are the same
  lab_tools.py zip TOPDIR ZIPFILE        TOPDIR (and its top folder name) into ZIPFILE, modes kept
  lab_tools.py writer DIR_ROOT RECORD --add N --orphan M [--seed S] [--interval-ms T] [--duration-s D]
                      -- PSQL_ARGV...
      production writing while an upgrade prepares (lab-writes.sh): N content files added to
      DIR_ROOT/contentstore (half into existing date folders, half into the current-date folder
      yyyy/M/d/H/m), each written and fsynced, then its alf_content_url and alf_content_data rows
      committed (PSQL_ARGV + -c SQL: psql of the old database); and M orphans cleaned as Alfresco's
      cleaner does: the row of an orphaned URL (orphan_time set) deleted, then its file moved to
      contentstore.deleted/ under the same relative path. Actions interleaved, T ms apart (default
      50), at most D seconds (default 600); SIGTERM stops it after the action in progress. RECORD gets
      one JSON line per action ("add": rel, size, sha256, where; "orphan": rel) and a last line
      {"op": "done", "added", "moved", "reason": "count"|"duration"|"stopped"|"no-orphans"}.
  lab_tools.py content-rows DIR_ROOT < ROWS
      ROWS: "URL<TAB>SIZE<TAB>ORPHAN_TIME" lines (psql -A -F tab of alf_content_url); prints
      "rows R live L orphaned O unreferenced U" and exits 1 unless every live row's file is in
      DIR_ROOT/contentstore with its size (as the repository's content check wants) and no
      contentstore file lacks a row
"""
import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
import uuid
import zipfile


def content(dir_root, count, seed, rows_tsv, size_mb=0):
    rng = random.Random(seed)
    text_block = b" ".join(rng.choice(b"alfresco content lab upgrade document version node store".split())
                           for _ in range(16384))
    store = os.path.join(dir_root, "contentstore")
    deleted = os.path.join(dir_root, "contentstore.deleted")
    words = b"alfresco content lab upgrade document version node store repository solr index ".split()

    def body(size):
        if size_mb and rng.random() < 0.4:  # large stores: text from one block, at an offset
            at = rng.randrange(len(text_block))
            return ((text_block[at:] + text_block) * (size // len(text_block) + 1))[:size]
        if size_mb:
            return rng.randbytes(size)
        if rng.random() < 0.5:  # text compresses, random bytes do not: both kinds for zstd
            out = bytearray()
            while len(out) < size:
                out += rng.choice(words) + b" "
            return bytes(out[:size])
        return rng.randbytes(size)

    def size_of():
        r = rng.random()
        if size_mb:  # gen-contentstore's mix (docs/benchmarks.md, "The generated data")
            if r < 0.85:
                return rng.randint(1024, 65536)
            if r < 0.97:
                return rng.randint(65537, 1 << 20)
            if r < 0.995:
                return rng.randint((1 << 20) + 1, 8 << 20)
            return rng.randint((8 << 20) + 1, 40 << 20)
        if r < 0.05:
            return 0
        if r < 0.55:
            return rng.randint(1, 2048)
        if r < 0.90:
            return rng.randint(2049, 16384)
        if r < 0.98:
            return rng.randint(16385, 65536)
        return rng.randint(65537, 262144)

    def place(root):
        rel = "%04d/%d/%d/%d/%d/%s.bin" % (rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28),
                                           rng.randint(0, 23), rng.randint(0, 59),
                                           uuid.UUID(int=rng.getrandbits(128), version=4))
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return rel, path

    written, made = 0, 0
    with open(rows_tsv, "w") as rows:
        while made < count or written < size_mb << 20:
            made += 1
            rel, path = place(store)
            size = size_of()
            written += size
            with open(path, "wb") as f:
                f.write(body(size))
            orphan = str(1700000000000 + rng.randint(0, 10**9)) if rng.random() < 0.1 else "\\N"
            rows.write("store://%s\t%d\t%s\n" % (rel, size, orphan))
    for _ in range(max(1, made // 20)):
        _, path = place(deleted)
        with open(path, "wb") as f:
            f.write(body(size_of()))


def index(folder, count, seed):
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        for ext in ("cfs", "cfe", "si"):
            with open(os.path.join(folder, "_%d.%s" % (i, ext)), "wb") as f:
                f.write(rng.randbytes(rng.randint(100, 20000)))


def walk(top, excludes=()):
    """Yields (rel, lstat) for every entry below top, sorted, without the excluded subtrees."""
    for root, dirs, files in os.walk(top):
        dirs.sort()
        rel_root = os.path.relpath(root, top)
        kept = []
        for d in dirs:
            rel = os.path.normpath(os.path.join(rel_root, d))
            if rel in excludes:
                continue
            kept.append(d)
            yield rel, os.lstat(os.path.join(root, d))
        dirs[:] = kept
        for name in sorted(files):
            rel = os.path.normpath(os.path.join(rel_root, name))
            if rel not in excludes:
                yield rel, os.lstat(os.path.join(root, name))


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(top, excludes):
    total = hashlib.sha256()
    entries = 0
    for rel, st in walk(top, set(excludes)):
        path = os.path.join(top, rel)
        mode = "%o" % stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            line = "d %s %s" % (mode, rel)
        elif stat.S_ISLNK(st.st_mode):
            line = "l %s %s %d %s" % (mode, rel, st.st_mtime_ns, os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            line = "f %s %s %d %d %s" % (mode, rel, st.st_size, st.st_mtime_ns, file_sha(path))
        else:
            line = "o %s %s" % (mode, rel)
        total.update(line.encode("utf-8", "surrogateescape") + b"\n")
        entries += 1
    print(total.hexdigest(), entries)


def content_digests(dir_root):
    out = {}
    for sub in ("contentstore", "contentstore.deleted"):
        top = os.path.join(dir_root, sub)
        for rel, st in walk(top):
            if stat.S_ISREG(st.st_mode):
                out[os.path.join(sub, rel)] = (st.st_size, file_sha(os.path.join(top, rel)))
    return out


def content_compare(old_root, new_root):
    old, new = content_digests(old_root), content_digests(new_root)
    same = sum(1 for k, v in old.items() if new.get(k) == v)
    differ = sum(1 for k, v in old.items() if k in new and new[k] != v)
    missing = sum(1 for k in old if k not in new)
    extra = sum(1 for k in new if k not in old)
    print("files %d bytes %d same %d differ %d missing %d extra %d"
          % (len(old), sum(v[0] for v in old.values()), same, differ, missing, extra))
    for k in sorted(k for k in old if new.get(k) != old[k])[:10]:
        print("  differs or missing: %s" % k, file=sys.stderr)
    return 0 if same == len(old) and extra == 0 and len(old) > 0 else 1


class Writer:
    """The lab's production writes: content added, orphans cleaned; each action recorded."""

    def __init__(self, dir_root, record, seed, psql):
        self.store = os.path.join(dir_root, "contentstore")
        self.deleted = os.path.join(dir_root, "contentstore.deleted")
        self.record = open(record, "a", buffering=1)
        self.rng = random.Random(seed)
        self.psql = psql
        self.stop = False
        self.added = self.moved = 0
        self.old_folders = sorted(os.path.relpath(root, self.store) for root, dirs, files in os.walk(self.store)
                                  if not dirs and files)

    def sql(self, text):
        subprocess.run(self.psql + ["-c", text], check=True, stdout=subprocess.DEVNULL)

    def log(self, entry):
        self.record.write(json.dumps(entry, sort_keys=True) + "\n")

    def folder(self, old):
        if old and self.old_folders:
            return self.rng.choice(self.old_folders), "old-folder"
        t = time.localtime()
        return "%d/%d/%d/%d/%d" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min), "new-folder"

    def add(self, old):
        folder, where = self.folder(old)
        rel = "%s/%s.bin" % (folder, uuid.UUID(int=self.rng.getrandbits(128), version=4))
        data = self.rng.randbytes(self.rng.randint(0, 8192))
        path = os.path.join(self.store, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "xb") as f:  # content first, then the row: a row never names a missing file
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self.sql("begin; insert into alf_content_url (content_url, content_size) values ('store://%s', %d);"
                 " insert into alf_content_data (content_url_id, content_mimetype) select id,"
                 " 'application/octet-stream' from alf_content_url where content_url = 'store://%s'; commit"
                 % (rel, len(data), rel))
        self.added += 1
        self.log({"op": "add", "rel": "contentstore/" + rel, "size": len(data),
                  "sha256": hashlib.sha256(data).hexdigest(), "where": where})

    def orphan(self):
        out = subprocess.run(self.psql + ["-c", "select content_url from alf_content_url where orphan_time is not null"
                                          " order by id limit 1"], check=True, capture_output=True, text=True)
        url = out.stdout.strip()
        if not url.startswith("store://"):
            return False
        rel = url[len("store://"):]
        self.sql("begin; delete from alf_content_data where content_url_id in (select id from alf_content_url"
                 " where content_url = '%s'); delete from alf_content_url where content_url = '%s'; commit"
                 % (url, url))
        target = os.path.join(self.deleted, rel)  # the row is gone: now the file moves, as the cleaner does
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(os.path.join(self.store, rel), target)
        self.moved += 1
        self.log({"op": "orphan", "rel": rel, "from": "contentstore/" + rel, "to": "contentstore.deleted/" + rel})
        return True

    def run(self, adds, orphans, interval_s, duration_s):
        actions = ["add-old", "add-new"] * (adds // 2) + ["add-old"] * (adds % 2) + ["orphan"] * orphans
        self.rng.shuffle(actions)
        deadline, reason = time.monotonic() + duration_s, "count"
        for action in actions:
            if self.stop or time.monotonic() >= deadline:
                reason = "stopped" if self.stop else "duration"
                break
            if action == "orphan":
                if not self.orphan():
                    reason = "no-orphans"
                    break
            else:
                self.add(action == "add-old")
            time.sleep(interval_s)
        self.log({"op": "done", "added": self.added, "moved": self.moved, "reason": reason})


def probe_poll(url, out):
    import urllib.error
    import urllib.request
    stop = out + ".stop"
    tick = time.monotonic()
    while os.path.isdir(os.path.dirname(os.path.abspath(out))) and not os.path.exists(stop):
        at, began = time.time(), time.monotonic()
        try:
            code = urllib.request.urlopen(url, timeout=3).status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception:
            code = "000"
        took = (time.monotonic() - began) * 1000.0
        with open(out, "a") as f:
            f.write("%.3f %s %.1f\n" % (at, code, took))
        tick += 0.2
        time.sleep(max(0.0, tick - time.monotonic()))
    return 0


def probe_stats(polls, start, end):
    took, failed = [], 0
    with open(polls) as f:
        for line in f:
            at, code, ms = line.split()
            if start <= float(at) < end:
                took.append(float(ms))
                failed += code != "200"
    took.sort()
    rank = lambda p: took[max(0, -(-len(took) * p // 100) - 1)] if took else 0.0
    print("probes %d p50_ms %.1f p95_ms %.1f max_ms %.1f failed %d" % (
        len(took), rank(50), rank(95), took[-1] if took else 0.0, failed))
    return 0 if took else 1


def option(argv, name, default):
    return argv[argv.index(name) + 1] if name in argv else default


def writer(argv):
    if "--" not in argv or len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    opts, psql = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    w = Writer(opts[2], opts[3], int(option(opts, "--seed", "1")), psql)

    def on_term(signum, frame):
        w.stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    w.run(int(option(opts, "--add", "0")), int(option(opts, "--orphan", "0")),
          int(option(opts, "--interval-ms", "50")) / 1000.0, float(option(opts, "--duration-s", "600")))
    return 0


def content_rows(dir_root):
    store = os.path.join(dir_root, "contentstore")
    rows = live = orphaned = bad = 0
    referenced = set()
    for line in sys.stdin:
        url, size, orphan = line.rstrip("\n").split("\t")
        rows += 1
        rel = url[len("store://"):]
        referenced.add(rel)
        if orphan:
            orphaned += 1
            continue
        live += 1
        path = os.path.join(store, rel)
        if not url.startswith("store://") or not os.path.isfile(path) or os.path.getsize(path) != int(size):
            bad += 1
            print("  live row without its file (or size differs): %s" % url, file=sys.stderr)
    files = {rel for rel, st in walk(store) if stat.S_ISREG(st.st_mode)}
    unreferenced = files - referenced
    for rel in sorted(unreferenced)[:10]:
        print("  file without a row: contentstore/%s" % rel, file=sys.stderr)
    print("rows %d live %d orphaned %d unreferenced %d" % (rows, live, orphaned, len(unreferenced)))
    return 0 if bad == 0 and not unreferenced else 1


def make_zip(topdir, zip_path):
    base = os.path.dirname(os.path.abspath(topdir))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, st in walk(topdir):
            path = os.path.join(topdir, rel)
            z.write(path, os.path.relpath(path, base))


def main(argv):
    if len(argv) >= 6 and argv[1] == "content":
        content(argv[2], int(argv[3]), int(argv[4]), argv[5], int(option(argv, "--size-mb", "0")))
        return 0
    if len(argv) == 5 and argv[1] == "index":
        index(argv[2], int(argv[3]), int(argv[4]))
        return 0
    if len(argv) >= 3 and argv[1] == "tree-digest":
        excludes = [argv[i + 1] for i in range(3, len(argv) - 1) if argv[i] == "--exclude"]
        tree_digest(argv[2], excludes)
        return 0
    if len(argv) == 4 and argv[1] == "content-compare":
        return content_compare(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "zip":
        make_zip(argv[2], argv[3])
        return 0
    if len(argv) >= 2 and argv[1] == "writer":
        return writer(argv)
    if len(argv) == 4 and argv[1] == "probe-poll":
        return probe_poll(argv[2], argv[3])
    if len(argv) == 5 and argv[1] == "probe-stats":
        return probe_stats(argv[2], float(argv[3]), float(argv[4]))
    if len(argv) == 3 and argv[1] == "content-rows":
        return content_rows(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
