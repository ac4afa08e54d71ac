# PostgreSQL clusters for the end-to-end tests, sourced after lib.bash.
# Every cluster is a folder of its own under one temporary folder, on a free
# loopback port, started with initdb and pg_ctl from postgresql-15 (as the
# postgres user when the test runs as root: initdb refuses root) and
# stopped by its PID; no system service is assumed.
#
#   pg_start NAME [SETTING...]   a new cluster (settings: "key = value" lines)
#   pg_uri NAME [DB]             its URI (database DB, default postgres)
#   pg_sql NAME [DB] SQL         runs SQL with psql, prints the rows unaligned
#   pg_stop NAME                 a fast shutdown
#   pg_kill9 NAME                SIGKILL to the postmaster (a crash)
#   pg_restart NAME              starts it again (crash recovery after kill9)
#   pg_standby NAME FROM         a streaming standby of FROM (pg_basebackup)
#   pg_promote NAME              promotes a standby and waits for it
#   pg_cleanup                   stops every cluster and removes the folder
#
# The test calls pg_cleanup from its EXIT trap.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_ROOT=$(mktemp -d /tmp/socred-pg.XXXXXX)
chmod 755 "$PG_ROOT"
declare -A PG_PORT=()
[ "$(id -u)" = 0 ] && chown postgres "$PG_ROOT"

pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# a loopback port nothing listens on
pg_free_port() {
	local p
	while :; do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 30000 ))
		(exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || { echo "$p"; return; }
	done
}

# writes the settings every cluster of the tests has, then the caller's
pg_conf() {
	local name=$1 port=$2
	shift 2
	{
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$PG_ROOT'"
		echo "fsync = off"
		echo "full_page_writes = off"
		echo "shared_buffers = '32MB'"
		echo "max_connections = 60"
		local s
		for s in "$@"; do echo "$s"; done
	} | pg_as tee "$PG_ROOT/$name/postgresql.auto.conf" > /dev/null
}

pg_launch() {
	local name=$1 try
	for try in 1 2 3; do
		if pg_as "$PG_BIN/pg_ctl" -D "$PG_ROOT/$name" -l "$PG_ROOT/$name.log" -w -t 60 start > /dev/null 2>&1; then
			return 0
		fi
		# the port may have been taken meanwhile
		[ "$try" = 3 ] && break
		PG_PORT[$name]=$(pg_free_port)
		pg_as sed -i "s/^port = .*/port = ${PG_PORT[$name]}/" "$PG_ROOT/$name/postgresql.auto.conf"
	done
	echo "pg.bash: cluster $name did not start:" >&2
	tail -20 "$PG_ROOT/$name.log" >&2
	return 1
}

pg_start() {
	local name=$1
	shift
	pg_as "$PG_BIN/initdb" -D "$PG_ROOT/$name" -A trust -U postgres --no-locale -E UTF8 -N \
		> "$PG_ROOT/$name.initdb.log" 2>&1 || { cat "$PG_ROOT/$name.initdb.log" >&2; return 1; }
	PG_PORT[$name]=$(pg_free_port)
	pg_conf "$name" "${PG_PORT[$name]}" "$@"
	pg_launch "$name"
}

pg_uri() { echo "postgresql://postgres@127.0.0.1:${PG_PORT[$1]}/${2:-postgres}"; }

pg_sql() {
	local name=$1 db=postgres
	[ $# = 3 ] && { db=$2; shift; }
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$(pg_uri "$name" "$db")" -c "$2"
}

pg_pid() { head -1 "$PG_ROOT/$1/postmaster.pid" 2> /dev/null; }

pg_stop() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1" -m fast -w -t 60 stop > /dev/null 2>&1
}

pg_kill9() {
	local pid
	pid=$(pg_pid "$1")
	[ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null
	# the postmaster's children notice its death and exit; wait for the port
	local deadline=$((SECONDS + 30))
	while [ "$SECONDS" -le "$deadline" ] && (exec 3<> "/dev/tcp/127.0.0.1/${PG_PORT[$1]}") 2> /dev/null; do
		sleep 0.05
	done
	pg_as rm -f "$PG_ROOT/$1/postmaster.pid"
}

pg_restart() { pg_launch "$1"; }

pg_standby() {
	local name=$1 from=$2
	shift 2
	pg_as "$PG_BIN/pg_basebackup" -d "$(pg_uri "$from")" -D "$PG_ROOT/$name" -R -X stream \
		-c fast > "$PG_ROOT/$name.basebackup.log" 2>&1 ||
		{ cat "$PG_ROOT/$name.basebackup.log" >&2; return 1; }
	PG_PORT[$name]=$(pg_free_port)
	# pg_basebackup -R appended primary_conninfo to the copied auto.conf:
	# keep that line, replace the rest with this cluster's settings
	local conninfo
	conninfo=$(grep '^primary_conninfo' "$PG_ROOT/$name/postgresql.auto.conf")
	pg_conf "$name" "${PG_PORT[$name]}" "$@" "$conninfo" "cluster_name = '$name'"
	pg_launch "$name"
}

pg_promote() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1" -w -t 60 promote > /dev/null 2>&1
}

pg_cleanup() {
	local name
	for name in "${!PG_PORT[@]}"; do
		[ -f "$PG_ROOT/$name/postmaster.pid" ] &&
			pg_as "$PG_BIN/pg_ctl" -D "$PG_ROOT/$name" -m immediate -w stop > /dev/null 2>&1
	done
	rm -rf "$PG_ROOT"
}
