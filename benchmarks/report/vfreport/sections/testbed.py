"""The QEMU test bed's own report (tests/testbed/run-bench.sh writes DIR/testbed.md)."""
import os


def render(ctx):
    tb = ctx.res.kind("testbed")
    md = ctx.testbed_md
    if not tb and not md:
        return []
    L = ["## 9. QEMU test bed (real VT-d emulation, real VFIO)", ""]
    if md and os.path.exists(md):
        with open(md, encoding="utf-8", errors="replace") as f:
            body = f.read().strip()
        L += ["###" + ln.lstrip("#") if ln.startswith("#") else ln for ln in body.splitlines()]
    else:
        L.append(f"{len(tb)} test-bed record(s) in results.json (kind `testbed`).")
    L.append("")
    return L
