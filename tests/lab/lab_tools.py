#!/usr/bin/env python3
"""lab_tools.py -- data and digests for the lab: content seeding, tree digests, content comparison, zips.

  lab_tools.py content DIR_ROOT COUNT SEED ROWS_TSV
      writes COUNT files DIR_ROOT/contentstore/yyyy/mm/dd/hh/mm/UUID.bin of mixed sizes (a tenth of
      them orphaned: their rows get an orphan_time) and COUNT//20 files in contentstore.deleted;
      ROWS_TSV gets one "store://... SIZE ORPHAN_TIME" row per contentstore file (COPY text format).
  lab_tools.py index DIR COUNT SEED      a few Solr index files (random bytes) in DIR
  lab_tools.py tree-digest DIR [--exclude REL]...
      one sha-256 over every entry below DIR: relative path, type, permission bits, size, mtime
      (files and symlinks) and content (files) or target (symlinks); prints "DIGEST ENTRIES"
  lab_tools.py content-compare OLD_DIR_ROOT NEW_DIR_ROOT
      sha-256 of every file under contentstore and contentstore.deleted of both; prints
      "files N bytes B same S differ D missing M extra E" and exits 1 unless all are the same
  lab_tools.py zip TOPDIR ZIPFILE        TOPDIR (and its top folder name) into ZIPFILE, modes kept
"""
import hashlib
import os
import random
import stat
import sys
import uuid
import zipfile


def content(dir_root, count, seed, rows_tsv):
    rng = random.Random(seed)
    store = os.path.join(dir_root, "contentstore")
    deleted = os.path.join(dir_root, "contentstore.deleted")
    words = b"alfresco content lab upgrade document version node store repository solr index ".split()

    def body(size):
        if rng.random() < 0.5:  # text compresses, random bytes do not: both kinds for zstd
            out = bytearray()
            while len(out) < size:
                out += rng.choice(words) + b" "
            return bytes(out[:size])
        return rng.randbytes(size)

    def size_of():
        r = rng.random()
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

    with open(rows_tsv, "w") as rows:
        for _ in range(count):
            rel, path = place(store)
            size = size_of()
            with open(path, "wb") as f:
                f.write(body(size))
            orphan = str(1700000000000 + rng.randint(0, 10**9)) if rng.random() < 0.1 else "\\N"
            rows.write("store://%s\t%d\t%s\n" % (rel, size, orphan))
    for _ in range(max(1, count // 20)):
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


def make_zip(topdir, zip_path):
    base = os.path.dirname(os.path.abspath(topdir))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, st in walk(topdir):
            path = os.path.join(topdir, rel)
            z.write(path, os.path.relpath(path, base))


def main(argv):
    if len(argv) >= 5 and argv[1] == "content":
        content(argv[2], int(argv[3]), int(argv[4]), argv[5])
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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
