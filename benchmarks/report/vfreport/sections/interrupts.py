"""Interrupt delivery for low-load UDP_RR (records of kind "irq"): which parts of the chain
are executed and which are modeled, latency and VMM work per transaction by rx mode and
interrupt-remapping setting, and the device's interrupt-spoofing attacks (issue #17)."""
from ..model import fmt, get, median, table

MODES = ("poll", "posted", "remapped")


def _ir(r):
    """Interrupt-remapping setting of a record: "on", "off" or "-" (no device MSI-X)."""
    if r.get("irq_chain") != "vfdev-msix":
        return "-"
    return "on" if r.get("intremap", True) else "off"


def _chain_text(res, irq):
    executed = any(r.get("irq_chain") == "vfdev-msix" for r in irq)
    if not executed:
        return ("**The device's MSI-X chain did not run in this run** (records without "
                "`irq_chain` = `vfdev-msix`): the endpoints raised the interrupt directly.")
    return ("**Executed:** the software VF (lib/vfdev) writes its MSI-X message on RX/TX "
            "completion; the soft VT-d's interrupt remapping (lib/iova) validates the source-id "
            "and decodes the IRTE; a posted IRTE posts into the vCPU's Posted Interrupt "
            "Descriptor (lib/irqpost: PIR bit, ON, then a notification to a running vCPU or a "
            "wake-up of a halted one), a remapped IRTE hands the interrupt to the VMM thread, "
            "which injects it; the vCPU is a real thread that blocks when it halts, as KVM "
            "blocks a halted vCPU. **Modeled:** the cost of a VM exit and entry, `vmexit_ns` = "
            f"{res.params.get('vmexit_ns', '?')} ns, added where the chain exits to the VMM. "
            "No hardware posts an interrupt here (no VT-d with PI on this machine).")


def render(ctx):
    res = ctx.res
    irq = res.kind("irq")
    L = ["### Interrupt delivery (low-load UDP_RR)", ""]
    if not irq:
        return L + ["_Not measured in this run (the section was skipped)._", ""]
    rate = next((r.get("udp_rr", {}).get("rate_limit") for r in irq if isinstance(r.get("udp_rr"), dict)), None)
    L.append(_chain_text(res, irq) + f" Request rate limit {rate if rate is not None else '?'}/s "
             "(`--rate`), wire " + ", ".join(sorted({r.get("wire") or "?" for r in irq})) + ".")
    L.append("")
    groups = {}
    for r in irq:
        groups.setdefault((r.get("rx_mode"), _ir(r)), []).append(r)
    order = sorted(groups, key=lambda k: (MODES.index(k[0]) if k[0] in MODES else 9, str(k[0]), k[1]))
    rows = []
    for mode, ir in order:
        rs = groups[(mode, ir)]
        rows.append([mode, ir, fmt(median([r.get("transactions_per_s") for r in rs]), 0),
                     fmt(median([get(r, "latency_us.p50") for r in rs]), 1),
                     fmt(median([get(r, "latency_us.p99") for r in rs]), 1),
                     fmt(median([r.get("vmm_wakeups_per_transaction") for r in rs]), 3),
                     fmt(median([r.get("vmm_injections_per_transaction") for r in rs]), 3), len(rs)])
    L.append(table(["rx mode", "interrupt remapping", "trans/s", "p50 µs", "p99 µs",
                    "VMM wake-ups / transaction", "VMM injections / transaction", "runs"], rows))
    L.append("")
    att = {}
    for r in irq:
        for k, v in (r.get("irq_attacks") or {}).items():
            if isinstance(v, dict):
                a = att.setdefault((_ir(r), k), [0, 0, 0])
                a[0] += v.get("attempts") or 0
                a[1] += v.get("blocked") or 0
                a[2] += v.get("delivered") or 0
    if att:
        L.append("Interrupt spoofing by the device (`--attack on`): a forged source-id, another "
                 "device's handle, an out-of-range handle, a compatibility-format message, a posted "
                 "vector aimed at another vCPU. With interrupt remapping on, every attempt must be "
                 "blocked; `off` models a host without interrupt remapping (`--intremap off`).")
        L.append("")
        L.append(table(["interrupt remapping", "attack", "attempts", "blocked", "delivered"],
                       [[ir, k, v[0], v[1], v[2]] for (ir, k), v in sorted(att.items())]))
        L.append("")
    if "irq" in ctx.plots:
        L += [f"![latency by rx mode]({ctx.plots['irq']})", ""]
    return L
