#!/usr/bin/env bash
# socred next to the engines a user would pick instead, in one run, on the
# same generated population and the same rulebook semantics (scores with
# windows, repair, revocation, caps, clamps, grades and grade caps, consent;
# list membership with grace, duration and repair): socred, sqlite3,
# PostgreSQL (Debian's, started here on a private socket and port) and DuckDB
# (npm @duckdb/node-api, which carries the engine). Each peer loads the CSV
# into its own table (timed: "load"), then computes every subject's
# scorecards and list entries into result tables (timed: "job"). Their
# answers are compared line by line with `socred results`; the script fails
# if any engine disagrees. The SQL is bench/peers/peers.mjs, written from
# the rulebook's JSON (`socred rulebook show --json`).
# Every timed step runs ROUNDS times (default 3; socred's run, the short
# one, five) and its median counts: this host's noise alone moved one
# `.import` from 174 to 260 s (bench/README.md, sixteenth session). socred's
# ingest and sqlite3's .import alternate, each into a fresh file.
# Then checks over HTTP next to nginx serving a static file (bench/http.sh,
# same run) unless HTTP=0.
# Usage: bench/peers.sh [PEOPLE]     (default 1000000: about 10 M records)
#        HTTP=0 bench/peers.sh ...    skip the HTTP part
#        ROUNDS=1 bench/peers.sh ...  time each step once
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-1000000}
ORGS=$((PEOPLE / 20))
AT=2025-12-31
OUT=$PWD/bench/out/peers-$PEOPLE
PORT=${PGPORT_BENCH:-54329}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v sqlite3 > /dev/null || need+=(sqlite3)
command -v /usr/bin/time > /dev/null || need+=(time)
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || need+=(postgresql)
command -v node > /dev/null || need+=(nodejs npm)
[ ${#need[@]} = 0 ] || { as_root apt-get update -qq; as_root apt-get install -y -qq "${need[@]}" > /dev/null; }
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
# npm 11 refuses this lock in `npm ci` (it wants entries for the other
# platforms' optional DuckDB bindings, which `npm install` leaves out):
# then `npm install`, which installs the same locked versions
(cd bench/peers && [ -d node_modules/@duckdb/node-api ] ||
	npm ci --no-audit --no-fund --loglevel=error 2> /dev/null ||
	npm install --no-audit --no-fund --loglevel=error >&2)
SOCRED_SETUP_TESTS=1 scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
S=$PWD/build/socred
PEERS="node $PWD/bench/peers/peers.mjs"
RES=$OUT/times
ALL=$OUT/rounds
: > "$RES"
: > "$ALL"

# step NAME CMD...: wall seconds and peak RSS (MiB) of one command, a line
# of $ALL
step() {
	local name=$1; shift
	/usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@"
	read -r secs kib < "$OUT/$name.time"
	echo "$name $secs $((kib / 1024))" | tee -a "$ALL" >&2
}
# settle NAME: NAME's median round (by seconds) is its line of $RES
settle() {
	awk -v k="$1" '$1 == k' "$ALL" | sort -k2,2n |
		awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}' | tee -a "$RES"
}
# agree NAME FILE: compares an engine's results with socred's
agree() {
	LC_ALL=C sort "$2" > "$2.sorted"
	if cmp -s "$2.sorted" "$OUT/socred.sorted"; then
		echo "$1: the same $(wc -l < "$2.sorted") result lines as socred" | tee -a "$OUT/agreement"
	else
		echo "$1 DISAGREES with socred: $(diff "$2.sorted" "$OUT/socred.sorted" | grep -c '^[<>]') lines differ, e.g.:" | tee -a "$OUT/agreement" >&2
		{ diff "$2.sorted" "$OUT/socred.sorted" || true; } | head -6 >&2
		FAILED=1
	fi
}
FAILED=0
: > "$OUT/agreement"

if [ ! -s "$OUT/city.csv" ]; then
	echo "== generate $PEOPLE people, $ORGS organisations" >&2
	"$S" generate --people "$PEOPLE" --orgs "$ORGS" --seed 1 > "$OUT/city.csv"
fi
CSV=$OUT/city.csv
records=$(grep -c '^,' "$CSV")
"$S" rulebook show rulebooks/default.yaml --json > "$OUT/rulebook.json"

echo "== socred ingest and sqlite3 .import, alternating, $ROUNDS rounds" >&2
for r in $(seq "$ROUNDS"); do
	rm -f "$OUT"/ledger.db* "$OUT"/peer.sqlite*
	"$S" --db "$OUT/ledger.db" init > /dev/null
	step socred_ingest sh -c "'$S' --db '$OUT/ledger.db' ingest '$CSV' > /dev/null"
	step sqlite_load sqlite3 "$OUT/peer.sqlite" ".import --csv $CSV city"
done
settle socred_ingest
settle sqlite_load

echo "== socred: run (building the image), run again, results" >&2
step socred_run_build sh -c "'$S' --db '$OUT/ledger.db' run --at $AT > /dev/null"
settle socred_run_build
# a run takes about half a second, where this host's noise alone moved it
# from 0.50 to 0.92 s (bench/README.md, thirteenth session): five runs, the
# median is the one the ratios use
runs=()
for k in 1 2 3 4 5; do
	/usr/bin/time -f "%e %M" -o "$OUT/socred_run.time" \
		sh -c "'$S' --db '$OUT/ledger.db' run --at $AT --json > '$OUT/run.json'"
	runs+=("$(cat "$OUT/socred_run.time")")
done
printf '%s\n' "${runs[@]}" | while read -r secs kib; do
	echo "socred_run $secs $((kib / 1024))"
done >> "$ALL"
settle socred_run
"$S" --db "$OUT/ledger.db" results | tail -n +2 > "$OUT/socred.tsv"
LC_ALL=C sort "$OUT/socred.tsv" > "$OUT/socred.sorted"

echo "== sqlite3: the job in SQL on the last round's .import, $ROUNDS rounds" >&2
$PEERS sql sqlite "$OUT/rulebook.json" $AT > "$OUT/job.sqlite.sql"
for r in $(seq "$ROUNDS"); do
	rm -f "$OUT"/jobdb.sqlite*
	cp "$OUT/peer.sqlite" "$OUT/jobdb.sqlite"
	step sqlite_job sh -c "sqlite3 '$OUT/jobdb.sqlite' < '$OUT/job.sqlite.sql'"
done
settle sqlite_job
sqlite3 -tabs "$OUT/jobdb.sqlite" "$($PEERS export sqlite)" > "$OUT/sqlite.tsv"
agree sqlite3 "$OUT/sqlite.tsv"
rm -f "$OUT"/peer.sqlite* "$OUT"/jobdb.sqlite*

echo "== PostgreSQL $(basename "$(dirname "$PGBIN")"): COPY, then the job in SQL" >&2
PGD=$OUT/pg
rm -rf "$PGD"
mkdir -p "$PGD"
PGRUN=()
if [ "$(id -u)" = 0 ]; then chown postgres "$PGD"; PGRUN=(runuser -u postgres --); chmod o+r "$CSV"; fi
"${PGRUN[@]}" "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 --no-locale > "$PGD/initdb.log"
# a bench cluster: no durability (as the others' loads), memory for the job
"${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -o "-p $PORT -k $PGD -c listen_addresses='' \
	-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=2GB \
	-c work_mem=512MB -c maintenance_work_mem=1GB -c max_parallel_workers_per_gather=2" start > /dev/null
trap '"${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGD/data" -w stop > /dev/null 2>&1 || true' EXIT
PSQL=(psql -X -q -h "$PGD" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
$PEERS sql postgres "$OUT/rulebook.json" $AT > "$OUT/job.pg.sql"
for r in $(seq "$ROUNDS"); do
	"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS city"
	step postgres_load "${PSQL[@]}" -c "CREATE UNLOGGED TABLE city(op text, record_id text, subject text,
		type text, date date, amount bigint, source text, ref text)" \
		-c "COPY city FROM '$CSV' WITH (FORMAT csv, HEADER true)"
done
settle postgres_load
# each round's result tables in a schema of their own
for r in $(seq "$ROUNDS"); do
	"${PSQL[@]}" -c "CREATE SCHEMA r$r"
	step postgres_job "${PSQL[@]}" -c "SET search_path = r$r, public" -f "$OUT/job.pg.sql"
done
settle postgres_job
"${PSQL[@]}" -A -t -F $'\t' -c "SET search_path = r$ROUNDS, public" \
	-c "$($PEERS export postgres)" > "$OUT/postgres.tsv"
agree PostgreSQL "$OUT/postgres.tsv"
"${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGD/data" -w stop > /dev/null
trap - EXIT
rm -rf "$PGD"

echo "== DuckDB $(node -p 'require("./bench/peers/node_modules/@duckdb/node-api/package.json").version'): read_csv into a table, then the job in SQL" >&2
for r in $(seq "$ROUNDS"); do
	step duckdb_total sh -c "$PEERS duckdb '$CSV' '$OUT/rulebook.json' $AT '$OUT/duckdb.tsv' > '$OUT/duckdb.json'"
	node -e 'const j = require(process.argv[1]); console.log(`duckdb_load ${j.load.toFixed(2)} -`); console.log(`duckdb_job ${j.job.toFixed(2)} -`)' \
		"$OUT/duckdb.json" >> "$ALL"
done
settle duckdb_total
settle duckdb_load
settle duckdb_job
agree DuckDB "$OUT/duckdb.tsv"

{
	echo "socred peers: $PEOPLE people, $ORGS organisations, $records records; $(nproc) cores, $(date -u +%F)"
	echo
	printf "%-18s %9s %9s\n" step seconds "peak MiB"
	while read -r name secs mib; do printf "%-18s %9s %9s\n" "$name" "$secs" "$mib"; done < "$RES"
	echo
	cat "$OUT/agreement"
	echo
	echo "each step's rounds (s), the median above:"
	awk '{t[$1] = t[$1] " " $2} !($1 in o) {o[$1] = n++; k[n - 1] = $1}
	     END {for (i = 0; i < n; i++) printf "  %-16s%s\n", k[i], t[k[i]]}' "$ALL"
	t() { awk -v k="$1" '$1 == k {print $2}' "$RES"; }
	run=$(t socred_run)
	echo "run phases (s): $(grep -o '"phases":{[^}]*}' "$OUT/run.json")"
	for peer in sqlite postgres duckdb; do
		awk -v p=$peer -v j="$(t ${peer}_job)" -v l="$(t ${peer}_load)" -v r="$run" \
		    -v i="$(t socred_ingest)" 'BEGIN {
			printf "%-9s job / socred run: %6.1fx   load / socred ingest: %5.2fx\n", p, j / r, l / i }'
	done
	awk -v d="$(t duckdb_load)" -v j="$(t duckdb_job)" -v r="$run" -v b="$(t socred_run_build)" 'BEGIN {
		printf "duckdb straight from the CSV (load + job) / socred run: %.1fx; / socred run building its image: %.2fx\n", (d + j) / r, (d + j) / b }'
} | tee "$OUT/summary.txt"

if [ "$FAILED" != 0 ]; then
	echo "bench/peers.sh: an engine disagrees with socred (above)" >&2
	exit 1
fi
if [ "${HTTP:-1}" != 0 ]; then
	echo "== checks over HTTP next to nginx (bench/http.sh on this ledger)" >&2
	bench/http.sh "$OUT/ledger.db" "${HTTP_SECONDS:-15}"
fi
