"""Strategy and mode names: the one source is vfapp itself (`vfapp --list-strategies`,
`vfapp --list-modes`, which print lib/iova's iova_names.c table, one name per line, with
no EAL)."""
import subprocess


def listed(vfapp, what):
    """(names, source) for what ('strategies' or 'modes'). Raises RuntimeError with a clear
    message when vfapp cannot list them."""
    if what not in ("strategies", "modes"):
        raise ValueError(f"names: unknown list {what!r} (strategies or modes)")
    cmd = [vfapp, f"--list-{what}"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise RuntimeError(f"cannot run {vfapp}: {e} (build it: ninja -C build)") from e
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"{' '.join(cmd)} did not answer within 30 s") from e
    names = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]
    if r.returncode != 0 or not names or not all(_plain(n) for n in names):
        raise RuntimeError(f"{' '.join(cmd)} gave no names (exit {r.returncode}: "
                           f"{(r.stderr or r.stdout).strip()[:200]!r}); rebuild vfapp from this tree")
    return names, " ".join(cmd[1:])


def from_vfapp(vfapp, what):
    """Names vfapp lists for what ('strategies' or 'modes')."""
    return listed(vfapp, what)[0]


def _plain(name):
    return name.replace("-", "").replace("_", "").isalnum() and name == name.lower()
