#!/usr/bin/env bash
# wrk against GET /v1/check on a ledger (default: the one bench/run.sh built,
# 1,000,000 people), random subjects from the ledger, for DURATION seconds.
# Usage: bench/http.sh [LEDGER [DURATION [CONNECTIONS]]]
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-bench/out/bench.db}
DUR=${2:-20}
CONNS=${3:-64}
OUT=bench/out
[ -e "$DB" ] || { echo "bench/http.sh: no ledger $DB: run bench/run.sh first" >&2; exit 2; }
command -v wrk > /dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk > /dev/null || sudo apt-get install -y -qq wrk > /dev/null; }
SOCRED_SETUP_TESTS=1 scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
S=$PWD/build/socred

KEY=$("$S" --db "$DB" keys add --role enforcer --actions air_travel --name bench 2> /dev/null)
sqlite3 "$DB" "SELECT ext_id FROM subjects WHERE id % 97 = 0 LIMIT 10000" > "$OUT/ids.txt"
cat > "$OUT/check.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/ids.txt") do ids[#ids + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer $KEY"
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/check?subject=" .. ids[(i % #ids) + 1] .. "&action=air_travel")
end
LUA
"$S" --db "$DB" serve --listen 127.0.0.1:0 --today 2025-12-31 > "$OUT/serve.out" 2>&1 &
SPID=$!
trap 'kill -TERM $SPID 2> /dev/null; wait $SPID 2> /dev/null' EXIT
for i in $(seq 100); do grep -q serving "$OUT/serve.out" 2> /dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$OUT/serve.out")
echo "== wrk -t2 -c$CONNS -d${DUR}s GET /v1/check ($(wc -l < "$OUT/ids.txt") distinct subjects of a $(du -h "$DB" | cut -f1) ledger)"
wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$OUT/check.lua" "http://127.0.0.1:$PORT" | tee "$OUT/wrk.txt"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^socred_(checks_total|requests_total\{route="check")' || true
