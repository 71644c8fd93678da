#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vfapp on net_af_xdp over veths whose offloads are left at the kernel's defaults
(checksum offload, TSO, GSO on), with iperf3 TCP and UDP through it (suite 'app').

Two namespaces, each with a veth to the root namespace; vfapp's ports are AF_XDP sockets on
the two root-side ends and routes between the namespaces (static neighbours both ways).
 (a) without --fix-l4-csum vfapp refuses at start-up (exit 1) naming, for each port, the
     exact command: `ip netns exec NS ethtool -K PEER tx off` (the veth peer's checksum
     offload gives partial TCP/UDP checksums; its TSO the kernel turns off itself when the
     XDP program is attached, so no `tso off` is asked for), and detaches its XDP programs;
 (0) with --no-huge vfapp refuses (net_af_xdp's UMEM would miss buffers: silent drops);
 (b) with --fix-l4-csum: the peers' TSO shows "off [fixed]" while the XDP program is attached,
     iperf3 TCP (2 s) and UDP (1 s) cross, an 8 MB TCP stream arrives byte-exact (SHA-256),
     the receivers count no checksum errors, vfapp's record says forwarded > 0 and
     l4_csum_fixed > 0;
 (c) the commands printed in (a), run as printed, are enough: vfapp then starts without
     --fix-l4-csum, iperf3 TCP crosses, and no checksum needed fixing (l4_csum_fixed 0);
 (d) a peer in a namespace with no name (a container's, held by a process): the command is
     `nsenter --net=/proc/PID/ns/net ethtool -K PEER tx off`, and run as printed it works.
Everything created is removed, also on failure. Exit 77 (skip) without root, network
namespaces, AF_XDP, DPDK's net_af_xdp or iperf3.
Usage: test_vfapp_afxdp.py VFAPP"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

from vfapp_testlib import check, failures, last_record, sh, skip

VFAPP = sys.argv[1]


if os.geteuid() != 0:
    skip("needs root (network namespaces, veths, AF_XDP)")
for tool in ("ip", "ethtool", "iperf3", "nstat", "unshare", "nsenter"):
    if shutil.which(tool) is None:
        skip("%s not installed (tests/setup.sh installs it)" % tool)
try:
    socket.socket(44, socket.SOCK_RAW).close()   # AF_XDP
except OSError as e:
    skip("the kernel has no AF_XDP sockets: %s" % e)
if not glob.glob("/usr/lib/*/dpdk/pmds-*/librte_net_af_xdp.so*") + glob.glob("/usr/lib/*/librte_net_af_xdp.so*"):
    skip("DPDK's net_af_xdp PMD (librte_net_af_xdp) is not installed")
mi = {l.split(":")[0]: l.split()[1] for l in open("/proc/meminfo") if l.startswith("Huge")}
if int(mi.get("HugePages_Free", 0)) * int(mi.get("Hugepagesize", 0)) < 192 * 1024:
    skip("fewer than 192 MB of free hugepages (%s): vfapp on net_af_xdp needs its pool in hugepages" % mi)

tag = "%x" % (os.getpid() & 0xfffff)
NS = {"a": "vfapp-x%sa" % tag, "b": "vfapp-x%sb" % tag}
ROOT = {s: "vx%s%s0" % (tag, s) for s in "abc"}     # root-side ends: vfapp's ports
PEER = {s: "vx%s%s1" % (tag, s) for s in "abc"}     # ends inside the namespaces
IP = {"a": "10.0.1.2", "b": "10.0.2.2"}
GW = {"a": "10.0.1.1", "b": "10.0.2.1"}
routes = "/tmp/vfapp-afxdp-%s.conf" % tag
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for s in ("a", "b"):
        sh("ip link del %s" % ROOT[s], ok=True)
        sh("ip netns del %s" % NS[s], ok=True)
    sh("ip link del %s" % ROOT["c"], ok=True)
    if os.path.exists(routes):
        os.unlink(routes)


def on_alarm(signum, frame):
    raise TimeoutError("test_vfapp_afxdp: over its 100 s bound")


def vfapp_cmd(extra, prefix, mem=("--in-memory",)):
    # hugepages: net_af_xdp's UMEM is one range from the pool's first buffer (see (0) below)
    eal = list(mem) + ["--no-pci", "-l", "0", "--file-prefix", "vfapp-x%s%s" % (tag, prefix),
                       "--log-level", "*:warning"]
    for i, s in enumerate(("a", "b")):
        eal += ["--vdev", "net_af_xdp%d,iface=%s,start_queue=0,queue_count=1" % (i, ROOT[s])]
    return [VFAPP] + eal + ["--", "--topology", "ports", "--workload", "fwd", "--routes", routes,
                            "--warmup", "0", "--json"] + extra


# one ICMP echo (raw socket; iputils-ping is not installed everywhere): exit 0 on its reply
PING = r"""
import os, select, socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
h = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"vfapp!"
s.sendto(h[:2] + struct.pack("!H", csum(h)) + h[4:], (sys.argv[1], 0))
while select.select([s], [], [], 0.5)[0]:
    d, a = s.recvfrom(2048); i = (d[0] & 15) * 4
    if a[0] == sys.argv[1] and d[i] == 0 and struct.unpack("!H", d[i + 4:i + 6])[0] == ident:
        sys.exit(0)
sys.exit(1)
"""


def start_vfapp(extra, prefix):
    """vfapp running until SIGINT; returns the process once ns a reaches ns b through it."""
    p = subprocess.Popen(vfapp_cmd(["--duration", "0"] + extra, prefix), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    procs.append(p)
    for _ in range(40):
        if p.poll() is not None:
            break
        if subprocess.run(["ip", "netns", "exec", NS["a"], "python3", "-c", PING, IP["b"]],
                          capture_output=True).returncode == 0:
            return p
        time.sleep(0.25)
    out, err = stop_vfapp(p)
    raise RuntimeError("vfapp %s: ns a cannot ping ns b through it: %s" % (extra, err[-800:]))


def stop_vfapp(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    return out, err


def csum_errors(ns):
    """TCP and UDP checksum errors the namespace's stack counted (nstat, absolute)."""
    out = sh("ip netns exec %s nstat -asz TcpInCsumErrors UdpInCsumErrors" % ns)
    return sum(int(l.split()[1]) for l in out.splitlines() if l.split()[:1] in (["TcpInCsumErrors"],
                                                                                  ["UdpInCsumErrors"]))


def iperf3(udp=False, secs=2, port=15301):
    """iperf3 client ns a -> server ns b; returns the parsed JSON end record (or None)."""
    srv = subprocess.Popen(["ip", "netns", "exec", NS["b"], "timeout", str(secs + 15), "iperf3", "-s", "-1",
                            "-B", IP["b"], "-p", str(port)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    procs.append(srv)
    time.sleep(0.4)
    cmd = ["ip", "netns", "exec", NS["a"], "timeout", str(secs + 12), "iperf3", "-c", IP["b"], "-p", str(port),
           "-t", str(secs), "--connect-timeout", "3000", "-J"]
    if udp:
        cmd += ["-u", "-b", "20M", "-l", "1400"]
    c = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 20)
    try:
        srv.wait(timeout=5)
    except subprocess.TimeoutExpired:
        srv.kill()   # the client gave up (no connection): the check below says so
        srv.wait()
    what = "iperf3 %s" % ("UDP" if udp else "TCP")
    if not check(c.returncode == 0, "%s: exit %d: %s" % (what, c.returncode, (c.stdout + c.stderr)[-600:])):
        return None
    try:
        return json.loads(c.stdout)["end"]
    except (ValueError, KeyError) as e:
        check(False, "%s: no JSON result: %s" % (what, e))
        return None


def tcp_sha(nbytes=8 << 20):
    """An nbytes TCP stream ns a -> ns b; the receiver's SHA-256 of what arrived must equal the
    sender's (payload not corrupted on the way)."""
    rx = subprocess.Popen(["ip", "netns", "exec", NS["b"], "timeout", "25", "python3", "-c", """
import hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 15399)); s.listen(1); s.settimeout(15)
c, _ = s.accept(); c.settimeout(15); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())
""" % IP["b"]], stdout=subprocess.PIPE, text=True)
    procs.append(rx)
    time.sleep(0.4)
    tx = subprocess.run(["ip", "netns", "exec", NS["a"], "timeout", "25", "python3", "-c", """
import hashlib, random, socket
r = random.Random(13); data = r.randbytes(%d)
s = socket.create_connection(("%s", 15399), timeout=15); s.sendall(data); s.close()
print(len(data), hashlib.sha256(data).hexdigest())
""" % (nbytes, IP["b"])], capture_output=True, text=True, timeout=30)
    out, _ = rx.communicate(timeout=30)
    check(tx.returncode == 0 and out.strip() == tx.stdout.strip() and out.startswith("%d " % nbytes),
          "TCP %d bytes: sent %r, received %r %s" % (nbytes, tx.stdout.strip(), out.strip(), tx.stderr[-300:]))


signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(100)
try:
    try:
        sh("ip netns add %s" % NS["a"])
    except RuntimeError as e:
        skip("cannot create a network namespace: %s" % e)
    sh("ip netns add %s" % NS["b"])
    for s in ("a", "b"):
        sh("ip link add %s type veth peer name %s netns %s" % (ROOT[s], PEER[s], NS[s]))
        sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1" % ROOT[s], ok=True)
        sh("ip link set %s up" % ROOT[s])
        sh("ip -n %s link set lo up" % NS[s])
        sh("ip -n %s addr add %s/24 dev %s" % (NS[s], IP[s], PEER[s]))
        sh("ip -n %s link set %s up" % (NS[s], PEER[s]))
        sh("ip -n %s route add default via %s" % (NS[s], GW[s]))
        sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent"
           % (NS[s], GW[s], open("/sys/class/net/%s/address" % ROOT[s]).read().strip(), PEER[s]))
        # the offloads this test is about are the kernel's defaults: make sure they are on
        k = sh("ip netns exec %s ethtool -k %s" % (NS[s], PEER[s]))
        check("tx-checksumming: on" in k and "tcp-segmentation-offload: on" in k
              and "generic-segmentation-offload: on" in k,
              "veth defaults: %s lacks checksum/segmentation offloads on: %s" % (PEER[s], k[:300]))
    mac = {s: sh("ip netns exec %s cat /sys/class/net/%s/address" % (NS[s], PEER[s])) for s in ("a", "b")}
    with open(routes, "w") as f:
        f.write("route 10.0.1.0/24 port 0 nexthop-mac %s\nroute 10.0.2.0/24 port 1 nexthop-mac %s\n"
                % (mac["a"], mac["b"]))

    # (0) without hugepages net_af_xdp's UMEM (one range from the pool's first buffer) misses
    # the buffers spread over 4 KB pages and the kernel would drop every frame: refused
    p = subprocess.run(vfapp_cmd(["--duration", "1"], "n", mem=("--no-huge", "-m", "512")),
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 1 and "outside the range net_af_xdp registers as its UMEM" in p.stderr
          and "--in-memory instead of --no-huge" in p.stderr,
          "(0) --no-huge on af_xdp not refused naming the fix (exit %d): %s" % (p.returncode, p.stderr[-500:]))

    # (a) offloads on, no --fix-l4-csum: refused at start-up with the exact commands
    want_cmd = {s: "ip netns exec %s ethtool -K %s tx off" % (NS[s], PEER[s]) for s in ("a", "b")}
    p = subprocess.run(vfapp_cmd(["--duration", "1"], "r"), capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and re.search(r"af_xdp.*(No such device|not supported|Operation not permitted)|"
                                       r"xsk_(umem|socket)__create.*fail", p.stderr, re.I) and \
            "ethtool" not in p.stderr:
        skip("net_af_xdp cannot create its sockets here: " + p.stderr[-400:])
    check(p.returncode == 1, "(a) offloads on, no --fix-l4-csum: exit %d, want 1 (refused)" % p.returncode)
    printed = re.findall(r"run: ((?:ip netns exec \S+ )?ethtool -K \S+(?: \S+ off)+)", p.stderr)
    for s in ("a", "b"):
        check(want_cmd[s] in printed, "(a) refusal lacks the exact command %r: %s" % (want_cmd[s], p.stderr[-900:]))
    check(sorted(printed) == sorted(want_cmd.values()),
          "(a) commands printed %s, want exactly %s" % (printed, sorted(want_cmd.values())))
    check("--fix-l4-csum" in p.stderr and "partial checksums" in p.stderr,
          "(a) refusal does not say why / does not offer --fix-l4-csum: " + p.stderr[-400:])
    check(last_record(p.stdout) is None, "(a) a refused start printed a record")
    for s in ("a", "b"):
        check(" xdp" not in sh("ip -d link show %s" % ROOT[s]),
              "(a) XDP program left attached to %s after the refusal" % ROOT[s])

    # (b) offloads still on, --fix-l4-csum: TCP and UDP through the appliance
    err0 = {s: csum_errors(NS[s]) for s in ("a", "b")}
    proc = start_vfapp(["--fix-l4-csum"], "f")
    k = sh("ip netns exec %s ethtool -k %s" % (NS["a"], PEER["a"]))
    check(re.search(r"tx-tcp-segmentation: off \[fixed\]", k) and "tx-checksumming: on" in k,
          "(b) with XDP attached the kernel should have fixed the peer's TSO off and left its checksum "
          "offload on: %s" % re.findall(r"(?:tx-checksumming|tcp-segmentation-offload): .*", k))
    end = iperf3(udp=False, secs=2)
    if end:
        bps = end["sum_received"]["bits_per_second"]
        print("(b) iperf3 TCP through vfapp (af_xdp, offloads on, --fix-l4-csum): %.3f Gbit/s, %d bytes, "
              "%s retransmits" % (bps / 1e9, end["sum_received"]["bytes"], end["sum_sent"].get("retransmits")))
        check(bps > 0 and end["sum_received"]["bytes"] > 1 << 20,
              "(b) iperf3 TCP: %s bit/s, %s bytes" % (bps, end["sum_received"]["bytes"]))
    end = iperf3(udp=True, secs=1, port=15302)
    if end:
        u = end["sum"]
        print("(b) iperf3 UDP: %d packets sent, %d lost" % (u["packets"], u["lost_packets"]))
        check(u["packets"] > 0 and u["packets"] - u["lost_packets"] > 0,
              "(b) iperf3 UDP: %s packets, %s lost" % (u["packets"], u["lost_packets"]))
    tcp_sha()
    for s in ("a", "b"):
        check(csum_errors(NS[s]) == err0[s], "(b) ns %s counted TCP/UDP checksum errors: %d -> %d"
              % (s, err0[s], csum_errors(NS[s])))
    out, err = stop_vfapp(proc)
    check(proc.returncode == 0, "(b) vfapp --fix-l4-csum exit %d: %s" % (proc.returncode, err[-500:]))
    check("warning" in err and "--fix-l4-csum completes the checksums" in err,
          "(b) no warning naming the offloads with --fix-l4-csum: " + err[-500:])
    rec = last_record(out)
    if check(rec is not None, "(b) no record: " + err[-300:]):
        fixed = rec["router"]["l4_csum_fixed"]
        print("(b) vfapp: forwarded %d, l4_csum_fixed %d" % (rec["forwarded"], fixed))
        check(rec["forwarded"] > 1000 and fixed > 1000 and fixed <= rec["forwarded"],
              "(b) forwarded %d, l4_csum_fixed %d" % (rec["forwarded"], fixed))

    # (c) the commands from (a), run as printed, are all that is needed without --fix-l4-csum
    for c in printed:
        sh(c)
    proc = start_vfapp([], "o")
    end = iperf3(udp=False, secs=1, port=15303)
    if end:
        check(end["sum_received"]["bits_per_second"] > 0, "(c) iperf3 TCP: 0 bit/s")
    out, err = stop_vfapp(proc)
    check(proc.returncode == 0 and "ethtool" not in err,
          "(c) after the printed commands vfapp still complains (exit %d): %s" % (proc.returncode, err[-500:]))
    rec = last_record(out)
    if check(rec is not None, "(c) no record"):
        check(rec["forwarded"] > 1000 and rec["router"]["l4_csum_fixed"] == 0,
              "(c) forwarded %d, l4_csum_fixed %d (want 0 fixes)" % (rec["forwarded"], rec["router"]["l4_csum_fixed"]))
    for s in ("a", "b"):
        check(csum_errors(NS[s]) == err0[s], "(c) ns %s counted TCP/UDP checksum errors" % s)

    # (d) a peer in a namespace without a name (a container's: held by a process, not in
    # /run/netns): the command enters it through that process, and works as printed
    holder = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    procs.append(holder)
    time.sleep(0.2)
    sh("ip link add %s type veth peer name %s netns %d" % (ROOT["c"], PEER["c"], holder.pid))
    sh("ip link set %s up" % ROOT["c"])
    eal_c = [a.replace("iface=%s," % ROOT["b"], "iface=%s," % ROOT["c"]) for a in vfapp_cmd(["--duration", "1"], "c")]
    p = subprocess.run(eal_c, capture_output=True, text=True, timeout=60)
    want = "nsenter --net=/proc/%d/ns/net ethtool -K %s tx off" % (holder.pid, PEER["c"])
    # (port 0's peer has had its checksum offload off since (c): nothing to say about it)
    check(p.returncode == 1 and ("run: " + want) in p.stderr and "port 0 (" not in p.stderr,
          "(d) peer in an unnamed namespace: exit %d, want 1 naming %r: %s" % (p.returncode, want, p.stderr[-700:]))
    if want in p.stderr:
        sh(want)
        k = sh("nsenter --net=/proc/%d/ns/net ethtool -k %s" % (holder.pid, PEER["c"]))
        check("tx-checksumming: off" in k, "(d) %r did not turn the peer's checksum offload off" % want)
except (RuntimeError, subprocess.TimeoutExpired, TimeoutError) as e:
    check(False, "error: %s" % e)
finally:
    signal.alarm(0)
    cleanup()

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("PASS")
