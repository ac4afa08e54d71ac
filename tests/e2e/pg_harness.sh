# The PostgreSQL test harness (tests/pg/pg.bash, tests/pg/with_pg.sh) on
# this machine: a primary and a streaming standby; a row written on the
# primary reaches the standby, which refuses writes; the primary is killed
# with SIGKILL, the standby promoted and written to; cleanup leaves no
# PostgreSQL process behind. with_pg.sh hands its command a working URI and
# passes on the command's exit status.
. "$(dirname "$0")/lib.bash"
. "$SRC/tests/pg/pg.bash"

# poll_eq WANT NAME SQL: polls until SQL on NAME prints WANT (60 s at most)
poll_eq() {
	local got deadline=$((SECONDS + 60))
	while :; do
		got=$(pg_psql "$2" "$3" 2> /dev/null)
		[ "$got" = "$1" ] && { ok; return; }
		[ "$SECONDS" -gt "$deadline" ] && { bad "'$got' != '$1' after 60 s ($2: $3)"; return; }
		sleep 0.1
	done
}

if ! pg_cluster_start primary; then bad "primary did not start"; finish; exit 1; fi
eq "$PG_URI" "postgresql://postgres@127.0.0.1:$PG_PORT/socred" "primary's URI"
eq "$(pg_psql primary "SELECT current_database() || ' ' || current_user || ' ' || current_setting('server_version_num')::int / 10000")" \
	"socred postgres 15" "database, user and version"
eq "$(pg_psql primary "SHOW fsync") $(pg_psql primary "SHOW wal_level") $(pg_psql primary "SHOW listen_addresses")" \
	"off replica 127.0.0.1" "primary's settings"
pg_psql primary "CREATE TABLE t (id int PRIMARY KEY, v text)"
eq "$?" "0" "create table"

if ! pg_standby_create primary standby; then bad "standby did not start"; finish; exit 1; fi
sport=$PG_PORT
eq "$([ "$sport" != "$(cat "$PG_DIR/primary/port")" ] && echo own)" "own" "standby's own port"
eq "$(pg_psql standby "SELECT pg_is_in_recovery()")" "t" "standby in recovery"
pg_psql primary "INSERT INTO t VALUES (1, 'on the primary')"
poll_eq "1|on the primary" standby "SELECT id, v FROM t"
expect_rc 1 pg_psql standby "INSERT INTO t VALUES (9, 'refused')"
has "$T/err" "read-only transaction"

ppid=$(pg_pid primary)
pg_cluster_kill9 primary
eq "$?" "0" "primary killed, all its processes gone"
eq "$(pg_alive "$ppid" && echo alive)" "" "primary's postmaster gone"
expect_rc 2 pg_psql primary "SELECT 1"

pg_promote standby
eq "$?" "0" "standby promoted"
eq "$(pg_psql standby "SELECT pg_is_in_recovery()")" "f" "standby out of recovery"
pg_psql standby "INSERT INTO t VALUES (2, 'on the promoted standby')"
eq "$(pg_psql standby "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM t")" \
	"1:on the primary,2:on the promoted standby" "rows on the promoted standby"

# cleanup stops every cluster and leaves none of their processes
dir=$PG_DIR
spid=$(pg_pid standby)
pg_cleanup
eq "$?" "0" "cleanup"
eq "$(pg_alive "$spid" && echo alive)" "" "standby's postmaster gone"
left=$(find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$dir/*" 2> /dev/null)
eq "$left" "" "no process left in a cluster's directory"
eq "$([ -e "$dir" ] && echo exists)" "" "clusters' directory removed"

# with_pg.sh: a command sees a working database and its status comes back
"$SRC/tests/pg/with_pg.sh" sh -c 'psql -X -tA -d "$SOCRED_TEST_PG" -c "SELECT 6 * 7" > "$0"; exit 3' "$T/with.out" \
	2> "$T/with.err"
eq "$?" "3" "with_pg.sh passes on the command's status"
eq "$(cat "$T/with.out")" "42" "with_pg.sh's database answers"
finish
