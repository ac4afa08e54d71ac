#!/usr/bin/env bash
# Runs a command against a PostgreSQL 15 cluster of its own: initdb in a
# temporary folder, a free loopback port, SOCRED_TEST_PG set to an admin URI
# (the "postgres" database; tests make databases of their own), then stops
# the cluster and exits with the command's status. As root, PostgreSQL runs
# as the postgres user (initdb refuses root).
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
tmp=$(mktemp -d /tmp/socred-pg.XXXXXX)
chmod 755 "$tmp"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
cleanup() {
	if [ -f "$tmp/data/postmaster.pid" ]; then
		as_pg "$BIN/pg_ctl" -D "$tmp/data" -m immediate -w stop > /dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$tmp/data" -A trust -U postgres --no-locale -E UTF8 -N > "$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; exit 1; }
for try in 1 2 3 4 5 6 7 8; do
	port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 30000 ))
	cat > "$tmp/data/postgresql.auto.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = '64MB'
max_connections = 100
CONF
	if as_pg "$BIN/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -t 60 start > /dev/null 2>&1; then
		export SOCRED_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
		mkdir -p "$tmp/state"
		export SOCRED_STATE_DIR="$tmp/state"
		set +e
		"$@"
		rc=$?
		set -e
		exit $rc
	fi
done
echo "with_pg.sh: PostgreSQL did not start:" >&2
cat "$tmp/log" >&2 || true
exit 1
