#!/usr/bin/env python3
"""rival.py URL SECONDS: another Placement writer racing the vfmgrd daemons (tests/placement).

For SECONDS, over and over: read every consumer's allocations (GET /allocations/{c}) and write
them back unchanged with the consumer_generation just read (PUT), as a second scheduler or an
operator's tool would. Each write bumps the consumer generation, so a daemon whose
read-modify-write of the same consumer falls between our GET and PUT gets a 409 and must
re-read; when the daemon wins, our PUT gets the 409 (and we change nothing). Bounded: stops
after SECONDS. Prints {"writes": n, "conflicts": n} on exit.
"""
import json, sys, time, urllib.error, urllib.request

URL, SECONDS = sys.argv[1], float(sys.argv[2])
H = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39", "Content-Type": "application/json"}


def call(method, path, body=None):
    req = urllib.request.Request(URL + path, method=method, headers=H,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            data = r.read()
            return r.status, json.loads(data) if data else None
    except urllib.error.HTTPError as e:
        return e.code, None


writes = conflicts = 0
end = time.time() + SECONDS
listed = 0
consumers = set()
while time.time() < end:
    try:
        if time.time() - listed > 1:  # re-list the consumers every second
            consumers = set()
            st, rps = call("GET", "/resource_providers")
            for rp in (rps or {}).get("resource_providers", []):
                st, al = call("GET", "/resource_providers/%s/allocations" % rp["uuid"])
                consumers.update((al or {}).get("allocations", {}).keys())
            listed = time.time()
        for c in sorted(consumers):
            st, cur = call("GET", "/allocations/" + c)
            if st != 200 or not cur or not cur.get("allocations"):
                continue
            body = {"allocations": {rp: {"resources": a["resources"]} for rp, a in cur["allocations"].items()},
                    "consumer_generation": cur["consumer_generation"], "project_id": cur["project_id"],
                    "user_id": cur["user_id"], "consumer_type": cur.get("consumer_type") or "INSTANCE"}
            st, _ = call("PUT", "/allocations/" + c, body)
            if st == 204:
                writes += 1
            elif st == 409:
                conflicts += 1
    except (urllib.error.URLError, OSError):
        time.sleep(0.2)  # Placement stopped by the test: wait for it
print(json.dumps({"writes": writes, "conflicts": conflicts}))
