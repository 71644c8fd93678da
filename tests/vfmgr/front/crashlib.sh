# crashlib.sh: shared set-up of the crash tests (sourced after lib.sh): a real libvirtd (run
# as nobody) serving libvirt's shared test driver (test:///default), so what libvirt holds
# persists across every vfmgr and vfmgrd process of the test, as on a real host; a connection
# kept open for the whole test (the shared test driver lives while one is open); domains
# appl0 (running: no hot-plug in the test driver) and appl1 (shut off, node 1).
# Skips (77) without root or /usr/sbin/libvirtd.
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (libvirtd as nobody via setpriv)"; exit 77; }
[ -x /usr/sbin/libvirtd ] || { echo "SKIP: no /usr/sbin/libvirtd"; exit 77; }
: "${VFMGRD:?}"
INV=$(dirname "${BASH_SOURCE[0]}")/invariants.py
LIBVIRTD_TTL=${LIBVIRTD_TTL:-900}
start_libvirtd_as_nobody "$T/lv" || { echo "SKIP: libvirtd did not come up: $(tail -3 "$T/lv.log")"; exit 77; }
cleanup_hooks="$cleanup_hooks kill -9 \$lpid \$holder 2>/dev/null;"
URI="test+unix:///default?socket=$LSOCK"
lv() { virsh -q -c "$URI" "$@"; }
# the holder: one connection open from start to end
virsh -c "$URI" event --all --loop >"$T/events.log" 2>&1 &
holder=$!
for _ in $(seq 50); do lv list --all --name >/dev/null 2>&1 && break; sleep 0.1; done
domxml() { # NAME CPUS NODE
	printf "<domain type='test'><name>%s</name><memory unit='KiB'>1048576</memory><vcpu placement='static'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='%s'/><vcpupin vcpu='1' cpuset='%s'/></cputune><numatune><memory mode='strict' nodeset='%s'/></numatune><os><type arch='x86_64'>hvm</type></os><devices></devices></domain>\n" \
		"$1" "${2%,*}" "${2#*,}" "$3"
}
domxml appl0 2,3 0 >"$T/appl0.xml"; domxml appl1 4,5 1 >"$T/appl1.xml"
lv "define $T/appl0.xml; define $T/appl1.xml; start appl0" >/dev/null || { echo "cannot define the test domains" >&2; exit 1; }
ok "libvirtd (pid $lpid) serving test:///default on $LSOCK, domains appl0 (running) and appl1"

# The state of a crash point is the fixture, vfmgr's state dir and libvirt's definitions.
snap_save() {
	rm -rf "$T/snap"; mkdir -p "$T/snap"; cp -a "$FX" "$T/snap/root"
	cp -a "$ST" "$T/snap/state" 2>/dev/null || mkdir -p "$T/snap/state"
	lv "dumpxml --inactive appl0" >"$T/snap/appl0.xml"; lv "dumpxml --inactive appl1" >"$T/snap/appl1.xml"
}
snap_load() {
	rm -rf "$FX" "$ST"; cp -a "$T/snap/root" "$FX"; cp -a "$T/snap/state" "$ST"
	lv "define $T/snap/appl0.xml; define $T/snap/appl1.xml" >/dev/null
}
# libvirt_holds FILE: {"domain": [VF BDFs in its live or persistent XML]} for the invariants
libvirt_holds() {
	local cmds="" d
	for d in $(lv list --all --name); do cmds="$cmds echo @@$d@@; dumpxml $d; dumpxml --inactive $d;"; done
	lv "$cmds" | python3 -c '
import json, re, sys
import xml.etree.ElementTree as ET
held = {}
parts = re.split(r"@@(\S+?)@@", sys.stdin.read())
for dom, body in zip(parts[1::2], parts[2::2]):
    held.setdefault(dom, [])
    for doc in re.findall(r"<domain[ >].*?</domain>", body, re.S):
        root = ET.fromstring(doc)
        for path in ("devices/hostdev[@type=\"pci\"]/source/address",
                     "devices/interface[@type=\"hostdev\"]/source/address"):
            for a in root.findall(path):
                bdf = "%04x:%02x:%02x.%x" % tuple(int(a.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function"))
                if bdf not in held[dom]:
                    held[dom].append(bdf)
json.dump(held, open(sys.argv[1], "w"))' "$1"
}
# daemon_recover: vfmgrd recovers the journal and reconciles at start; status through it
daemon_recover() {
	VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS "$VFMGRD" --config "$CONF" --socket "$T/d.sock" \
		--socket-mode 0600 --root "$FX" --state-dir "$ST" --connect "$URI" 2>"$T/rec.err" &
	local dpid=$!
	for _ in $(seq 100); do [ -S "$T/d.sock" ] && break; sleep 0.05; done
	"$VFMGR" --socket "$T/d.sock" --json status >"$T/status.json" 2>>"$T/rec.err"
	kill -TERM $dpid; wait $dpid
}
