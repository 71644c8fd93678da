#!/usr/bin/env python3
"""check.py: compare what Placement says with what the hosts hold (tests/placement).

  check.py --url URL --xml NODE.xml --host NAME=SOCKET ... [--wait SECONDS]

Placement side: for every root provider named like a --host, the allocations on the
providers of its tree, per consumer and PF ("<host>_<bdf>" provider names).
Host side: `status` over each vfmgrd control socket: VFs with an owner, the owner's
domain UUID from the libvirt test-driver XML.
Converged = both sides equal for every host, every host has exactly one root provider,
and the total used VFs in Placement equals the VFs assigned on the hosts.
Prints one JSON line; exit 0 when converged (within --wait, polling every 0.2 s).
"""
import argparse, json, socket, sys, time, urllib.request
import xml.etree.ElementTree as ET

H = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39"}


def get(url, path):
    req = urllib.request.Request(url + path, headers=H)
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def placement_view(url, hosts):
    rps = get(url, "/resource_providers")["resource_providers"]
    roots = {}
    for rp in rps:
        if rp["uuid"] == rp["root_provider_uuid"]:
            roots.setdefault(rp["name"], []).append(rp["uuid"])
    view, used, inv = {}, 0, {}
    for h in hosts:
        if len(roots.get(h, [])) != 1:
            raise ValueError("host %s has %d root providers" % (h, len(roots.get(h, []))))
        view[h] = {}
        inv[h] = {}
        for rp in get(url, "/resource_providers?in_tree=" + roots[h][0])["resource_providers"]:
            i = get(url, "/resource_providers/%s/inventories" % rp["uuid"])["inventories"].get("SRIOV_NET_VF")
            if i:
                inv[h][rp["name"][len(h) + 1:]] = (i["total"], i["reserved"])
            al = get(url, "/resource_providers/%s/allocations" % rp["uuid"])["allocations"]
            for c, a in al.items():
                n = a["resources"].get("SRIOV_NET_VF", 0)
                if n:
                    pf = rp["name"][len(h) + 1:]
                    view[h].setdefault(c, {})
                    view[h][c][pf] = view[h][c].get(pf, 0) + n
                    used += n
    return view, used, inv


def status(sock):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(b'{"id":1,"op":"status","args":{}}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    r = json.loads(buf)
    if not r.get("ok"):
        raise ValueError("status on %s: %s" % (sock, r))
    return r["result"]


def host_view(sock, uuids):
    st = status(sock)
    v, n, inv = {}, 0, {}
    for pf in st["pfs"]:
        if pf["numvfs"] > 0:  # the configured PFs of these tests
            vfs = pf.get("vfs", [])
            inv[pf["bdf"]] = (len(vfs), sum(1 for x in vfs if not x.get("owner") and x.get("driver") != "vfio-pci"))
        for vf in pf.get("vfs", []):
            if vf.get("owner"):
                c = uuids[vf["owner"]]
                v.setdefault(c, {})
                v[c][pf["bdf"]] = v[c].get(pf["bdf"], 0) + 1
                n += 1
    return v, n, st.get("placement"), inv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--xml", required=True)
    ap.add_argument("--host", action="append", default=[])
    ap.add_argument("--wait", type=float, default=0)
    a = ap.parse_args()
    uuids = {d.findtext("name"): d.findtext("uuid") for d in ET.parse(a.xml).getroot().iter("domain")}
    hosts = dict(h.split("=", 1) for h in a.host)
    t0 = time.time()
    while True:
        why = ""
        try:
            pv, used, pinv = placement_view(a.url, hosts)
            hv, assigned, syncs, hinv = {}, 0, {}, {}
            for h, sock in hosts.items():
                hv[h], n, syncs[h], hinv[h] = host_view(sock, uuids)
                assigned += n
            for h in hosts:
                if pinv[h] != hinv[h]:
                    why = "host %s: inventory (total, reserved) in placement %s != host %s" % (h, pinv[h], hinv[h])
                    break
                if pv[h] != hv[h]:
                    why = "host %s: placement %s != host %s" % (h, pv[h], hv[h])
                    break
            if not why and used != assigned:
                why = "placement uses %d VFs, hosts assigned %d" % (used, assigned)
        except Exception as e:  # Placement or a daemon not answering yet
            why, used, assigned, syncs = "not answering: %s" % e, -1, -1, {}
        if not why or time.time() - t0 >= a.wait:
            break
        time.sleep(0.2)
    out = {"converged": not why, "seconds": round(time.time() - t0, 2), "allocations": used,
           "assigned": assigned, "why": why,
           "sync_conflicts": sum((s or {}).get("conflicts_total", 0) for s in syncs.values())}
    print(json.dumps(out))
    return 0 if not why else 1


sys.exit(main())
