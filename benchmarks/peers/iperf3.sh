#!/bin/bash
# benchmarks/peers/iperf3.sh: one iperf3 TCP run between two namespaces.
#   iperf3.sh --server-ns NS --client-ns NS --ip IP [--port P] [--duration S] [--cpu N]
#             [--kind peer|realpeer] [--path NAME] [--extra JSON-OBJECT-FIELDS]
# Prints one JSON record {"kind","tool":"iperf3","path","goodput_gbps" (receiver side),
# "retransmits","workload":"TCP_STREAM",...}. Exit 1 without a record on failure.
set -u
sns="" cns="" ip="" port=15201 dur=3 cpu=1 kind=peer path=veth-direct extra=""
while [ $# -gt 0 ]; do
	case $1 in
	--server-ns) sns=$2; shift ;; --client-ns) cns=$2; shift ;; --ip) ip=$2; shift ;;
	--port) port=$2; shift ;; --duration) dur=$2; shift ;; --cpu) cpu=$2; shift ;;
	--kind) kind=$2; shift ;; --path) path=$2; shift ;; --extra) extra=$2; shift ;;
	*) sed -n '2,6p' "$0" >&2; exit 2 ;;
	esac; shift
done
[ -n "$sns" ] && [ -n "$cns" ] && [ -n "$ip" ] || { echo "iperf3.sh: --server-ns, --client-ns, --ip needed" >&2; exit 2; }
out=$(mktemp /tmp/vfb-iperf3.XXXXXX)
ip netns exec "$sns" timeout $((dur + 15)) taskset -c "$cpu" iperf3 -s -1 -B "$ip" -p "$port" >/dev/null 2>&1 &
spid=$!
sleep 0.5
ip netns exec "$cns" timeout $((dur + 12)) taskset -c "$cpu" iperf3 -c "$ip" -p "$port" -t "$dur" \
	--connect-timeout 3000 -J >"$out" 2>&1
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
python3 - "$out" "$kind" "$path" "$extra" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    e = d["end"]
    bps = e["sum_received"]["bits_per_second"]
except (ValueError, KeyError, OSError) as x:
    sys.stderr.write("iperf3.sh: no result: %s %s\n" % (x, open(sys.argv[1], errors="replace").read()[-600:]))
    sys.exit(1)
if bps <= 0:
    sys.stderr.write("iperf3.sh: zero throughput\n"); sys.exit(1)
rec = {"kind": sys.argv[2], "tool": "iperf3", "path": sys.argv[3], "workload": "TCP_STREAM",
       "goodput_gbps": round(bps / 1e9, 4), "retransmits": e.get("sum_sent", {}).get("retransmits"),
       "duration_s": e["sum_received"].get("seconds")}
if sys.argv[4]:
    rec.update(json.loads(sys.argv[4]))
print(json.dumps(rec))
PY
prc=$?
rm -f "$out"
exit $prc
