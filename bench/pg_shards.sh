#!/usr/bin/env bash
# Three PostgreSQL shards against one PostgreSQL ledger: the time of ingest
# and of `run` per record. Four throwaway PostgreSQL 15 clusters on loopback
# (tests/pg/pg.bash): "one" holds the single ledger, s1, s2 and s3 one shard
# ledger each (a cluster per shard, as in the national design), behind a
# cluster map of 1024 logical shards (0-341, 342-682, 683-1023) whose
# record-id directory is a local SQLite file (`--db shards:MAP`). One
# generated city; then ROUNDS rounds of A B: A = ingest into a fresh ledger
# on "one", `run`, `run` again; B = the same over a fresh map of three fresh
# ledgers. Prints every run's wall time and CPU time (socred's user+sys,
# with the processes it waited for: the per-ledger runs of a map; each
# server's: its postmaster's, live and reaped children's ticks in /proc),
# per record (ingest: per input line; run: per record the run reports), the
# medians and the ratios three shards / one. After the first round's runs,
# `results` of the two must be byte-identical (else it stops, exit 1).
# Usage: bench/pg_shards.sh [PEOPLE [ROUNDS]]   (default 50000 people, 2 rounds)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PEOPLE=${1:-50000}
ROUNDS=${2:-2}
AT=2026-06-01
S=$PWD/build/socred
OUT=$(mktemp -d /tmp/socred-pgshards.XXXXXX) || exit 1
trap 'rm -rf "$OUT"' EXIT
die() { echo "bench/pg_shards.sh: $*" >&2; exit 1; }
[ -x "$S" ] || die "build socred first ($S)"
command -v /usr/bin/time > /dev/null || die "needs /usr/bin/time"
# its EXIT trap stops and removes the clusters, then removes $OUT
# shellcheck source=tests/pg/pg.bash
. tests/pg/pg.bash || exit 1
export PGOPTIONS="-c client_min_messages=warning"
export SOCRED_STATE_DIR=$OUT/state
mkdir -p "$SOCRED_STATE_DIR"

CL=(one s1 s2 s3)
declare -A BASE PM
for c in "${CL[@]}"; do
	pg_cluster_start "$c" > /dev/null || die "cluster $c did not start"
	BASE[$c]=${PG_URI%/socred}
	PM[$c]=$(pg_pid "$c")
done

"$S" generate --people "$PEOPLE" --orgs $((PEOPLE / 20)) --seed 1 > "$OUT/city.csv" 2> /dev/null ||
	die "generate failed"
lines=$(($(wc -l < "$OUT/city.csv") - 1))
echo "city: $PEOPLE people, $((PEOPLE / 20)) organisations, $lines lines, $(stat -c %s "$OUT/city.csv") bytes"
echo "clusters: one ${BASE[one]}; shards ${BASE[s1]} ${BASE[s2]} ${BASE[s3]}"

# cpu CLUSTER: the server's CPU ticks so far: its postmaster's own and
# reaped children's, and its live children's
cpu() {
	local t=0 ticks p
	for p in ${PM[$1]} $(pgrep -P "${PM[$1]}"); do
		ticks=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2> /dev/null || echo 0)
		t=$((t + ticks))
	done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# timed KIND NAME N CMD...: runs CMD (stdout to $OUT/NAME.out), prints and
# appends to $OUT/runs "KIND NAME wall socred_cpu one s1 s2 s3 N total" (the
# server CPU seconds of each cluster; N: the lines or records it is divided
# by, read from the output when 0; total: socred's and the servers' CPU)
timed() {
	local kind=$1 name=$2 n=$3 c rc=0 wall u s
	shift 3
	local -a c0 c1 srv
	for c in "${CL[@]}"; do c0+=("$(cpu "$c")"); done
	/usr/bin/time -f "%e %U %S" -o "$OUT/t" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || rc=$?
	for c in "${CL[@]}"; do c1+=("$(cpu "$c")"); done
	if [ "$rc" != 0 ]; then
		echo "bench/pg_shards.sh: $kind $name failed with exit $rc:" >&2
		tail -5 "$OUT/$name.err" >&2
		exit 1
	fi
	read -r wall u s < <(tail -1 "$OUT/t")
	for i in 0 1 2 3; do
		srv+=("$(awk -v a="${c0[$i]}" -v b="${c1[$i]}" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')")
	done
	[ "$n" != 0 ] || n=$(sed -n 's/.*"records":\([0-9]*\),.*/\1/p' "$OUT/$name.out" | head -1)
	if [ -z "$n" ] || [ "$n" -le 0 ]; then die "$name: no record count in its output"; fi
	printf '%-6s %-6s wall %7.2f s %6.2f us/rec  socred cpu %6.2f s  server cpu one %6.2f s1 %6.2f s2 %6.2f s3 %6.2f s\n' \
		"$kind" "$name" "$wall" "$(awk -v w="$wall" -v n="$n" 'BEGIN {print w * 1e6 / n}')" \
		"$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" "${srv[@]}"
	echo "$kind $name $wall $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') ${srv[*]} $n" |
		awk '{print $0, $4 + $5 + $6 + $7 + $8}' >> "$OUT/runs"
}

: > "$OUT/runs"
prev=
for r in $(seq "$ROUNDS"); do
	db=b$r
	for c in "${CL[@]}"; do
		psql -X "${BASE[$c]}/postgres" -qc "create database $db" || die "create database on $c"
	done
	ONE=${BASE[one]}/$db
	MAP=$OUT/map$r.shards
	printf '%s\n' "shards 1024" "directory dir$r.db" "0-341 ${BASE[s1]}/$db" \
		"342-682 ${BASE[s2]}/$db" "683-1023 ${BASE[s3]}/$db" > "$MAP"
	"$S" --db "$ONE" init > /dev/null 2>&1 || die "init of $ONE"
	"$S" --db "shards:$MAP" init > /dev/null 2>&1 || die "init of $MAP"
	echo "round $r:"
	timed ingest one "$lines" "$S" --db "$ONE" ingest "$OUT/city.csv" --rejects /dev/null
	timed run one 0 "$S" --db "$ONE" run --at "$AT" --json
	timed rerun one 0 "$S" --db "$ONE" run --at "$AT" --json
	timed ingest shards "$lines" "$S" --db "shards:$MAP" ingest "$OUT/city.csv" --rejects /dev/null
	timed run shards 0 "$S" --db "shards:$MAP" run --at "$AT" --json
	timed rerun shards 0 "$S" --db "shards:$MAP" run --at "$AT" --json
	if [ "$r" = 1 ]; then
		"$S" --db "$ONE" results > "$OUT/results.one" 2> /dev/null || die "results on one"
		"$S" --db "shards:$MAP" results > "$OUT/results.shards" 2> /dev/null || die "results over the map"
		cmp -s "$OUT/results.one" "$OUT/results.shards" ||
			die "results differ: $(cmp "$OUT/results.one" "$OUT/results.shards" 2>&1)"
		echo "results: byte-identical ($(wc -l < "$OUT/results.one") lines, $(stat -c %s "$OUT/results.one") bytes)"
	fi
	# the previous round's ledgers go, so that at most two rounds' are on disk
	if [ -n "$prev" ]; then
		for c in "${CL[@]}"; do psql -X "${BASE[$c]}/postgres" -qc "drop database $prev" || die "drop $prev"; done
	fi
	prev=$db
done

# med KIND NAME COLUMN: the median of COLUMN over the rounds
med() {
	awk -v k="$1" -v n="$2" -v c="$3" '$1 == k && $2 == n {print $c}' "$OUT/runs" | sort -g |
		awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
recs=$(awk '$1 == "run" && $2 == "one" {print $9; exit}' "$OUT/runs")
echo "medians of $ROUNDS ($lines lines ingested; $recs records run):"
for k in ingest run rerun; do
	for n in one shards; do
		w=$(med "$k" "$n" 3)
		printf '%-6s %-6s wall %7.2f s %6.2f us/rec  socred cpu %6.2f s  server cpu one %6.2f s1 %6.2f s2 %6.2f s3 %6.2f s\n' \
			"$k" "$n" "$w" "$(awk -v w="$w" -v n="$(med "$k" "$n" 9)" 'BEGIN {print w * 1e6 / n}')" \
			"$(med "$k" "$n" 4)" "$(med "$k" "$n" 5)" "$(med "$k" "$n" 6)" "$(med "$k" "$n" 7)" "$(med "$k" "$n" 8)"
	done
done
for k in ingest run rerun; do
	awk -v a="$(med "$k" shards 3)" -v b="$(med "$k" one 3)" -v ca="$(med "$k" shards 10)" \
		-v cb="$(med "$k" one 10)" -v k="$k" 'BEGIN {
		printf "ratio three shards / one, %-6s: wall %.2f, cpu (socred + servers) %.2f\n", k, a / b, ca / cb }'
done
