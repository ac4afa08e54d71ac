#!/usr/bin/env bash
# The core benchmark: generate PEOPLE people (and PEOPLE/20 organisations),
# ingest them into a fresh ledger, run the population, and time each step with
# its peak memory, next to the peer a user would reach for first: sqlite3's
# .import of the same CSV into a plain table (no validation, no duplicate
# detection) and a plain SQL count over it.
# Usage: bench/run.sh [PEOPLE]     (default 1000000, about 10 million records)
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-1000000}
ORGS=$((PEOPLE / 20))
OUT=bench/out
AT=2025-12-31

SOCRED_SETUP_TESTS=1 scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
command -v /usr/bin/time > /dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq time > /dev/null || sudo apt-get install -y -qq time > /dev/null; }
S=$PWD/build/socred
mkdir -p "$OUT"
rm -f "$OUT"/bench.db* "$OUT"/peer.db* "$OUT"/*.rejects.csv

# step NAME CMD...: wall seconds and peak RSS (MiB) of one command
step() {
	local name=$1; shift
	local rc=0
	/usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" || rc=$?
	# ingest exits 1 when some lines were rejected: a result, not a failure
	[ "$rc" -le 1 ] || { echo "bench: $name failed with exit $rc" >&2; exit "$rc"; }
	read -r secs kib < "$OUT/$name.time"
	echo "$name $secs $((kib / 1024))" >> "$OUT/steps"
}
: > "$OUT/steps"

echo "== generate $PEOPLE people, $ORGS organisations" >&2
step generate sh -c "'$S' generate --people $PEOPLE --orgs $ORGS --seed 1 > '$OUT/city.csv'"
lines=$(($(wc -l < "$OUT/city.csv") - 1))
records=$(grep -c '^,' "$OUT/city.csv")
bytes=$(stat -c %s "$OUT/city.csv")

echo "== socred ingest ($lines lines, $records records)" >&2
"$S" --db "$OUT/bench.db" init > /dev/null
step ingest "$S" --db "$OUT/bench.db" ingest "$OUT/city.csv" --rejects "$OUT/rejects.csv"

echo "== socred run: the first builds the population image, the second finds it up to date" >&2
step run_build sh -c "'$S' --db '$OUT/bench.db' run --at $AT > '$OUT/run.txt'"
step run sh -c "'$S' --db '$OUT/bench.db' run --at $AT --json > '$OUT/run.json'"
echo "== socred run --from-ledger: the reference, straight from SQLite on one thread" >&2
step run_ledger sh -c "'$S' --db '$OUT/bench.db' run --at $AT --from-ledger > /dev/null"

echo "== socred whatif: the run under the rulebook in force and a draft together" >&2
# the draft: a stricter A grade and a shorter defaulters' list
sed -e 's/{grade: A, min: 960}/{grade: A, min: 990}/' \
    -e '/name: judgment_defaulters/,/basis/s/duration_days: 730/duration_days: 365/' \
    rulebooks/default.yaml > "$OUT/draft.yaml"
step whatif sh -c "'$S' --db '$OUT/bench.db' whatif '$OUT/draft.yaml' --at $AT > '$OUT/whatif.txt'"

echo "== peer: sqlite3 .import of the same file" >&2
step sqlite_import sqlite3 "$OUT/peer.db" -cmd "PRAGMA journal_mode=WAL" ".import --csv $OUT/city.csv city"
step sqlite_scan sqlite3 "$OUT/peer.db" "SELECT subject, count(*), sum(amount) FROM city GROUP BY subject" -cmd ".output /dev/null"

ledger=$(stat -c %s "$OUT/bench.db")
{
	echo "socred bench: $PEOPLE people, $ORGS organisations: $lines lines, $records records, $((bytes / 1048576)) MiB of CSV"
	echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
	echo
	printf "%-16s %10s %14s %10s\n" step seconds "lines/s" "peak MiB"
	while read -r name secs mib; do
		rate=$(awk -v l="$lines" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? l / s : 0) }')
		printf "%-16s %10s %14s %10s\n" "$name" "$secs" "$rate" "$mib"
	done < "$OUT/steps"
	echo
	ing=$(awk '$1 == "ingest" {print $2}' "$OUT/steps")
	imp=$(awk '$1 == "sqlite_import" {print $2}' "$OUT/steps")
	run=$(awk '$1 == "run" {print $2}' "$OUT/steps")
	scan=$(awk '$1 == "sqlite_scan" {print $2}' "$OUT/steps")
	awk -v a="$ing" -v b="$imp" 'BEGIN { printf "ingest / sqlite3 .import: %.2fx the time (validated, deduplicated, indexed, append-only ledger vs a bare table)\n", a / b }'
	wi=$(awk '$1 == "whatif" {print $2}' "$OUT/steps")
	awk -v a="$wi" -v b="$run" 'BEGIN { printf "whatif (two rulebooks) / run (one): %.2fx the time (the run also writes the snapshot)\n", a / b }'
	rl=$(awk '$1 == "run_ledger" {print $2}' "$OUT/steps")
	awk -v a="$run" -v b="$rl" 'BEGIN { printf "run from the image / run from the ledger: %.2fx the time\n", a / b }'
	echo "run phases (s): $(grep -o '"phases":{[^}]*}' "$OUT/run.json")"
	awk -v a="$run" -v b="$scan" 'BEGIN { printf "run / SQL GROUP BY over the bare table: %.2fx the time (full scoring, lists and the snapshot vs one aggregate)\n", a / b }'
	echo "ledger on disk: $((ledger / 1048576)) MiB, $((ledger / records)) bytes per record"
	echo
	head -1 "$OUT/run.txt"
} | tee "$OUT/summary.txt"
