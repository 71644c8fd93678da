"""Real TCP/UDP stacks (iperf3, sockperf) through the appliance."""
from ..model import fmt, get, median, table


def render(ctx):
    res, pub = ctx.res, ctx.pub
    L = ["## 7. Real TCP/UDP stacks through the appliance", ""]
    rp = res.kind("realpeer")
    if not rp:
        L += ["_No real-peer records in this run._", ""]
        return L
    L.append("Two network namespaces; each has a veth whose other end is in the root namespace. "
             "`direct` joins the namespaces by one veth pair; `vfapp-*` runs the appliance "
             "(`--topology ports`, strategy/mode as listed) on the two root-side ends "
             "(offloads off on all four ends, promiscuous). iperf3 TCP and sockperf UDP ping-pong, "
             "bounded by `timeout`. Latency is sockperf's one-way estimate (RTT/2).")
    L.append("")
    keys = []
    for r in rp:
        k = (r.get("path", "?"), r.get("strategy", ""), r.get("mode", ""))
        if k not in keys:
            keys.append(k)
    rows = []
    for k in keys:
        rs = [r for r in rp if (r.get("path", "?"), r.get("strategy", ""), r.get("mode", "")) == k]
        tcp = [r for r in rs if r.get("tool") == "iperf3"]
        udp = [r for r in rs if r.get("tool") == "sockperf"]
        rows.append([k[0], "/".join(x for x in k[1:] if x) or "-",
                     fmt(median([r.get("goodput_gbps") for r in tcp]), 2) if tcp else "n/a",
                     fmt(median([r.get("retransmits") for r in tcp]), 0) if tcp else "",
                     fmt(median([r.get("transactions_per_s") for r in udp]), 0) if udp else "n/a",
                     " / ".join(fmt(median([get(r, f"latency_us.{q}") for r in udp]), 1)
                                for q in ("p50", "p99", "p999")) if udp else ""])
    L.append(table(["path", "strategy/mode", "iperf3 TCP Gbit/s", "retransmits", "sockperf trans/s",
                    "p50 / p99 / p99.9 µs"], rows))
    bh = (pub or {}).get("baselines_here", {})
    if bh:
        x = bh.get("testpmd_middle_af_xdp_io", {})
        v = bh.get("veth_one_cpu_offloads_off", {})
        L += ["", f"Reference (baselines-here.md): testpmd io in the middle on net_af_xdp {x.get('tcp_gbps')} "
                  f"Gbit/s TCP, {x.get('udp_rr_tps')} trans/s; veth one CPU, offloads off "
                  f"{v.get('tcp_gbps')} Gbit/s."]
    L.append("")
    return L
