#!/usr/bin/python3
"""Resolve the golang-* dependency closure of some Debian packages.

Reads `apt-cache dumpavail` output on stdin and prints one line per package in
the closure: "<package> <version> <file name apt-get download writes>".

Only Depends and Pre-Depends of golang-* packages are followed: the build needs
Go sources and the Go toolchain, while C libraries come from the host. For each
dependency group the first alternative that the archive has wins, either as a
real package or through Provides. Build-Depends given with --build-depends are
added as roots, except the ones marked <!nocheck> (needed by tests only).

Usage: sid_closure.py [--build-depends "A, B (>= 1) | C"] ROOT...
"""

import argparse
import re
import sys


def parse_stanzas(text):
    """Yield each stanza of a Debian control file as a dict of field: value."""
    for block in text.split("\n\n"):
        fields = {}
        name = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and name:
                fields[name] += "\n" + line
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        if "Package" in fields:
            yield fields


def dependency_groups(field):
    """Split a Depends-like field into lists of alternative package names."""
    groups = []
    for group in field.split(","):
        if "<!nocheck>" in group:
            continue
        group = re.sub(r"\([^)]*\)|\[[^]]*\]|<[^>]*>", "", group)
        alternatives = [a.strip().split(":")[0] for a in group.split("|")]
        alternatives = [a for a in alternatives if a]
        if alternatives:
            groups.append(alternatives)
    return groups


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-depends", default="")
    parser.add_argument("roots", nargs="+")
    args = parser.parse_args()

    packages = {}
    providers = {}
    for stanza in parse_stanzas(sys.stdin.read()):
        name = stanza["Package"]
        if name in packages:
            continue  # keep the first stanza; with one suite each package appears once
        packages[name] = stanza
        for provided in dependency_groups(stanza.get("Provides", "")):
            providers.setdefault(provided[0], name)

    def resolve(alternatives):
        for candidate in alternatives:
            if candidate in packages:
                return candidate
            if candidate in providers:
                return providers[candidate]
        return None

    queue = []
    seen = set()

    def visit(name):
        if name.startswith("golang-") and not name.endswith("-doc") and name not in seen:
            seen.add(name)
            queue.append(name)

    for group in dependency_groups(args.build_depends):
        chosen = resolve(group)
        if chosen:
            visit(chosen)
    for root in args.roots:
        visit(root)

    missing = []
    while queue:
        name = queue.pop()
        stanza = packages.get(name)
        if stanza is None:
            missing.append(name)
            continue
        depends = stanza.get("Depends", "") + "," + stanza.get("Pre-Depends", "")
        for group in dependency_groups(depends):
            chosen = resolve(group)
            if chosen is None:
                print(f"unresolved dependency of {name}: {' | '.join(group)}", file=sys.stderr)
            else:
                visit(chosen)

    if missing:
        print("packages not in the archive: " + " ".join(sorted(missing)), file=sys.stderr)
        return 1

    for name in sorted(seen):
        stanza = packages[name]
        version = stanza["Version"]
        arch = stanza.get("Architecture", "all")
        # apt-get download names the file <package>_<version with ':' as %3a>_<arch>.deb
        print(f"{name} {version} {name}_{version.replace(':', '%3a')}_{arch}.deb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
