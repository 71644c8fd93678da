# tests/placement/lib.sh: Debian's OpenStack Placement (python3-placement 8.0.0) on loopback for
# the fleet tests, following shared/reference/placement.md: SQLite, auth_strategy = noauth2
# (X-Auth-Token: admin), placement-api's wsgiref server. Sourced; needs $T (a scratch directory).

# pl_free_port: a free TCP port on 127.0.0.1.
pl_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pl_init DIR: write DIR/placement.conf and create the database (db sync, a few seconds).
pl_init() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/placement.conf" <<C
[DEFAULT]
debug = false
[api]
auth_strategy = noauth2
[placement_database]
connection = sqlite:///$d/placement.sqlite
C
	OS_PLACEMENT_CONFIG_DIR=$d placement-manage --config-file "$d/placement.conf" db sync \
		>"$d/dbsync.log" 2>&1 || { cat "$d/dbsync.log" >&2; return 1; }
}

# pl_start DIR PORT: start placement-api on 127.0.0.1:PORT in the background (pid in $PL_PID),
# wait until it answers (bounded: 60 s).
pl_start() {
	local d=$1 port=$2 i
	(OS_PLACEMENT_CONFIG_DIR=$d exec placement-api --port "$port" --host 127.0.0.1) >>"$d/api.log" 2>&1 &
	PL_PID=$!
	for i in $(seq 600); do
		python3 - "$port" <<'P' 2>/dev/null && return 0
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=1).read()
P
		kill -0 "$PL_PID" 2>/dev/null || { echo "placement-api exited:" >&2; tail -20 "$d/api.log" >&2; return 1; }
		sleep 0.1
	done
	echo "placement-api did not answer on port $port within 60 s" >&2
	return 1
}

# pl_stop: stop the placement-api started by pl_start (SIGTERM, then SIGKILL after 5 s).
pl_stop() {
	local i
	[ -n "${PL_PID:-}" ] || return 0
	kill "$PL_PID" 2>/dev/null
	for i in $(seq 50); do kill -0 "$PL_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$PL_PID" 2>/dev/null
	wait "$PL_PID" 2>/dev/null
	PL_PID=""
}
