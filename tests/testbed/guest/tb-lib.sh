# /etc/tb-lib.sh: helpers for the guest-side scenario scripts (busybox sh).
# Console protocol (parsed by tests/testbed/parse.py):
#   TB-CHECK ok|fail|skip NAME [detail]   one assertion
#   TB-RESULT name=NAME key=value ...     a measurement
#   TB-INFO ...                           free text
#   TB-PASS | TB-FAIL reason              the verdict, printed once by tb_finish
TB_NFAIL=0 TB_NSKIP=0 TB_NOK=0 TB_FAILED=""
tb_ok()   { TB_NOK=$((TB_NOK + 1)); echo "TB-CHECK ok $*"; }
tb_fail() { TB_NFAIL=$((TB_NFAIL + 1)); TB_FAILED="$TB_FAILED $1"; echo "TB-CHECK fail $*"; }
tb_skip() { TB_NSKIP=$((TB_NSKIP + 1)); echo "TB-CHECK skip $*"; }
tb_info() { echo "TB-INFO $*"; }
tb_result() { echo "TB-RESULT $*"; }
# tb_eq NAME ACTUAL EXPECTED
tb_eq() { if [ "$2" = "$3" ]; then tb_ok "$1" "=$2"; else tb_fail "$1" "got '$2' expected '$3'"; fi; }
# tb_true NAME CMD...: the command must succeed
tb_true() { local n=$1; shift; if "$@" >/tmp/tb.out 2>&1; then tb_ok "$n"; else tb_fail "$n" "'$*' failed: $(head -c 300 /tmp/tb.out | tr '\n' ' ')"; fi; }
# tb_false NAME CMD...: the command must fail
tb_false() { local n=$1; shift; if "$@" >/tmp/tb.out 2>&1; then tb_fail "$n" "'$*' succeeded but must fail"; else tb_ok "$n" "refused"; fi; }
tb_finish() {
	if [ $TB_NFAIL -gt 0 ]; then echo "TB-FAIL $TB_NFAIL check(s) failed:$TB_FAILED"; return 1; fi
	if [ $TB_NOK -eq 0 ]; then echo "TB-FAIL no assertion ran"; return 1; fi
	echo "TB-PASS ok=$TB_NOK skipped=$TB_NSKIP"
}
tb_have() { [ -x "/tb/bin/$1" ]; }
# tb_bind BDF DRIVER: bind through driver_override (DRIVER "" = unbind and clear)
tb_bind() {
	local d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$2" >"$d/driver_override"
	[ -n "$2" ] && echo "$1" >/sys/bus/pci/drivers_probe
	[ -z "$2" ] || [ "$(basename "$(readlink "$d/driver")")" = "$2" ]
}
tb_driver() { local l; l=$(readlink "/sys/bus/pci/devices/$1/driver") && basename "$l" || echo none; }
tb_group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
# tb_find VENDOR:DEVICE: BDFs of the matching functions
tb_find() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor):$(cat $d/device)" = "0x${1%%:*}:0x${1##*:}" ] && basename $d
	done
}
# tb_gron FILE: flatten JSON into "path=value" lines (tb-gron, built with jansson)
tb_gron() { tb-gron <"$1"; }
# tb_wait_for SECONDS CMD...: poll until the command succeeds
tb_wait_for() { local n=$(($1 * 10)); shift; while ! "$@" 2>/dev/null; do n=$((n - 1)); [ $n -gt 0 ] || return 1; sleep 0.1; done; }
# tb_mark N: write 0x40+N to config byte 0x3c (interrupt line, scratch) of 00:00.0 so that
# QEMU's pci_cfg_write trace shows where section N of the trace log starts (parse.py trace).
tb_mark() {
	printf "$(printf '\\%03o' $((0x40 + $1)))" | dd of=/sys/bus/pci/devices/0000:00:00.0/config bs=1 seek=60 conv=notrunc 2>/dev/null
	echo "TB-MARK $1"
}
