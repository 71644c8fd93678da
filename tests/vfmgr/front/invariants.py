#!/usr/bin/env python3
"""invariants.py STATUS_JSON STATE_DIR CONF_NUMVFS... | --manifest FILE: crash-test invariants.

CONF_NUMVFS are "pf=N" pairs (the configuration), plus optionally "owned=K" or "owned=K|L"
(VFs owned: one of these counts) and "libvirt=FILE" ({"domain": [VF BDFs its live or
persistent XML holds]}). Checks: journal empty, no VF owned twice and every owned VF exists
(no VF lost), front side files match owners, every configured PF has N VFs all bound to
vfio-pci; with libvirt=: every owned VF is in its owner's XML and every VF of these PFs that
a domain's XML holds is owned by that domain (libvirt and the records agree both ways).
Prints the first violation, exits 1.
"""
import json, os, sys

def check(argv):
    status = json.load(open(argv[0]))
    state = argv[1]
    want = dict(a.split("=") for a in argv[2:] if not a.startswith(("owned=", "libvirt=")))
    want_owned = [[int(x) for x in a.split("=")[1].split("|")] for a in argv[2:] if a.startswith("owned=")]
    held = [json.load(open(a.split("=", 1)[1])) for a in argv[2:] if a.startswith("libvirt=")]
    errs = []
    if status.get("journal_pending", 0) != 0:
        errs.append("journal_pending=%s" % status.get("journal_pending"))
    jdir = os.path.join(state, "journal")
    left = [f for f in os.listdir(jdir)] if os.path.isdir(jdir) else []
    left = [f for f in left if f.endswith(".json")]
    if left:
        errs.append("journal files left: %s" % left)
    pfs = {p["bdf"]: p for p in status.get("pfs", [])}
    owned = {}
    for p in pfs.values():
        for v in p.get("vfs", []):
            if v.get("owner"):
                key = (p["bdf"], v["index"])
                owned[key] = v["owner"]
    owners_file = os.path.join(state, "owners.json")
    if os.path.exists(owners_file):
        raw = json.load(open(owners_file))
        entries = raw.get("owners", raw) if isinstance(raw, dict) else raw
        seen = set()
        for k in (entries if isinstance(entries, dict) else {}):
            if k in seen:
                errs.append("VF %s owned twice" % k)
            seen.add(k)
            pf, idx = k.rsplit("/", 1)
            vfs = [v for v in pfs.get(pf, {}).get("vfs", []) if v["index"] == int(idx)]
            if not vfs:
                errs.append("owned VF %s does not exist (lost)" % k)
    # A domain may own several VFs, but one VF one domain; the VF BDFs owned must be distinct.
    bdfs = [v["bdf"] for p in pfs.values() for v in p.get("vfs", []) if v.get("owner")]
    if len(bdfs) != len(set(bdfs)):
        errs.append("a VF appears twice among owned VFs")
    adir = os.path.join(state, "assigned")
    side = sorted(f for f in os.listdir(adir) if f.endswith(".json")) if os.path.isdir(adir) else []
    want_side = sorted("%s_%d.json" % k for k in owned)
    if side != want_side:
        errs.append("saved assignment files %s != owned VFs %s" % (side, want_side))
    for pf, n in want.items():
        p = pfs.get(pf)
        if p is None:
            errs.append("PF %s missing" % pf)
            continue
        if p.get("numvfs") != int(n) or len(p.get("vfs", [])) != int(n):
            errs.append("PF %s has numvfs=%s (%d VF links), config says %s"
                        % (pf, p.get("numvfs"), len(p.get("vfs", [])), n))
        for v in p.get("vfs", []):
            if v.get("driver") != "vfio-pci":
                errs.append("VF %s driver %r, config says vfio-pci" % (v["bdf"], v.get("driver")))
    if want_owned and len(owned) not in want_owned[0]:
        errs.append("%d VF(s) owned, expected %s: %s" % (len(owned), "|".join(map(str, want_owned[0])), owned))
    if held:
        bdf_of = {(p["bdf"], v["index"]): v["bdf"] for p in pfs.values() for v in p.get("vfs", [])}
        owner_of = {bdf_of.get(k): d for k, d in owned.items()}
        for k, d in owned.items():
            if bdf_of.get(k) not in held[0].get(d, []):
                errs.append("VF %s owned by %s but not in its libvirt XML" % (bdf_of.get(k), d))
        ours = set(bdf_of.values())
        for d, bdfs in held[0].items():
            for b in bdfs:
                if b in ours and owner_of.get(b) != d:
                    errs.append("VF %s in domain %s's XML but owned by %s" % (b, d, owner_of.get(b)))
    return errs

def main():
    if sys.argv[1] == "--manifest":
        # Each line: LABEL STATUS_JSON STATE_DIR pf=N... owned=K
        bad = n = 0
        for line in open(sys.argv[2]):
            f = line.split()
            if not f:
                continue
            n += 1
            try:
                errs = check(f[1:])
            except Exception as e:  # unreadable status = violation too
                errs = ["cannot check: %r" % e]
            if errs:
                bad += 1
                print("INVARIANT VIOLATED at %s: %s" % (f[0], "; ".join(errs)))
        print("%d crash point(s) checked, %d violation(s)" % (n, bad))
        return 1 if bad or n == 0 else 0
    errs = check(sys.argv[1:])
    if errs:
        print("INVARIANT VIOLATED: " + "; ".join(errs))
        return 1
    return 0

sys.exit(main())
