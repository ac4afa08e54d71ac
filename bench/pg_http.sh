#!/usr/bin/env bash
# Checks over HTTP from two nodes sharing one PostgreSQL ledger, next to a
# node on a SQLite ledger holding the same records, in one run: a generated
# city ingested into both, `run` on both, then wrk against /v1/check of the
# SQLite node, node A and node B in turn (ROUNDS rounds, each DURATION
# seconds after a 3 s warm-up), with the same request stream (random
# subjects of the city, one enforcer key). Every check is audited. Prints
# each run, the medians and each node's ratio to the SQLite node.
# Usage: bench/pg_http.sh [SOCRED [PEOPLE [DURATION [ROUNDS]]]]
set -uo pipefail
SOCRED=$(realpath "${1:-build/socred}")
PEOPLE=${2:-100000}
DUR=${3:-10}
ROUNDS=${4:-3}
AT=2025-12-31
SRC=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
PIDS=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null && wait "$p"; done; }
trap 'stop_all; rm -rf "$T"' EXIT
command -v wrk > /dev/null || { echo "bench/pg_http.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }
cd "$T"
. "$SRC/tests/pg/pg.bash"
pg_cluster_start main > /dev/null || exit 1
PG=$PG_URI
"$SOCRED" generate --people "$PEOPLE" --orgs $((PEOPLE / 20)) --seed 1 > city.csv 2> /dev/null
for db in "$T/lite.db" "$PG"; do
	SOCRED_STATE_DIR=$T/a "$SOCRED" --db "$db" init > /dev/null
	SOCRED_STATE_DIR=$T/a "$SOCRED" --db "$db" ingest city.csv > /dev/null
done
KL=$("$SOCRED" --db "$T/lite.db" keys add --role enforcer --actions air_travel --name bench 2> /dev/null)
KP=$(SOCRED_STATE_DIR=$T/a "$SOCRED" --db "$PG" keys add --role enforcer --actions air_travel --name bench 2> /dev/null)
awk -F, 'NR > 1 && NR % 37 == 0 && $3 != "" {print $3}' city.csv | sort -u | head -10000 > ids.txt
lua() {
	cat <<LUA
local reqs = {}
wrk.headers["Authorization"] = "Bearer $1"
init = function(args)
  for line in io.lines("$T/ids.txt") do
    reqs[#reqs + 1] = wrk.format("GET", "/v1/check?subject=" .. line .. "&action=air_travel")
  end
end
local i = 0
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
LUA
}
lua "$KL" > lite.lua
lua "$KP" > pg.lua
# serve NAME DB: a node (one worker thread: wrk takes the other core) with a
# state folder of its own; its snapshot is built by `run` there
serve() {
	mkdir -p "$T/$1"
	SOCRED_STATE_DIR=$T/$1 "$SOCRED" --db "$2" run --at "$AT" > /dev/null
	SOCRED_STATE_DIR=$T/$1 "$SOCRED" --db "$2" serve --listen 127.0.0.1:0 --today "$AT" \
		--threads 1 --rate 0 > "$T/$1/out" 2> "$T/$1/err" &
	PIDS+=($!)
	until grep -q '^socred: serving' "$T/$1/out"; do sleep 0.05; done
	sed -n 's|^socred: serving \(http://[^/]*\)/.*|\1|p' "$T/$1/out"
}
L=$(serve lite "$T/lite.db")
A=$(serve a "$PG")
B=$(serve b "$PG")
: > rps
for r in $(seq "$ROUNDS"); do
	for t in "lite $L lite.lua" "a $A pg.lua" "b $B pg.lua"; do
		read -r name url script <<< "$t"
		wrk -t1 -c16 -d3s -s "$script" "$url" > /dev/null
		wrk -t1 -c16 -d"${DUR}s" --latency -s "$script" "$url" > "wrk.$name.$r"
		rps=$(sed -n 's/^Requests\/sec: *//p' "wrk.$name.$r")
		p99=$(awk '$1 == "99%" {print $2}' "wrk.$name.$r")
		errs=$(grep -E 'Non-2xx|Socket errors' "wrk.$name.$r" | tr '\n' ' ')
		echo "round $r $name: $rps requests/s, p99 $p99 ${errs:-no errors}"
		echo "$name $rps" >> rps
	done
done
median() { grep "^$1 " rps | awk '{print $2}' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ml=$(median lite); ma=$(median a); mb=$(median b)
echo "median requests/s: sqlite node $ml, postgresql node a $ma, node b $mb"
python3 -c "print(f'ratio to the sqlite node: node a {$ma / $ml:.2f}x, node b {$mb / $ml:.2f}x')"
