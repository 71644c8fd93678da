#!/bin/bash
# benchmarks/peers/testpmd-memif.sh: dpdk-testpmd forwarding rate on a net_memif pair in one
# process, the same kind of ports as vfapp's internal topology.
#   testpmd-memif.sh [--fwd io|mac] [--pkt-size B] [--duration S] [--warmup S] [--no-huge]
#                    [--lcores 0-1] [--repetition N]
# Setup: `dpdk-testpmd -l 0-1 --no-pci --in-memory --vdev net_memif0,role=server,socket=S
# --vdev net_memif1,role=client,socket=S -- -i --total-num-mbufs=16384 --forward-mode=F
# --txpkts=B`, then "start tx_first": the first bursts circulate between the two connected
# ports; one forwarding lcore (lcore 1) does rx on one port and tx on the other.
# Rate = sum of Rx-pps over both ports between two "show port stats all" taken --duration
# apart after --warmup (every packet forwarded is received exactly once).
# Prints one JSON record {"kind":"peer","tool":"testpmd","fwd_mode","ports":"net_memif",
# "pkt_size","mpps","huge"}; exit 1 without a record on failure.
set -u
fwd=io size=64 dur=3 warm=1 nohuge=0 lcores=0-1 rep=1
while [ $# -gt 0 ]; do
	case $1 in
	--fwd) fwd=$2; shift ;; --pkt-size) size=$2; shift ;; --duration) dur=$2; shift ;;
	--warmup) warm=$2; shift ;; --no-huge) nohuge=1 ;; --lcores) lcores=$2; shift ;;
	--repetition) rep=$2; shift ;;
	*) sed -n '2,14p' "$0" >&2; exit 2 ;;
	esac; shift
done
command -v dpdk-testpmd >/dev/null || { echo "testpmd-memif.sh: dpdk-testpmd not installed" >&2; exit 1; }
tag=vfbtp$$
sock=/tmp/$tag.sock
log=$(mktemp /tmp/vfb-testpmd.XXXXXX)
mem="--in-memory"
[ $nohuge = 1 ] && mem="--no-huge -m 1024"
trap 'rm -rf "$sock" "$log" /dev/hugepages/${tag}* /var/run/dpdk/${tag} 2>/dev/null' EXIT
# shellcheck disable=SC2086
( echo "start tx_first"; sleep "$warm"; echo "show port stats all"; sleep "$dur"
  echo "show port stats all"; echo "stop"; echo "quit"; sleep 2 ) |
	timeout -k 3 "$(awk -v d="$dur" -v w="$warm" 'BEGIN { printf "%d", d + w + 25.999 }')" dpdk-testpmd -l "$lcores" --no-pci --file-prefix "$tag" $mem \
	--vdev=net_memif0,role=server,socket="$sock" --vdev=net_memif1,role=client,socket="$sock" \
	-- -i --total-num-mbufs=16384 --forward-mode="$fwd" --txpkts="$size" >"$log" 2>&1
python3 - "$log" "$fwd" "$size" "$nohuge" "$rep" <<'PY'
import json, re, sys
txt = open(sys.argv[1], errors="replace").read()
blocks = txt.split("show port stats all")
rx = [int(v) for v in re.findall(r"Rx-pps:\s*(\d+)", txt)]
# Two ports per "show port stats all": the first pair is the warm-up reading (0), the second the rate.
if len(rx) < 4 or sum(rx[2:4]) == 0:
    sys.stderr.write("testpmd-memif.sh: no rate in testpmd output:\n" + txt[-1200:] + "\n")
    sys.exit(1)
print(json.dumps({"kind": "peer", "tool": "testpmd", "fwd_mode": sys.argv[2], "ports": "net_memif",
                  "pkt_size": int(sys.argv[3]), "mpps": round(sum(rx[2:4]) / 1e6, 3),
                  "huge": sys.argv[4] != "1", "repetition": int(sys.argv[5])}))
PY
