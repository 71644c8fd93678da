#!/usr/bin/env python3
"""No dependency cycle between files of lib/ and app/ (issue #15; ../shared/design.md).

Two graphs, each checked for strongly connected components (Tarjan):
  calls:    per build target, file A -> file B when A's object file has an undefined symbol
            that B's object file defines (nm), i.e. A calls or reads something of B;
  includes: file A -> header B for every #include "B" that resolves inside lib/ or app/.
Exit 1 and print every cycle with the names that tie it; 0 when there is none.

usage: check_cycles.py SOURCE_ROOT BUILD_ROOT
"""
import collections
import glob
import os
import re
import subprocess
import sys


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(100000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def nm_symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRVWGS":
            defined.add(p[2])
        elif len(p) == 2 and p[0] == "U":
            undefined.add(p[1])
    return defined, undefined


def call_cycles(build):
    targets = collections.defaultdict(list)
    for obj in glob.glob(os.path.join(build, "**", "*.o"), recursive=True):
        rel = os.path.relpath(obj, build)
        if rel.startswith(("lib/", "app/")) and ".p/" in rel:
            targets[rel.split(".p/")[0]].append(obj)
    found, checked = [], 0
    for tgt, objs in sorted(targets.items()):
        syms = {o: nm_symbols(o) for o in objs}
        owner = {s: o for o, (d, _) in syms.items() for s in d}
        graph = {o: set() for o in objs}
        why = collections.defaultdict(list)
        for o, (_, und) in syms.items():
            for s in und:
                if s in owner and owner[s] != o:
                    graph[o].add(owner[s])
                    why[(o, owner[s])].append(s)
        checked += 1
        for comp in sccs(graph):
            lines = [f"calls in {tgt}: " + " ".join(os.path.basename(c) for c in comp)]
            for a in comp:
                for b in sorted(graph[a] & set(comp)):
                    lines.append(f"    {os.path.basename(a)} -> {os.path.basename(b)}: "
                                 + ", ".join(sorted(why[(a, b)])[:6]))
            found.append("\n".join(lines))
    return found, checked


def include_cycles(src):
    files = [f for d in ("lib", "app") for f in glob.glob(os.path.join(src, d, "**", "*.[ch]"),
                                                          recursive=True)]
    by_name = collections.defaultdict(list)
    for f in files:
        by_name[os.path.basename(f)].append(f)
    graph = {f: set() for f in files}
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for f in files:
        with open(f, errors="replace") as fh:
            for line in fh:
                m = inc.match(line)
                if not m:
                    continue
                local = os.path.normpath(os.path.join(os.path.dirname(f), m.group(1)))
                if local in graph:
                    graph[f].add(local)
                elif len(by_name[os.path.basename(m.group(1))]) == 1:
                    graph[f].add(by_name[os.path.basename(m.group(1))][0])
    return ["includes: " + " ".join(os.path.relpath(c, src) for c in comp) for comp in sccs(graph)], len(files)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, build = sys.argv[1], sys.argv[2]
    calls, ntargets = call_cycles(build)
    incs, nfiles = include_cycles(src)
    print(f"{ntargets} build targets (calls), {nfiles} source files (includes)")
    for c in calls + incs:
        print("CYCLE", c)
    if ntargets == 0 or nfiles == 0:
        print("nothing checked: wrong SOURCE_ROOT or BUILD_ROOT")
        return 1
    print(f"{len(calls)} call cycle(s), {len(incs)} include cycle(s)")
    return 1 if calls or incs else 0


if __name__ == "__main__":
    sys.exit(main())
