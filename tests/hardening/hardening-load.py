#!/usr/bin/env python3
"""hardening-load.py: vfmgrd under load, and 1000 assign/release cycles without leaks.

Environment (meson): VFMGR, VFMGRD, FAKESYS, MKFIXTURE, INVARIANTS, NODE_XML.
HARD_LOAD_SECONDS (default 60), HARD_LOAD_CLIENTS (100), HARD_CYCLES (1000).

Phase 1: HARD_LOAD_CLIENTS concurrent CLI clients (vfmgr --socket, no --local) for
HARD_LOAD_SECONDS: 12 "owner" workers, one per inactive domain vm0..vm11, loop
assign <vm> / release <vm>; the others loop over status, list, show, plan, check. The
configuration has 12 VFs for the 12 domains, so every assign must succeed. Asserts: every
request answered (a response with the expected exit code; "lost" = exit 4, a timeout, or a
malformed answer), no VF held by two workers at once (intervals between assign's answer and
release's request never overlap for one VF), at every status sample no VF owned twice and no
domain owning two VFs, final state passes invariants.py (journal empty, nothing owned, VF
counts); vfmgrd's fds and threads back to the warm-up values, VmRSS growth bounded.
Phase 1b: 300 of each read request on one connection: VmRSS flat (<= 64 kB), fds unchanged.
Phase 2: HARD_CYCLES assign/release cycles of one domain over one connection (the
persistent-XML path of the libvirt test driver): all succeed, fds equal, RSS growth bounded.
Prints the figures.
"""
import json, os, random, shutil, signal, socket, subprocess, sys, tempfile, threading, time

E = os.environ
VFMGR, VFMGRD, FAKESYS = E["VFMGR"], E["VFMGRD"], E["FAKESYS"]
SECONDS = float(E.get("HARD_LOAD_SECONDS", "60"))
NCLIENTS = int(E.get("HARD_LOAD_CLIENTS", "100"))
NCYCLES = int(E.get("HARD_CYCLES", "1000"))
DOMAINS = ["vm%d" % i for i in range(12)]
PFS = {"0000:3b:00.0": 6, "0000:86:00.0": 6}
RSS_TOL_KB = int(E.get("HARD_RSS_TOL_KB", "4096"))

# State and fixture on tmpfs when there is one: the figures are about vfmgrd (leaks,
# serialisation), not about the fsync latency of the disk under /tmp (~90 ms per cycle here).
T = tempfile.mkdtemp(prefix="vfmgr-hard-load.", dir=E.get("HARD_TMPDIR") or
                     ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None))
os.chmod(T, 0o755)
FX, ST, CONF, SOCK = T + "/root", T + "/state", T + "/vfmgr.conf", T + "/vfmgrd.sock"
URI = "test://" + E["NODE_XML"]
fails = []
daemon = None


def fail(msg):
    print("FAIL: " + msg, flush=True)
    fails.append(msg)


def ok(msg):
    print("ok: " + msg, flush=True)


def stats(pid):
    st = open("/proc/%d/status" % pid).read()
    rss = int([l for l in st.splitlines() if l.startswith("VmRSS:")][0].split()[1])
    thr = int([l for l in st.splitlines() if l.startswith("Threads:")][0].split()[1])
    return rss, len(os.listdir("/proc/%d/fd" % pid)), thr


def settle(pid, want_threads=1, timeout=10):
    """Wait until the daemon's client threads are gone; return its stats."""
    end = time.time() + timeout
    while True:
        s = stats(pid)
        if s[2] <= want_threads or time.time() > end:
            return s
        time.sleep(0.1)


def cli(*args, timeout=30):
    """Run the CLI through the daemon: (exit code or 'timeout', stdout, stderr)."""
    try:
        p = subprocess.run([VFMGR, "--socket", SOCK] + list(args), capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


# ---------------------------------------------------------------- setup
def setup():
    global daemon
    print("temporary directory (fixture, state): %s" % T)
    subprocess.run(["sh", E["MKFIXTURE"], FX], check=True, stdout=subprocess.DEVNULL,
                   env={k: v for k, v in E.items() if k != "LD_PRELOAD"})
    open(FX + "/sys/devices/system/node/node0/cpulist", "w").write("0-3\n")
    open(FX + "/sys/devices/system/node/node1/cpulist", "w").write("4-7\n")
    with open(CONF, "w") as f:
        f.write("[global]\nnuma-policy = preferred\n")
        for pf, n in PFS.items():
            f.write('[pf "%s"]\nnumvfs = %d\n' % (pf, n))
    env = dict(E, VFMGR_FAKE_ROOT=FX, LD_PRELOAD=FAKESYS)
    env.pop("NOTIFY_SOCKET", None)
    daemon = subprocess.Popen([VFMGRD, "--config", CONF, "--socket", SOCK, "--socket-mode", "0600",
                               "--root", FX, "--state-dir", ST, "--connect", URI],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(T + "/vfmgrd.log", "w"))
    for _ in range(150):
        if os.path.exists(SOCK):
            break
        time.sleep(0.1)
    if not os.path.exists(SOCK):
        fail("vfmgrd did not come up: " + open(T + "/vfmgrd.log").read()[-2000:])
        sys.exit(1)


def status():
    rc, out, err = cli("--json", "status")
    if rc != 0:
        return None, "status exit %s: %s" % (rc, err.strip())
    return json.loads(out), None


def check_sample(s):
    """No VF owned twice, no domain owning two VFs, owners only our domains."""
    bdfs, doms = [], []
    for p in s["pfs"]:
        for v in p.get("vfs", []):
            if v.get("owner"):
                bdfs.append(v["bdf"])
                doms.append(v["owner"])
    errs = []
    if len(bdfs) != len(set(bdfs)):
        errs.append("a VF owned twice: %s" % bdfs)
    if len(doms) != len(set(doms)):
        errs.append("a domain owns two VFs: %s" % sorted(doms))
    if set(doms) - set(DOMAINS):
        errs.append("unknown owners %s" % (set(doms) - set(DOMAINS)))
    return errs


# ---------------------------------------------------------------- phase 1
class Counters:
    def __init__(self):
        self.mu = threading.Lock()
        self.sent = self.answered = self.lost = self.busy_retry = 0
        self.by_op = {}
        self.unexpected = []
        self.intervals = []  # (vf, t_owned_from, t_owned_until, domain)
        self.samples = 0
        self.sample_errs = []


def owner_worker(dom, stop, C):
    rnd = random.Random(dom)
    while not stop.is_set():
        for op in ("assign", "release"):
            while True:
                with C.mu:
                    C.sent += 1
                t_send = time.monotonic()
                rc, out, err = cli("--json", op, dom)
                t_ans = time.monotonic()
                with C.mu:
                    C.by_op[op] = C.by_op.get(op, 0) + 1
                    if rc in ("timeout", 4) or (rc == 0 and not out.strip()):
                        C.lost += 1
                        C.unexpected.append("%s %s: exit %s %s" % (op, dom, rc, err.strip()[:200]))
                    else:
                        C.answered += 1
                if rc == 7 and "too many clients" in err:
                    with C.mu:
                        C.busy_retry += 1
                    time.sleep(rnd.uniform(0.01, 0.05))
                    continue
                break
            if rc != 0:
                with C.mu:
                    C.unexpected.append("%s %s: exit %s: %s" % (op, dom, rc, err.strip()[:300]))
                stop.set() if op == "release" else None
                return
            r = json.loads(out)
            if op == "assign":
                vf, since = r["vf"], t_ans
            else:
                if r["vf"] != vf:
                    with C.mu:
                        C.unexpected.append("release %s freed %s, assign gave %s" % (dom, r["vf"], vf))
                with C.mu:
                    C.intervals.append((vf, since, t_send, dom))


# show by VF address, PF:index and PF/index
READ_OPS = [("--json", "status"), ("--json", "list"), ("--json", "plan"), ("--json", "check"),
            ("--json", "show", "0000:3b:02.0"), ("--json", "show", "0000:86:00.0:3"),
            ("--json", "show", "0000:86:00.0/4")]


def reader_worker(i, stop, C):
    rnd = random.Random(i)
    while not stop.is_set():
        args = rnd.choice(READ_OPS)
        with C.mu:
            C.sent += 1
        rc, out, err = cli(*args)
        with C.mu:
            C.by_op[args[1]] = C.by_op.get(args[1], 0) + 1
            if rc in ("timeout", 4):
                C.lost += 1
                C.unexpected.append("%s: exit %s %s" % (" ".join(args), rc, err.strip()[:200]))
                continue
            C.answered += 1
            if rc == 7 and "too many clients" in err:
                C.busy_retry += 1
                continue
            if rc != 0:
                C.unexpected.append("%s: exit %s: %s" % (" ".join(args), rc, err.strip()[:200]))
                continue
        try:
            json.loads(out)
        except ValueError:
            with C.mu:
                C.unexpected.append("%s: answer is not JSON: %r" % (" ".join(args), out[:200]))


def sampler(stop, C):
    while not stop.is_set():
        s, err = status()
        with C.mu:
            C.samples += 1
            if s is None:
                if "too many clients" not in err:
                    C.sample_errs.append(err)
            else:
                C.sample_errs.extend(check_sample(s))
        stop.wait(0.5)


def overlaps(intervals):
    by_vf = {}
    for vf, a, b, dom in intervals:
        by_vf.setdefault(vf, []).append((a, b, dom))
    bad = []
    for vf, l in by_vf.items():
        l.sort()
        for (a1, b1, d1), (a2, b2, d2) in zip(l, l[1:]):
            if a2 < b1:
                bad.append("%s held by %s [%.3f,%.3f] and %s [%.3f,%.3f]" % (vf, d1, a1, b1, d2, a2, b2))
    return bad


def phase1():
    pid = daemon.pid
    # warm-up: the same load for a few seconds, so that malloc arenas of the client threads,
    # libvirt's and jansson's caches exist before the "before" figures are taken
    C0 = Counters()
    stop = threading.Event()
    th = [threading.Thread(target=reader_worker, args=(i, stop, C0)) for i in range(NCLIENTS - 12)]
    th += [threading.Thread(target=owner_worker, args=(d, stop, C0)) for d in DOMAINS]
    for t in th:
        t.start()
    time.sleep(min(5, SECONDS / 4))
    stop.set()
    for t in th:
        t.join()
    before = settle(pid)
    print("warm-up: %d requests (%d unexpected)" % (C0.sent, len(C0.unexpected)))
    if C0.unexpected:
        fail("warm-up: %s" % C0.unexpected[:3])

    C = Counters()
    stop = threading.Event()
    n_owner = min(len(DOMAINS), NCLIENTS)
    th = [threading.Thread(target=owner_worker, args=(d, stop, C)) for d in DOMAINS[:n_owner]]
    th += [threading.Thread(target=reader_worker, args=(i, stop, C)) for i in range(NCLIENTS - n_owner)]
    smp = threading.Thread(target=sampler, args=(stop, C))
    t0 = time.monotonic()
    for t in th:
        t.start()
    smp.start()
    peak = [0]

    def peek():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], stats(pid)[2])
            except OSError:
                pass
            stop.wait(0.2)
    pk = threading.Thread(target=peek)
    pk.start()
    stop.wait(SECONDS)
    stop.set()
    for t in th + [smp, pk]:
        t.join(60)
    dt = time.monotonic() - t0
    after = settle(pid)
    print("LOAD: %d clients for %.1f s: %d requests sent, %d answered, %d lost, %d answered 'too many clients, "
          "retry' (daemon limit), %.1f requests/s; by op: %s; %d status samples; daemon threads peak %d"
          % (NCLIENTS, dt, C.sent, C.answered, C.lost, C.busy_retry, C.answered / dt,
             json.dumps(C.by_op, sort_keys=True), C.samples, peak[0]), flush=True)
    print("LOAD: vfmgrd before (after warm-up): VmRSS %d kB, %d fds, %d threads; after: VmRSS %d kB, %d fds, "
          "%d threads (RSS %+d kB)" % (before + after + (after[0] - before[0],)), flush=True)
    if C.sent == C.answered and C.lost == 0:
        ok("every request answered (%d/%d)" % (C.answered, C.sent))
    else:
        fail("%d sent, %d answered, %d lost" % (C.sent, C.answered, C.lost))
    if C.unexpected:
        fail("%d unexpected answers, first: %s" % (len(C.unexpected), C.unexpected[:5]))
    else:
        ok("every answer as expected (assign always found a free VF, releases confirmed)")
    n_cycles = len(C.intervals)
    if n_cycles >= n_owner:
        ok("%d assign/release cycles under load" % n_cycles)
    else:
        fail("only %d assign/release cycles completed under load" % n_cycles)
    bad = overlaps(C.intervals)
    if bad:
        fail("VF serialisation broken: %s" % bad[:3])
    else:
        ok("no VF held by two domains at once (%d ownership intervals checked)" % n_cycles)
    if C.sample_errs:
        fail("status samples: %s" % C.sample_errs[:3])
    elif C.samples < 3:
        fail("only %d status samples" % C.samples)
    else:
        ok("%d status samples: never a VF owned twice or a domain with two VFs" % C.samples)
    if after[1] == before[1]:
        ok("vfmgrd fds unchanged (%d)" % after[1])
    else:
        fail("vfmgrd fds %d -> %d" % (before[1], after[1]))
    if after[2] == before[2]:
        ok("vfmgrd threads back to %d" % after[2])
    else:
        fail("vfmgrd threads %d -> %d" % (before[2], after[2]))
    if after[0] - before[0] <= RSS_TOL_KB:
        ok("vfmgrd VmRSS growth %d kB <= %d kB" % (after[0] - before[0], RSS_TOL_KB))
    else:
        fail("vfmgrd VmRSS grew %d kB (> %d kB)" % (after[0] - before[0], RSS_TOL_KB))


def final_invariants(what):
    s, err = status()
    if s is None:
        fail("%s: %s" % (what, err))
        return
    json.dump(s, open(T + "/status.json", "w"))
    r = subprocess.run([sys.executable, E["INVARIANTS"], T + "/status.json", ST] +
                       ["%s=%d" % kv for kv in PFS.items()], capture_output=True, text=True)
    owned = [v["bdf"] for p in s["pfs"] for v in p.get("vfs", []) if v.get("owner")]
    if r.returncode == 0 and not owned:
        ok("%s: invariants hold, nothing owned, journal empty" % what)
    else:
        fail("%s: %s owned=%s" % (what, r.stdout.strip(), owned))


# ---------------------------------------------------------------- phase 2
def rpc(sock, f, req):
    sock.sendall((json.dumps(req) + "\n").encode())
    line = f.readline()
    if not line:
        raise RuntimeError("vfmgrd closed the connection")
    return json.loads(line)


def phase1b():
    """Each read op 300 times on one connection: RSS flat (a per-request leak shows here,
    without the malloc-arena and thread-stack noise of 100 concurrent clients)."""
    pid = daemon.pid
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(SOCK)
    f = s.makefile("r")
    for op, args in [("status", {}), ("list", {}), ("plan", {}), ("check", {}),
                     ("show", {"target": "0000:3b:02.0"})]:
        for _ in range(30):
            rpc(s, f, {"op": op, "args": args, "id": 1})
        r0, fd0, _ = stats(pid)
        t0 = time.monotonic()
        bad = 0
        for _ in range(300):
            bad += not rpc(s, f, {"op": op, "args": args, "id": 2}).get("ok")
        dt = time.monotonic() - t0
        r1, fd1, _ = stats(pid)
        print("SEQ: 300 x %s on one connection: %.2f ms each, VmRSS %d -> %d kB, fds %d -> %d"
              % (op, 1000 * dt / 300, r0, r1, fd0, fd1), flush=True)
        if bad or r1 - r0 > 64 or fd1 != fd0:
            fail("300 x %s: %d failed, RSS %+d kB, fds %d -> %d" % (op, bad, r1 - r0, fd0, fd1))
        else:
            ok("300 x %s: all ok, RSS %+d kB (<= 64), fds unchanged" % (op, r1 - r0))
    f.close()
    s.close()


def phase2():
    pid = daemon.pid
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(SOCK)
    f = s.makefile("r")
    rid = 0
    bad = []

    def cycle(dom):
        nonlocal rid
        rid += 1
        a = rpc(s, f, {"op": "assign", "args": {"domain": dom}, "id": rid})
        rid += 1
        r = rpc(s, f, {"op": "release", "args": {"target": dom}, "id": rid})
        if not (a.get("ok") and r.get("ok") and a["result"]["vf"] == r["result"]["vf"]
                and a["result"]["libvirt"] == "redefine" and r["result"]["libvirt"] == "redefine"):
            bad.append((a, r))

    for _ in range(20):  # warm-up
        cycle("vm5")
    before = settle(pid, want_threads=2)
    t0 = time.monotonic()
    for i in range(NCYCLES):
        cycle("vm5")
        if len(bad) > 5:
            break
    dt = time.monotonic() - t0
    after = settle(pid, want_threads=2)
    f.close()
    s.close()
    print("CYCLES: %d assign/release cycles in %.1f s = %.1f cycles/s (%.1f ms per cycle); vfmgrd before: "
          "VmRSS %d kB, %d fds; after: VmRSS %d kB, %d fds (RSS %+d kB)"
          % (NCYCLES, dt, NCYCLES / dt, 1000 * dt / NCYCLES, before[0], before[1], after[0], after[1],
             after[0] - before[0]), flush=True)
    if bad:
        fail("%d cycles failed, first: %s" % (len(bad), json.dumps(bad[0])[:600]))
    else:
        ok("%d assign/release cycles, each through the persistent XML, same VF back" % NCYCLES)
    if after[1] == before[1]:
        ok("fds unchanged over the cycles (%d)" % after[1])
    else:
        fail("fds %d -> %d over %d cycles" % (before[1], after[1], NCYCLES))
    if after[0] - before[0] <= RSS_TOL_KB:
        ok("VmRSS growth %d kB over %d cycles <= %d kB" % (after[0] - before[0], NCYCLES, RSS_TOL_KB))
    else:
        fail("VmRSS grew %d kB over %d cycles" % (after[0] - before[0], NCYCLES))


def main():
    try:
        setup()
        phase1()
        final_invariants("after the load")
        phase1b()
        phase2()
        final_invariants("after the cycles")
        if daemon.poll() is not None:
            fail("vfmgrd exited (%s)" % daemon.returncode)
    finally:
        if daemon and daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if fails:
            print("--- vfmgrd log (tail) ---")
            print(open(T + "/vfmgrd.log").read()[-3000:])
        shutil.rmtree(T, ignore_errors=True)
    if fails:
        print("%d check(s) failed" % len(fails))
        return 1
    print("all checks passed")
    return 0


sys.exit(main())
