#!/usr/bin/env bash
# Checks over HTTP from a node serving a cluster map of three SQLite
# ledgers, next to a node serving one SQLite ledger holding the same
# records, in one run: a generated city ingested into both, `run` on both
# (the map's: one snapshot per ledger), then wrk against /v1/check of each
# node in turn (ROUNDS rounds, each DURATION seconds after a 3 s warm-up),
# with the same request stream (random subjects of the city, one enforcer
# key). Every check is audited (in its subject's ledger's log). Prints each
# run, the medians and the map node's ratio to the one-ledger node.
# Usage: bench/shards_http.sh [SOCRED [PEOPLE [DURATION [ROUNDS]]]]
set -uo pipefail
SOCRED=$(realpath "${1:-build/socred}")
PEOPLE=${2:-100000}
DUR=${3:-10}
ROUNDS=${4:-3}
AT=2025-12-31
T=$(mktemp -d)
PIDS=()
stop_all() { local p; for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null && wait "$p"; done; }
trap 'stop_all; rm -rf "$T"' EXIT
command -v wrk > /dev/null || { echo "bench/shards_http.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }
cd "$T"
printf 'shards 1024\ndirectory dir.db\n0-341 a.db\n342-682 b.db\n683-1023 c.db\n' > socred.shards
"$SOCRED" generate --people "$PEOPLE" --orgs $((PEOPLE / 20)) --seed 1 > city.csv 2> /dev/null
for db in "$T/one.db" "shards:$T/socred.shards"; do
	"$SOCRED" --db "$db" init > /dev/null
	"$SOCRED" --db "$db" ingest city.csv > /dev/null 2>&1
	"$SOCRED" --db "$db" run --at "$AT" > /dev/null
done
K1=$("$SOCRED" --db "$T/one.db" keys add --role enforcer --actions air_travel --name bench 2> /dev/null)
K3=$("$SOCRED" --db "shards:$T/socred.shards" keys add --role enforcer --actions air_travel --name bench 2> /dev/null)
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
lua "$K1" > one.lua
lua "$K3" > map.lua
# serve NAME DB: a node with one worker thread (wrk takes the other core)
serve() {
	"$SOCRED" --db "$2" serve --listen 127.0.0.1:0 --today "$AT" --threads 1 --rate 0 \
		> "$T/$1.out" 2> "$T/$1.err" &
	PIDS+=($!)
	until grep -q '^socred: serving' "$T/$1.out"; do sleep 0.05; done
	sed -n 's|^socred: serving \(http://[^/]*\)/.*|\1|p' "$T/$1.out"
}
O=$(serve one "$T/one.db")
M=$(serve map "shards:$T/socred.shards")
: > rps
for r in $(seq "$ROUNDS"); do
	for t in "one $O one.lua" "map $M map.lua"; do
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
mo=$(median one); mm=$(median map)
echo "median requests/s: one ledger $mo, map of three ledgers $mm"
python3 -c "print(f'ratio of the map node to the one-ledger node: {$mm / $mo:.2f}x')"
