# Throwaway PostgreSQL 15 clusters for tests, on loopback. Source it (after
# tests/e2e/lib.bash when both are used: it chains onto the EXIT trap that is
# set when it is sourced), then:
#   pg_cluster_start NAME          initdb and start; sets PG_URI and PG_PORT
#   pg_uri NAME                    prints postgresql://postgres@127.0.0.1:PORT/socred
#   pg_psql NAME SQL               runs SQL in NAME's database socred, prints rows (-tA)
#   pg_cluster_stop NAME           immediate stop (by the postmaster's PID)
#   pg_cluster_kill9 NAME          SIGKILL of the postmaster; waits until all
#                                  of NAME's processes are gone
#   pg_standby_create PRIMARY NAME [PORT]
#                                  streaming standby of PRIMARY (base backup,
#                                  own replication slot), started (on PORT
#                                  when given: a failed node's address)
#   pg_promote NAME                promotes a standby, waits until it writes
#   pg_cluster_procs NAME          prints the PIDs of NAME's processes
#   pg_pid NAME                    prints the PID of NAME's postmaster
#   pg_alive PID                   whether the process runs (not a zombie)
#   pg_cleanup                     stops every cluster started here and
#                                  removes them (also run on exit)
# Every cluster lives in $PG_DIR/NAME (data/, the server's log, its unix
# socket); PG_DIR is a fresh directory under /tmp. initdb refuses to run as
# root: as root, every PostgreSQL program runs as the user postgres (which
# the Debian package creates) and owns the cluster's directory. Clients
# (psql) connect over TCP as the database user postgres with trust
# authentication, so they run as whoever runs the test.
# A function that fails prints why on stderr and returns non-zero.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# seconds any wait below may take: generous, a loaded machine is slow
PG_WAIT=${PG_WAIT:-120}
PG_DIR=$(mktemp -d /tmp/socred-pg.XXXXXX) || return 1
PG_URI=
PG_PORT=
PG_AS=()
if [ "$(id -u)" = 0 ]; then
	# the postgres user must reach its clusters through PG_DIR
	chmod 711 "$PG_DIR"
	PG_AS=(runuser -u postgres --)
fi

# pg_run CMD...: CMD as the clusters' owner, from PG_DIR (a test's working
# directory may be closed to that user)
pg_run() { (cd "$PG_DIR" && "${PG_AS[@]}" "$@"); }

pg_uri() {
	local port
	port=$(cat "$PG_DIR/$1/port" 2> /dev/null) || { echo "pg: no cluster $1" >&2; return 1; }
	echo "postgresql://postgres@127.0.0.1:$port/socred"
}

pg_psql() {
	local uri
	uri=$(pg_uri "$1") || return 1
	PGCONNECT_TIMEOUT=10 psql -X -q -tA -v ON_ERROR_STOP=1 -d "$uri" -c "$2"
}

# the postmaster's PID, from the first line of postmaster.pid
pg_pid() { head -1 "$PG_DIR/$1/data/postmaster.pid" 2> /dev/null; }

# pg_alive PID: the process runs. A killed postmaster is nobody's child (pg_ctl
# detaches it), and an init that does not reap leaves it a zombie: that is
# dead too.
pg_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

pg_cluster_procs() {
	local dir=$PG_DIR/$1/data p
	# every PostgreSQL process works in its data directory
	for p in $(find /proc -mindepth 2 -maxdepth 2 -name cwd \
		\( -lname "$dir" -o -lname "$dir (deleted)" \) 2> /dev/null); do
		p=${p#/proc/}
		pg_alive "${p%/cwd}" && echo "${p%/cwd}"
	done
}

# pg_wait_gone NAME: polls until none of NAME's processes is left
pg_wait_gone() {
	local deadline=$((SECONDS + PG_WAIT))
	while [ -n "$(pg_cluster_procs "$1")" ]; do
		if [ "$SECONDS" -gt "$deadline" ]; then
			echo "pg: processes of $1 still running after $PG_WAIT s: $(pg_cluster_procs "$1" | tr '\n' ' ')" >&2
			return 1
		fi
		sleep 0.1
	done
}

# pg_conf NAME PORT: the settings the tests rely on, in data/socred_test.conf
# (which postgresql.conf includes; a standby's copy is rewritten the same way)
pg_conf() {
	local dir=$PG_DIR/$1
	printf '%s\n' "port = $2" "listen_addresses = '127.0.0.1'" \
		"unix_socket_directories = '$dir'" "fsync = off" "shared_buffers = 64MB" \
		"max_connections = 100" "wal_level = replica" "max_wal_senders = 10" \
		"hot_standby = on" "logging_collector = off" |
		pg_run tee "$dir/data/socred_test.conf" > /dev/null || return 1
	grep -qx "include = 'socred_test.conf'" "$dir/data/postgresql.conf" ||
		echo "include = 'socred_test.conf'" | pg_run tee -a "$dir/data/postgresql.conf" > /dev/null
}

# pg_start NAME [PORT]: starts an initialised cluster on a free loopback
# port, or on PORT. A port is drawn below Linux's ephemeral range and
# skipped when something answers there; one taken between that check and
# the server's bind makes the start fail with "could not bind", and another
# port is drawn (PORT given: the start fails).
pg_start() {
	local dir=$PG_DIR/$1 port
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=${2:-$((20000 + (RANDOM * 32768 + RANDOM) % 12000))}
		if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
			[ -n "${2:-}" ] && { echo "pg: port $port is taken" >&2; return 1; }
			continue
		fi
		pg_conf "$1" "$port" || return 1
		if pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t "$PG_WAIT" start > /dev/null; then
			echo "$port" > "$dir/port"
			PG_PORT=$port
			PG_URI=$(pg_uri "$1")
			return 0
		fi
		if [ -n "${2:-}" ] || ! grep -q 'could not bind\|could not create any TCP/IP sockets' "$dir/log"; then
			break
		fi
		pg_wait_gone "$1" || return 1
	done
	echo "pg: cluster $1 did not start; its log:" >&2
	tail -20 "$dir/log" >&2
	return 1
}

# pg_cluster_dir NAME: makes the empty directory of a new cluster, owned by
# the user that runs PostgreSQL
pg_cluster_dir() {
	if [ -e "$PG_DIR/$1" ]; then echo "pg: cluster $1 exists" >&2; return 1; fi
	mkdir -m 700 "$PG_DIR/$1" || return 1
	if [ ${#PG_AS[@]} -gt 0 ]; then chown postgres: "$PG_DIR/$1" || return 1; fi
}

pg_cluster_start() {
	local dir=$PG_DIR/$1
	pg_cluster_dir "$1" || return 1
	if ! pg_run "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-locale -E UTF8 -N \
		> "$PG_DIR/$1.initdb" 2>&1; then
		echo "pg: initdb of $1 failed:" >&2
		tail -20 "$PG_DIR/$1.initdb" >&2
		return 1
	fi
	pg_start "$1" || return 1
	PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 \
		-d "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -c 'CREATE DATABASE socred' || return 1
	PG_URI=$(pg_uri "$1")
}

pg_standby_create() {
	local dir=$PG_DIR/$2 port slot
	port=$(cat "$PG_DIR/$1/port" 2> /dev/null) || { echo "pg: no cluster $1" >&2; return 1; }
	slot=$(echo "$2" | tr -c 'a-z0-9_\n' '_')
	pg_cluster_dir "$2" || return 1
	if ! pg_run "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/data" \
		-R -X stream -c fast -C -S "$slot" > "$PG_DIR/$2.basebackup" 2>&1; then
		echo "pg: base backup of $1 for $2 failed:" >&2
		tail -20 "$PG_DIR/$2.basebackup" >&2
		return 1
	fi
	pg_start "$2" ${3:+"$3"}
}

pg_promote() {
	pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/$1/data" -w -t "$PG_WAIT" promote > /dev/null ||
		{ echo "pg: promotion of $1 failed" >&2; return 1; }
}

pg_cluster_kill9() {
	local pid
	pid=$(pg_pid "$1")
	[ -n "$pid" ] || { echo "pg: $1 has no postmaster.pid" >&2; return 1; }
	kill -KILL "$pid" || return 1
	# the postmaster's children see it die and exit by themselves
	pg_wait_gone "$1"
}

pg_cluster_stop() {
	local pid p
	pid=$(pg_pid "$1")
	if [ -n "$pid" ] && pg_alive "$pid"; then
		pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/$1/data" -m immediate -w -t "$PG_WAIT" stop > /dev/null 2>&1 ||
			kill -KILL "$pid" 2> /dev/null
	fi
	# what a killed postmaster left, by PID
	pg_wait_gone "$1" 2> /dev/null && return 0
	for p in $(pg_cluster_procs "$1"); do kill -KILL "$p" 2> /dev/null; done
	pg_wait_gone "$1"
}

pg_cleanup() {
	local d status=0
	[ -d "$PG_DIR" ] || return 0
	for d in "$PG_DIR"/*/data; do
		[ -d "$d" ] || continue
		d=${d%/data}
		pg_cluster_stop "${d##*/}" || status=1
	done
	rm -rf "$PG_DIR"
	return $status
}

# pg_trap_chain: pg_cleanup first on exit, then what the EXIT trap did
# before (lib.bash removes the test's directory); INT and TERM exit, so that
# the EXIT trap runs
pg_trap_chain() {
	local prev=
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && prev=$3
	# shellcheck disable=SC2064 # expanded now: the previous trap's text
	trap "pg_cleanup; $prev" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
# shellcheck disable=SC2119 # its set -- is its own
pg_trap_chain
