#!/bin/bash
# benchmarks/peers/sockperf.sh: one sockperf UDP ping-pong run between two namespaces.
#   sockperf.sh --server-ns NS --client-ns NS --ip IP [--port P] [--duration S] [--cpu N]
#               [--msg-size B] [--kind peer|realpeer] [--path NAME] [--extra JSON-OBJECT-FIELDS]
# Prints one JSON record: {"kind","tool":"sockperf","path","transactions_per_s",
# "latency_us":{"p50","p99","p999","avg"} (one-way = RTT/2, sockperf's convention),"msg_size",...}.
# Both sides are pinned to --cpu (default 1; same-CPU ping-pong, see baselines-here.md).
# Exit 1 (and no record) when no message came back. Every process is bounded by timeout.
set -u
sns="" cns="" ip="" port=11111 dur=3 cpu=1 msg=14 kind=peer path=veth-direct extra=""
while [ $# -gt 0 ]; do
	case $1 in
	--server-ns) sns=$2; shift ;; --client-ns) cns=$2; shift ;; --ip) ip=$2; shift ;;
	--port) port=$2; shift ;; --duration) dur=$2; shift ;; --cpu) cpu=$2; shift ;;
	--msg-size) msg=$2; shift ;; --kind) kind=$2; shift ;; --path) path=$2; shift ;;
	--extra) extra=$2; shift ;;
	*) sed -n '2,9p' "$0" >&2; exit 2 ;;
	esac; shift
done
[ -n "$sns" ] && [ -n "$cns" ] && [ -n "$ip" ] || { echo "sockperf.sh: --server-ns, --client-ns, --ip needed" >&2; exit 2; }
log=$(mktemp /tmp/vfb-sockperf.XXXXXX)
ip netns exec "$sns" timeout $((dur + 10)) taskset -c "$cpu" sockperf sr -i "$ip" -p "$port" >/dev/null 2>&1 &
spid=$!
sleep 0.5
ip netns exec "$cns" timeout $((dur + 8)) taskset -c "$cpu" sockperf pp -i "$ip" -p "$port" -t "$dur" -m "$msg" >"$log" 2>&1
rc=$?
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
python3 - "$log" "$kind" "$path" "$msg" "$extra" <<'PY'
import json, re, sys
txt = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
m = re.search(r"\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)", txt)
if not m or int(m.group(3)) == 0:
    sys.stderr.write("sockperf.sh: no result:\n" + txt[-800:] + "\n")
    sys.exit(1)
run, recv = float(m.group(1)), int(m.group(3))
pct = {float(p): float(v) for p, v in re.findall(r"percentile ([\d.]+) =\s*([\d.]+)", txt)}
avg = re.search(r"avg-latency=([\d.]+)", txt)
rec = {"kind": sys.argv[2], "tool": "sockperf", "path": sys.argv[3], "workload": "UDP_RR",
       "msg_size": int(sys.argv[4]), "transactions_per_s": round(recv / run, 1), "transactions": recv,
       "latency_us": {"p50": pct.get(50.0), "p99": pct.get(99.0), "p999": pct.get(99.9),
                      "avg": float(avg.group(1)) if avg else None},
       "latency_is": "one-way (RTT/2)"}
if sys.argv[5]:
    rec.update(json.loads(sys.argv[5]))
print(json.dumps(rec))
PY
prc=$?
rm -f "$log"
[ $prc = 0 ] || exit 1
exit 0
