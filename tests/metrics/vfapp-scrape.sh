#!/bin/bash
# vfapp-scrape.sh VFAPP: vfapp --prometheus FILE scraped through Debian's prometheus-node-exporter
# (textfile collector only, loopback port): the series appear while vfapp runs (periodic
# write), and after it exits they equal the counters of its --json record (per-port rx/tx
# packets and bytes, drops by reason summed over the ports).
set -u
VFAPP=$1
NE=${NODE_EXPORTER:-$(command -v prometheus-node-exporter || true)}
[ -x "$NE" ] || { echo "FAIL: prometheus-node-exporter not installed (tests/setup.sh installs it)"; exit 1; }
T=$(mktemp -d /tmp/vfapp-prom.XXXXXX)
PROM=$T/textfile
mkdir -p "$PROM"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
pids=""
trap 'kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$NE" --web.listen-address=127.0.0.1:$port --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$PROM" >"$T/ne.log" 2>&1 &
pids="$pids $!"
for i in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.1; done

# bad path: refused with the rule named
if "$VFAPP" --no-huge -m 256 --no-pci -l 0 --file-prefix vfpm-bad-$$ --log-level '*:error' -- \
	--prometheus "$T/x.txt" >"$T/bad.out" 2>&1; then fail "--prometheus x.txt accepted"
elif grep -q 'must end in .prom' "$T/bad.out"; then ok "--prometheus without .prom refused with the rule"
else fail "refusal message: $(cat "$T/bad.out")"; fi

# 3 s of UDP_RR through the appliance, every 10th forwarded packet dropped (--drop-every)
timeout -k 5 60 "$VFAPP" --no-huge -m 512 --no-pci -l 0 --file-prefix vfpm-$$ --log-level '*:warning' -- \
	--workload UDP_RR --duration 3 --warmup 0.3 --drop-every 10 --json --quiet \
	--prometheus "$PROM/vfapp.prom" --prometheus-interval 0.2 >"$T/vfapp.out" 2>"$T/vfapp.err" &
vpid=$!
pids="$pids $vpid"
# while it runs: a scrape sees non-zero, growing counters
mid1="" mid2=""
for i in $(seq 60); do
	sleep 0.25
	curl -sf "http://127.0.0.1:$port/metrics" >"$T/mid" || continue
	v=$(awk 'index($0, "vfapp_port_rx_packets_total{port=\"0\"} ") == 1 { printf "%.0f", $NF }' "$T/mid")
	[ -n "$v" ] && [ "$v" != 0 ] || continue
	if [ -z "$mid1" ]; then mid1=$v; elif [ "$v" -gt "$mid1" ]; then mid2=$v; break; fi
done
if [ -n "$mid2" ]; then ok "scraped while running: port 0 rx grows ($mid1 -> $mid2)"
else fail "no growing vfapp_port_rx_packets_total while vfapp ran (mid1=$mid1)"; fi
wait $vpid
rc=$?
[ $rc = 0 ] && ok "vfapp exit 0" || { fail "vfapp exit $rc"; sed 's/^/  /' "$T/vfapp.err" | tail -20 >&2; }
curl -sf "http://127.0.0.1:$port/metrics" >"$T/final" || fail "final scrape"
grep -q '^node_textfile_scrape_error 0' "$T/final" && ok "node_exporter read the textfile" || fail "node_textfile_scrape_error"
python3 - "$T/vfapp.out" "$T/final" <<'P' && ok "final series = the --json record (ports rx/tx packets and bytes, drops by reason)" || fail "series differ from the JSON record"
import json, re, sys
rec = [l for l in open(sys.argv[1]) if l.startswith("{")][-1]
rec = json.loads(rec)
series = {}
for line in open(sys.argv[2]):
    m = re.match(r'^(vfapp_\w+)(\{[^}]*\})? (\S+)$', line.strip())
    if m:
        labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
        series[(m.group(1), labels)] = float(m.group(3))
n = 0
for p, pj in enumerate(rec["ports"]):
    for k, name in (("rx", "rx_packets"), ("tx", "tx_packets"), ("rx_bytes", "rx_bytes"), ("tx_bytes", "tx_bytes")):
        v = series[("vfapp_port_%s_total" % name, (("port", str(p)),))]
        assert v == pj[k], (p, k, v, pj[k])
        n += 1
assert rec["ports"][0]["rx"] > 0, rec["ports"]
for reason, count in rec["drops"].items():
    if reason == "dma_fault":
        continue  # the record adds the device's own DMA faults
    tot = sum(v for (name, l), v in series.items()
              if name == "vfapp_port_drops_total" and dict(l)["reason"] == reason)
    assert tot == count, (reason, tot, count)
    n += 1
induced = sum(v for (name, l), v in series.items() if name == "vfapp_port_drops_total" and dict(l)["reason"] == "induced")
assert induced > 0, "no induced drops with --drop-every 10"
print("  %d values compared; rx port0 %d, induced drops %d" % (n, rec["ports"][0]["rx"], induced))
P
left=$(ls "$PROM" | grep -v '^vfapp.prom$')
[ -z "$left" ] && ok "no temporary file left" || fail "left in the textfile directory: $left"
[ $fails = 0 ] && { echo "all checks passed"; exit 0; }
echo "$fails check(s) failed" >&2; exit 1
