#!/usr/bin/env python3
"""check_layers.py -- fails when a source file includes a header from a folder it may not depend on.

The tree is layered (docs/architecture.md): common/ at the bottom, proto/ on it, then the agent and
the controller, which never include each other. Inside them, each folder may include only from the
folders listed for it below. Headers are included by bare name, so every header name must be unique;
each include is resolved to the folder that holds the header of that name.
"""
import os
import re
import sys

# folder -> the folders its files may include from (besides its own)
ALLOWED = {
    "common": [],
    "proto": ["common"],
    "agent/config": ["common"],
    "agent/steps/shared": ["agent/config", "proto", "common"],
    "agent/steps/archive": ["agent/steps/shared", "agent/config", "proto", "common"],
    "agent/steps/db": ["agent/steps/shared", "agent/config", "proto", "common"],
    "agent/steps/service": ["agent/steps/shared", "agent/config", "proto", "common"],
    "agent/steps/layout": ["agent/steps/archive", "agent/steps/shared", "agent/config", "proto", "common"],
    "agent/steps": ["agent/steps/archive", "agent/steps/db", "agent/steps/service", "agent/steps/layout",
                    "agent/steps/shared", "agent/config", "proto", "common"],
    "agent": ["agent/steps", "agent/steps/archive", "agent/steps/db", "agent/steps/service",
              "agent/steps/layout", "agent/steps/shared", "agent/config", "proto", "common"],
    "controller/plan": ["common"],
    "controller/fleet": ["controller/plan", "common"],
    "controller/run": ["controller/plan", "proto", "common"],
    "controller/fleetrun": ["controller/fleet", "controller/run", "controller/plan", "proto", "common"],
    "controller/api": ["proto", "common"],
    "controller/webhook": ["controller/run", "controller/plan", "proto", "common"],
    "controller/daemon": ["controller/fleetrun", "controller/fleet", "controller/webhook", "controller/api", "controller/run",
                          "controller/plan", "proto", "common"],
    "controller/cli": ["controller/fleetrun", "controller/fleet", "controller/daemon", "controller/webhook", "controller/api", "controller/run", "controller/plan",
                       "proto", "common"],
}
GENERATED = {"alfup.pb-c.h": "proto"}  # built into the build tree from proto/alfup.proto
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(top):
    for folder in ALLOWED:
        path = os.path.join(top, folder)
        if not os.path.isdir(path):
            yield None, folder, None
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith((".c", ".h")):
                yield os.path.join(path, name), folder, name


def main():
    top = os.environ.get("ALFUP_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    errors, owner, files = [], dict(GENERATED), []
    for path, folder, name in sources(top):
        if path is None:
            errors.append(f"{folder}/: folder missing (tests/style/check_layers.py lists it)")
            continue
        files.append((path, folder))
        if name.endswith(".h"):
            if name in owner:
                errors.append(f"{folder}/{name}: header name also in {owner[name]}/ (names must be unique)")
            owner[name] = folder
    for path, folder in files:
        with open(path, encoding="utf-8") as source:
            text = source.read()
        for match in INCLUDE.finditer(text):
            header = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            where = os.path.relpath(path, top)
            target = owner.get(os.path.basename(header))
            if target is None:
                errors.append(f"{where}:{line}: includes \"{header}\", which no layered folder holds")
            elif target != folder and target not in ALLOWED[folder]:
                errors.append(f"{where}:{line}: includes \"{header}\" from {target}/, "
                              f"which {folder}/ may not depend on")
    for error in errors:
        print(error)
    if errors:
        print(f"layers: {len(errors)} include(s) point the wrong way (see docs/architecture.md)")
        return 1
    print(f"layers: {len(files)} files in {len(ALLOWED)} folders include only downwards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
