# SPDX-License-Identifier: BSD-3-Clause
"""What the vfapp test scripts (test_vfapp.py, test_vfapp_afxdp.py) share: recorded checks,
the skip exit, bounded shell commands and vfapp's JSON record. A module of its own because
the scripts run their cases when they are loaded."""
import json
import subprocess
import sys

failures = []


def check(cond, what):
    """Record a failed assertion (the script goes on, and exits 1 at the end)."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def skip(why):
    """Exit 77: meson's 'skipped'."""
    print("SKIP:", why)
    sys.exit(77)


def sh(cmd, ok=False, timeout=60):
    """Run a shell command (bounded by timeout s); its stdout, stripped. A failure raises
    RuntimeError unless ok."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0 and not ok:
        raise RuntimeError("%s: rc %d: %s" % (cmd, p.returncode, p.stderr.strip()))
    return p.stdout.strip()


def last_record(out):
    """vfapp's JSON record: the last line of its stdout that starts with '{' (None: none)."""
    rec = None
    for line in out.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
    return rec
