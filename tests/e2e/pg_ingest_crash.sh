# Crash safety of an ingest into PostgreSQL: SIGKILL socred in the middle
# of a first load into an empty ledger (one transaction that builds records'
# indexes at its commit), run the ingest again; the same with PostgreSQL's
# postmaster killed; then SIGKILL socred in the middle of an ingest into a
# filled ledger (a transaction per batch). Each time nothing is
# half-written (a killed first load leaves the ledger empty, with its
# indexes), no line is rejected when it runs again (every one is accepted
# or a duplicate), and the ledger ends holding exactly what an
# uninterrupted ingest of the same file into SQLite holds. The test starts a PostgreSQL 15 cluster of its own (as
# tests/pg/with_pg.sh does) and stops it by its PID.
. "$(dirname "$0")/lib.bash"

BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$BIN/initdb" ]; then
	bad "PostgreSQL 15 is missing ($BIN/initdb): install postgresql-15"
	finish
	exit 1
fi
PGT=$(mktemp -d /tmp/socred-pgcrash.XXXXXX)
chmod 755 "$PGT"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGT"
pg_ctl_() { as_pg "$BIN/pg_ctl" -D "$PGT/data" "$@"; }
cleanup() {
	[ -f "$PGT/data/postmaster.pid" ] && pg_ctl_ -m immediate -w stop > /dev/null 2>&1
	rm -rf "$PGT" "$T"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$PGT/data" -A trust -U postgres --no-locale -E UTF8 -N > "$PGT/initdb.log" 2>&1 ||
	{ cat "$PGT/initdb.log"; bad "initdb"; finish; exit 1; }
started=0
for try in 1 2 3 4 5 6 7 8; do
	port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 30000 ))
	cat > "$PGT/data/postgresql.auto.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGT'
shared_buffers = '64MB'
CONF
	if pg_ctl_ -l "$PGT/log" -w -t 60 start > /dev/null 2>&1; then started=1; break; fi
done
[ "$started" = 1 ] || { cat "$PGT/log"; bad "PostgreSQL did not start"; finish; exit 1; }
ADMIN="postgresql://postgres@127.0.0.1:$port/postgres"
export SOCRED_DB="postgresql://postgres@127.0.0.1:$port/ledger"
export SOCRED_STATE_DIR="$T/state"
mkdir -p "$SOCRED_STATE_DIR"
psql -qX "$ADMIN" -c "CREATE DATABASE ledger" > /dev/null
q() { psql -qXAt "$SOCRED_DB" -c "$1"; }

# more lines than one ingest transaction holds (SC_PQ_INGEST_LINES), so
# that a batch is committed while the ingest goes on
# (a first load of it lasts long enough to be caught in its middle: a few
# seconds; under memcheck socred is slow enough with fewer people)
people=30000
[ -n "${SOCRED_VALGRIND:-}" ] && people=6000
"$SOCRED" generate --people $people --orgs $((people / 20)) --seed 5 > city.csv 2> /dev/null
"$SOCRED" --db clean.db init > /dev/null
"$SOCRED" --db clean.db ingest city.csv --rejects /dev/null > /dev/null 2>&1
eq "$?" "0" "clean SQLite ingest"
"$SOCRED" init > /dev/null
eq "$?" "0" "init on PostgreSQL"

# the ledger's content in a form both backends print alike
SQL_REC="SELECT r.record_id, s.ext_id, t.name, r.date, r.amount, so.name, r.ref FROM records r
 JOIN subjects s ON s.id = r.subject JOIN types t ON t.id = r.type
 JOIN sources so ON so.id = r.source ORDER BY r.record_id"
SQL_EV="SELECT r.record_id, e.op, e.date, e.ref FROM events e JOIN records r ON r.rid = e.rid
 ORDER BY r.record_id, e.op"
SQL_CO="SELECT s.ext_id, c.scorecard, c.granted, c.date FROM consents c
 JOIN subjects s ON s.id = c.subject ORDER BY c.seq"
SQL_SUBJ="SELECT ext_id, kind FROM subjects ORDER BY ext_id"
for k in REC EV CO SUBJ; do
	eval "sql=\$SQL_$k"
	sqlite3 clean.db "$sql" > "clean.$k"
done

# ingest: runs the ingest again. The ledger's summary line needs the
# ingest's audit entry: until PostgreSQL keeps the audit log, its refusal
# at the end (after every batch is stored) is the only failure accepted.
ingest_again() {
	rm -f again.rejects.csv
	"$SOCRED" ingest city.csv --rejects again.rejects.csv > again.out 2> again.err
	local rc=$?
	if [ "$rc" != 0 ] && ! { [ "$rc" = 2 ] && [ "$(grep -v 'warning:' again.err)" = \
		"socred: the postgresql ledger backend cannot do this yet (store op audit_append)" ]; }; then
		bad "ingest after $1: exit $rc"
		sed 's/^/  | /' again.err | grep -v warning: | head -5
	else
		ok
	fi
	eq "$(tail -n +2 again.rejects.csv 2> /dev/null | grep -c .)" "0" "no line rejected after $1"
}
# compare: the ledger holds what the clean SQLite ledger holds, and no half
# record (every record's subject, type and source, every event's record)
compare() {
	for k in REC EV CO SUBJ; do
		eval "sql=\$SQL_$k"
		q "$sql" > "pg.$k"
		if cmp -s "clean.$k" "pg.$k"; then ok; else
			bad "$k after $1 differs ($(wc -l < "clean.$k") vs $(wc -l < "pg.$k") rows)"
			diff "clean.$k" "pg.$k" | head -5
		fi
	done
	eq "$(q "SELECT count(*) FROM records r LEFT JOIN subjects s ON s.id = r.subject
		LEFT JOIN types t ON t.id = r.type LEFT JOIN sources so ON so.id = r.source
		WHERE s.id IS NULL OR t.id IS NULL OR so.id IS NULL")" "0" "no half record after $1"
}
# wait_copy: polls until a first load has been under way for a second: it
# holds records locked from its start to its commit (nothing here may
# touch records itself, or it would wait for that commit)
wait_copy() {
	local i
	for i in $(seq 6000); do
		[ "$(q "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a
			ON a.pid = l.pid WHERE l.relation = 'records'::regclass
			AND l.mode = 'AccessExclusiveLock' AND l.granted
			AND now() - a.xact_start > interval '1 second')" 2> /dev/null)" = t ] && return 0
		kill -0 "$1" 2> /dev/null || return 1
		sleep 0.05
	done
	return 1
}
# empty_load: a killed first load left nothing, and records' indexes
empty_load() {
	eq "$(q "SELECT count(*) FROM records")" "0" "no record after $1"
	eq "$(q "SELECT count(*) FROM subjects")" "0" "no subject after $1"
	eq "$(q "SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes
		WHERE tablename = 'records'")" "records_cseq records_pkey records_record_id records_subject" \
		"records' indexes after $1"
}
# wait_records: polls until the ledger shows more than $2 committed records
wait_records() {
	local i
	for i in $(seq 6000); do
		[ "$(q "SELECT count(*) > ${2:-0} FROM records" 2> /dev/null)" = t ] && return 0
		kill -0 "$1" 2> /dev/null || return 1
		sleep 0.05
	done
	return 1
}

# 0. every line's outcome as on SQLite: duplicates, conflicts (each
# naming its field), events refused by the rules (one before its record's
# line), consents repeated
cat > mixed.csv <<'CSV'
op,record_id,subject,type,date,amount,source,ref
,m-1,110101194001040000,traffic.violation,2023-01-25,,traffic,
,m-2,110101194001040000,civic.volunteering,2023-03-13,4,civil,
,m-1,110101194001040000,traffic.violation,2023-01-25,,traffic,
,m-1,110101194001040000,traffic.violation,2023-01-26,,traffic,
,m-1,110105194001040006,traffic.violation,2023-01-25,,traffic,
,m-2,110101194001040000,civic.volunteering,2023-03-13,5,civil,
,m-2,110101194001040000,civic.volunteering,2023-03-13,4,civil,r
rectify,m-1,,,2023-02-01,,traffic,
rectify,m-1,,,2023-02-01,,traffic,
rectify,m-1,,,2023-02-02,,traffic,
revoke,m-2,,,2023-03-01,,civil,
revoke,m-2,,,2023-03-20,,market,
revoke,m-2,,,2023-03-20,,civil,
rectify,m-2,,,2023-03-21,,civil,
rectify,m-9,,,2023-03-21,,civil,
consent,,110105194001040006,public,2023-01-01,,,
consent,,110105194001040006,public,2023-01-01,,,
withdraw,,110105194001040006,public,2023-01-01,,,
consent,,110105194001040006,public,2023-01-01,,,
consent,,110105194001040006,public,2023-01-01,,,
,m-3,110105194001040006,traffic.violation,2023-01-25,,traffic,
rectify,m-4,,,2023-02-01,,traffic,
,m-4,110101194001040000,traffic.violation,2023-01-25,,traffic,
rectify,m-4,,,2023-02-01,,traffic,
CSV
"$SOCRED" --db mixed.db init > /dev/null
"$SOCRED" --db mixed.db ingest mixed.csv --rejects sqlite.rej > /dev/null 2>&1
eq "$?" "1" "mixed file into SQLite"
"$SOCRED" ingest mixed.csv --rejects pg.rej > /dev/null 2>&1
if cmp -s sqlite.rej pg.rej; then ok; else bad "rejected lines differ"; diff sqlite.rej pg.rej | head; fi
eq "$(grep -c . pg.rej)" "11" "rejected lines and the header"
for k in REC EV CO SUBJ; do
	eval "sql=\$SQL_$k"
	if [ "$(sqlite3 mixed.db "$sql")" = "$(q "$sql")" ]; then ok; else bad "$k of the mixed file differs"; fi
done
psql -qX "$ADMIN" -c "DROP DATABASE ledger WITH (FORCE)" -c "CREATE DATABASE ledger" > /dev/null
"$SOCRED" init > /dev/null

# 1. socred killed in the middle of a first load
"$SOCRED" ingest city.csv --rejects first.rejects.csv > first.out 2>&1 &
pid=$!
if wait_copy "$pid"; then ok; else bad "no COPY into records before the ingest ended"; fi
kill -9 "$pid" 2> /dev/null && ok || bad "ingest ended before it was killed"
wait "$pid" 2> /dev/null
# the killed client's backend rolls back as it notices
for i in $(seq 600); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = 'ledger'
		AND pid <> pg_backend_pid()")" = 0 ] && break
	sleep 0.1
done
empty_load "socred killed in a first load"
ingest_again "socred killed in a first load"
compare "socred killed in a first load"

# 2. PostgreSQL killed mid-ingest (a fresh ledger)
psql -qX "$ADMIN" -c "DROP DATABASE ledger WITH (FORCE)" -c "CREATE DATABASE ledger" > /dev/null
"$SOCRED" init > /dev/null
"$SOCRED" ingest city.csv --rejects second.rejects.csv > second.out 2>&1 &
pid=$!
if wait_copy "$pid"; then ok; else bad "no COPY into records before the ingest ended"; fi
pm=$(head -1 "$PGT/data/postmaster.pid")
kill -9 "$pm" && ok || bad "cannot kill the postmaster $pm"
wait "$pid" 2> /dev/null
eq "$?" "2" "ingest fails when PostgreSQL goes"
# the killed server's backends leave as they notice; start polls for that
started=0
for i in $(seq 120); do
	if pg_ctl_ -l "$PGT/log" -w -t 60 start > /dev/null 2>&1; then started=1; break; fi
	sleep 0.5
done
eq "$started" "1" "PostgreSQL restarts"
empty_load "PostgreSQL killed in a first load"
ingest_again "PostgreSQL killed"
compare "PostgreSQL killed"

# 3. socred killed mid-ingest into a filled ledger: a transaction per
# batch, some committed before the kill
psql -qX "$ADMIN" -c "DROP DATABASE ledger WITH (FORCE)" -c "CREATE DATABASE ledger" > /dev/null
"$SOCRED" init > /dev/null
head -1001 city.csv > head.csv
"$SOCRED" ingest head.csv --rejects /dev/null > /dev/null 2>&1
eq "$?" "0" "the file's first lines"
before=$(q "SELECT count(*) FROM records")
"$SOCRED" ingest city.csv --rejects third.rejects.csv > third.out 2>&1 &
pid=$!
if wait_records "$pid" "$before"; then ok; else bad "no batch committed before the ingest ended"; fi
kill -9 "$pid" 2> /dev/null && ok || bad "ingest ended before it was killed"
wait "$pid" 2> /dev/null
n=$(q "SELECT count(*) FROM records")
echo "socred killed with $n records stored"
ingest_again "socred killed"
compare "socred killed"
finish
