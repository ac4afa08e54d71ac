#!/usr/bin/env bash
# Checks over HTTP and in process, side by side in one run, on a ledger
# (default: the one bench/run.sh built, 1,000,000 people):
#   1. wrk against GET /v1/check answered from the decision snapshot;
#   2. the same with `serve --no-snapshot` (every check reads the ledger);
#   3. wrk against /healthz (the server's own ceiling: no work per request);
#   4. wrk against nginx serving a 120-byte static file (the peer);
#   5. bench_checks: in-process decisions on one core, one by one and batched,
#      then batched on every core (one thread per core, one shared snapshot).
# Random subjects from the ledger; one enforcer key; the server's --today is
# the bench's run date.
# wrk runs with one thread and 16 connections by default: on 2 cores shared
# by wrk and the server, one wrk thread leaves the server the most CPU (at
# -t2 -c64 every target's p99 is set by threads waiting for a core).
# Usage: bench/http.sh [LEDGER [DURATION [CONNECTIONS [WRK_THREADS]]]]
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-bench/out/bench.db}
DUR=${2:-20}
CONNS=${3:-16}
THREADS=${4:-1}
OUT=bench/out
AT=2025-12-31
[ -e "$DB" ] || { echo "bench/http.sh: no ledger $DB: run bench/run.sh first" >&2; exit 2; }
install() { [ "$(id -u)" = 0 ] && apt-get install -y -qq "$@" > /dev/null || sudo apt-get install -y -qq "$@" > /dev/null; }
command -v wrk > /dev/null || install wrk
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || install nginx-light
SOCRED_SETUP_TESTS=1 scripts/setup.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C build bench_checks > /dev/null
S=$PWD/build/socred
RES=$OUT/http.results
: > "$RES"

KEY=$("$S" --db "$DB" keys add --role enforcer --actions air_travel --name bench 2> /dev/null)
sqlite3 "$DB" "SELECT ext_id FROM subjects WHERE id % 97 = 0 LIMIT 10000" > "$OUT/ids.txt"
sqlite3 "$DB" "SELECT ext_id FROM subjects" > "$OUT/all_ids.txt"
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

SPID=
NPID=
cleanup() {
	[ -n "$SPID" ] && { kill -TERM "$SPID" 2> /dev/null; wait "$SPID" 2> /dev/null || true; }
	[ -n "$NPID" ] && { kill "$NPID" 2> /dev/null || true; }
}
trap cleanup EXIT

# serve ARGS...: starts socred serve, sets PORT
serve() {
	"$S" --db "$DB" serve --listen 127.0.0.1:0 --today "$AT" "$@" > "$OUT/serve.out" 2>&1 &
	SPID=$!
	for i in $(seq 100); do grep -q serving "$OUT/serve.out" 2> /dev/null && break; sleep 0.1; done
	PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$OUT/serve.out")
}
stop() { kill -TERM "$SPID"; wait "$SPID" 2> /dev/null || true; SPID=; }
# bench NAME URL [SCRIPT]: one wrk run, its figures appended to $RES
bench() {
	local name=$1 url=$2 script=${3:-}
	echo "== $name: wrk -t$THREADS -c$CONNS -d${DUR}s $url"
	wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency ${script:+-s "$script"} "$url" > "$OUT/wrk.$name.txt"
	local rps p50 p99 errs
	rps=$(sed -n 's/^Requests\/sec: *//p' "$OUT/wrk.$name.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk.$name.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.$name.txt")
	errs=$(grep -E 'Non-2xx|Socket errors' "$OUT/wrk.$name.txt" | tr '\n' ' ' || true)
	echo "$name $rps $p50 $p99 ${errs:-no errors}" | tee -a "$RES"
}

serve
# wait for the snapshot of the bench's day (the server builds it if run's is for another day)
for i in $(seq 600); do
	curl -s "http://127.0.0.1:$PORT/metrics" | grep -q "socred_snapshot_subjects{day=\"$AT\"}" && break
	sleep 0.5
done
bench check_snapshot "http://127.0.0.1:$PORT" "$OUT/check.lua"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^socred_(checks_answered_total|audit_entries_total)' | tee "$OUT/metrics.snapshot.txt"
bench healthz "http://127.0.0.1:$PORT/healthz"
stop

serve --no-snapshot
bench check_ledger "http://127.0.0.1:$PORT" "$OUT/check.lua"
stop

# nginx with the same two workers, a static file the size of a check answer
mkdir -p "$OUT/nginx"
printf '%0120d' 0 > "$OUT/nginx/static.txt"
NPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$OUT/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $PWD/$OUT/nginx/nginx.pid;
error_log $PWD/$OUT/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$NPORT; root $PWD/$OUT/nginx; }
}
CONF
"$(command -v nginx || echo /usr/sbin/nginx)" -c "$PWD/$OUT/nginx/nginx.conf" -g 'daemon off;' &
NPID=$!
sleep 0.5
bench nginx_static "http://127.0.0.1:$NPORT/static.txt"

echo "== in-process checks (bench_checks, 20,000,000 checks, air_travel): one core, then every core"
for b in 0 1; do
	BATCHED=$b build/bench_checks "$DB.snap" rulebooks/default.yaml "$OUT/all_ids.txt" air_travel 20000000 | tee -a "$RES"
done
BATCHED=1 THREADS=$(nproc) build/bench_checks "$DB.snap" rulebooks/default.yaml "$OUT/all_ids.txt" air_travel 20000000 | tee -a "$RES"

echo
echo "== summary (requests/s, p50, p99)"
column -t "$RES" | cut -c1-160
snap=$(awk '$1 == "check_snapshot" {print $2}' "$RES")
led=$(awk '$1 == "check_ledger" {print $2}' "$RES")
ngx=$(awk '$1 == "nginx_static" {print $2}' "$RES")
hz=$(awk '$1 == "healthz" {print $2}' "$RES")
python3 - "$snap" "$led" "$ngx" "$hz" <<'PY'
import sys
snap, led, ngx, hz = map(float, sys.argv[1:])
print(f"checks from the snapshot / from the ledger: {snap / led:.2f}x")
print(f"checks from the snapshot / nginx static file: {snap / ngx:.2f}x")
print(f"checks from the snapshot / socred /healthz: {snap / hz:.2f}x")
PY
