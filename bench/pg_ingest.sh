#!/usr/bin/env bash
# Ingest into PostgreSQL against psql's \copy of the same CSV into a bare
# table with the same columns (no validation, no duplicate detection, no
# index), on a PostgreSQL cluster of its own (tests/pg/with_pg.sh); SQLite
# ingest of the same file for reference; and "restore": the rows the ingest
# stored (records, subjects, events, consents, types, sources), loaded by
# psql into a fresh ledger the way pg_restore loads (\copy of each table
# in one transaction with records' three secondary indexes dropped and
# built after), which is what any loader storing the same rows with the
# same indexes and checks does at least. Runs A B A B... (ROUNDS of each),
# prints every run's wall time and CPU time (socred's user+sys; the
# server's: the postmaster's, its live and its reaped children's ticks in
# /proc), the medians and the
# ratio ingest / \copy (issue 25's target: at most 1.5).
# Usage: bench/pg_ingest.sh [PEOPLE [ROUNDS]]   (default 100000 people, 3 rounds;
#        the issue's size is 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SOCRED_TEST_PG:-}" ]; then
	exec tests/pg/with_pg.sh "$0" "$@"
fi
PEOPLE=${1:-100000}
ROUNDS=${2:-3}
S=$PWD/build/socred
OUT=$(mktemp -d /tmp/socred-pgbench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
chmod 755 "$OUT"
ADMIN=$SOCRED_TEST_PG
BASE=${ADMIN%/postgres}
export PGOPTIONS="-c client_min_messages=warning"
command -v /usr/bin/time > /dev/null || { echo "bench: needs /usr/bin/time" >&2; exit 1; }

"$S" generate --people "$PEOPLE" --orgs $((PEOPLE / 20)) --seed 1 > "$OUT/city.csv" 2> /dev/null
lines=$(($(wc -l < "$OUT/city.csv") - 1))
echo "city: $PEOPLE people, $((PEOPLE / 20)) organisations, $lines lines, $(stat -c %s "$OUT/city.csv") bytes"

# the server's CPU seconds so far, in ticks: the postmaster's own and its
# reaped children's, and its live children's
PM=$(head -1 "$(psql "$ADMIN" -Atc "show data_directory")/postmaster.pid")
pg_cpu() {
	local t=0 ticks p
	for p in $PM $(pgrep -P "$PM"); do
		ticks=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2> /dev/null || echo 0)
		t=$((t + ticks))
	done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# run NAME CMD...: appends "NAME wall user+sys server_cpu" to $OUT/runs
run() {
	local name=$1; shift
	local c0 c1 rc=0
	c0=$(pg_cpu)
	/usr/bin/time -f "%e %U %S" -o "$OUT/t" "$@" > /dev/null 2>&1 || rc=$?
	c1=$(pg_cpu)
	[ "$rc" -le 1 ] || { echo "bench: $name failed with exit $rc" >&2; cat "$OUT/err" >&2 || true; exit "$rc"; }
	read -r wall u s < "$OUT/t"
	local srv
	srv=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
	printf '%-8s wall %7.2f s  socred cpu %6.2f s  server cpu %7.2f s\n' "$name" "$wall" \
		"$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" "$srv"
	echo "$name $wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $srv" >> "$OUT/runs"
}

cols="op text, record_id text, subject text, type text, date text, amount text, source text, ref text"
: > "$OUT/runs"
for r in $(seq "$ROUNDS"); do
	db=ing$r
	psql "$ADMIN" -qc "drop database if exists $db" -c "create database $db"
	"$S" --db "$BASE/$db" init > /dev/null
	run ingest "$S" --db "$BASE/$db" ingest "$OUT/city.csv" --rejects /dev/null
	if [ "$r" = 1 ]; then
		for t in types sources subjects records events consents; do
			psql "$BASE/$db" -qc "\\copy $t to '$OUT/$t.copy'"
		done
		{
			echo "begin;"
			echo "select set_config('socred.cseq', '1', true);"
			echo "alter table records drop constraint records_record_id;"
			echo "drop index records_subject; drop index records_cseq;"
			for t in types sources subjects records events consents; do
				echo "\\copy $t from '$OUT/$t.copy'"
			done
			echo "alter table records add constraint records_record_id unique (record_id);"
			echo "create index records_subject on records(subject);"
			echo "create index records_cseq on records(cseq);"
			echo "commit;"
		} > "$OUT/restore.sql"
	fi
	psql "$ADMIN" -qc "drop database $db"
	psql "$ADMIN" -qc "drop database if exists rst$r" -c "create database rst$r"
	"$S" --db "$BASE/rst$r" init > /dev/null
	run restore psql "$BASE/rst$r" -q -v ON_ERROR_STOP=1 -f "$OUT/restore.sql"
	psql "$ADMIN" -qc "drop database rst$r"
	psql "$ADMIN" -qc "drop table if exists t" -c "create table t ($cols)"
	run copy psql "$ADMIN" -c "\\copy t FROM '$OUT/city.csv' CSV HEADER"
	psql "$ADMIN" -qc "drop table t"
	rm -f "$OUT/s.db"*
	"$S" --db "$OUT/s.db" init > /dev/null
	run sqlite "$S" --db "$OUT/s.db" ingest "$OUT/city.csv" --rejects /dev/null
done

# median of column C for NAME
med() {
	awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$OUT/runs" | sort -g |
		awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
echo "medians of $ROUNDS ($lines lines):"
for n in ingest copy restore sqlite; do
	w=$(med $n 2)
	printf '%-8s wall %7.2f s (%.0f lines/s)  socred cpu %6.2f s  server cpu %7.2f s\n' "$n" "$w" \
		"$(awk -v l="$lines" -v w="$w" 'BEGIN {print l / w}')" "$(med $n 3)" "$(med $n 4)"
done
awk -v a="$(med ingest 2)" -v b="$(med copy 2)" -v c="$(med ingest 4)" -v e="$(med ingest 3)" \
	-v f="$(med copy 4)" -v g="$(med copy 3)" 'BEGIN {
	printf "ratio ingest / \\copy: wall %.2f, cpu (socred+server vs psql+server) %.2f\n",
		a / b, (c + e) / (f + g) }'
awk -v a="$(med restore 2)" -v b="$(med copy 2)" -v c="$(med ingest 2)" 'BEGIN {
	printf "ratio restore / \\copy: wall %.2f; ingest / restore: wall %.2f\n", a / b, c / a }'
