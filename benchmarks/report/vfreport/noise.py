"""Noise control: load average, the busy-machine check, CPU placement of threads."""
import os


def loadavg():
    """[1 min, 5 min, 15 min] load averages."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def busy(threshold):
    """(is_busy, message): busy when the 1-minute load average exceeds threshold."""
    la = loadavg()
    if la[0] > threshold:
        return True, (f"the machine is busy: 1-minute load average {la[0]:.2f} > {threshold:.2f} "
                      f"(--max-load). Other processes would compete with the benchmark for the "
                      f"{os.cpu_count()} cores and the figures would not hold still. Wait until the "
                      f"load drops, raise --max-load, or pass --force (the report then says so).")
    return False, f"load average {la[0]:.2f} <= {threshold:.2f}"


def _children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def _thread(pid, tid):
    base = f"/proc/{pid}/task/{tid}"
    try:
        with open(base + "/comm") as f:
            comm = f.read().strip()
        with open(base + "/stat") as f:
            st = f.read()
        allowed = None
        with open(base + "/status") as f:
            for ln in f:
                if ln.startswith("Cpus_allowed_list:"):
                    allowed = ln.split(":", 1)[1].strip()
    except OSError:
        return None
    # fields after the ")" of comm: state is field 3; processor is field 39
    rest = st.rsplit(")", 1)[1].split()
    last_cpu = int(rest[36]) if len(rest) > 36 else None
    return {"pid": pid, "tid": int(tid), "comm": comm, "cpus_allowed": allowed, "last_cpu": last_cpu}


def placement(root_pid):
    """Every thread of root_pid and its descendants: pid, tid, comm, cpus_allowed, last_cpu."""
    out, todo, seen = [], [int(root_pid)], set()
    while todo:
        pid = todo.pop(0)
        if pid in seen:
            continue
        seen.add(pid)
        try:
            tids = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
        except OSError:
            continue
        for tid in tids:
            t = _thread(pid, tid)
            if t:
                out.append(t)
        todo += _children(pid)
    return out
