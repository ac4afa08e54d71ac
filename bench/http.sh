#!/usr/bin/env bash
# Checks over HTTP and in process, side by side in one run, on a ledger
# (default: the one bench/run.sh built, 1,000,000 people):
#   1. wrk against GET /v1/check answered from the decision snapshot, and
#      wrk against nginx serving a 120-byte static file (the peer), taken in
#      turn for ROUNDS rounds while both servers run, with the same request
#      stream (the same Lua script: a random subject's query string and the
#      enforcer's Authorization header; nginx ignores both), so the client
#      does the same work per request for each target;
#   2. wrk against /healthz (the server's own ceiling: no work per request);
#   3. the checks again with `serve --no-snapshot` (every check reads the
#      ledger);
#   4. bench_checks: in-process decisions on one core, one by one and batched,
#      then batched on every core (one thread per core, one shared snapshot).
# Every target gets a 3 s warm-up run first (page cache, snapshot pages,
# the audit writer's cache), then measured runs. For socred's targets the
# server's CPU per request (user + system, from /proc) is printed too: on 2
# shared cores it varies far less from run to run than requests/s does.
# Random subjects from the ledger; one enforcer key; the server's --today is
# the bench's run date.
# wrk runs with one thread and 16 connections by default: on 2 cores shared
# by wrk and the server, one wrk thread leaves the server the most CPU (at
# -t2 -c64 every target's p99 is set by threads waiting for a core).
# WORKERS (6th argument) is both socred's --threads and nginx's
# worker_processes; by default the cores less one, which wrk takes (on 2
# cores: 1 worker each; with 2 each, both lose throughput and p99 to three
# busy threads on two cores).
# Usage: bench/http.sh [LEDGER [DURATION [CONNECTIONS [WRK_THREADS [ROUNDS [WORKERS]]]]]]
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-bench/out/bench.db}
DUR=${2:-20}
CONNS=${3:-16}
THREADS=${4:-1}
ROUNDS=${5:-3}
WORKERS=${6:-$(($(nproc) > 1 ? $(nproc) - 1 : 1))}
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
# lua PATH: the request stream, to PATH. Each request is formatted once, in
# init: formatting it per request (wrk.format in request()) cost wrk more
# CPU than the server spent answering, on the same two cores.
lua() {
	cat <<LUA
local reqs = {}
wrk.headers["Authorization"] = "Bearer $KEY"
-- in init, once wrk has set the Host header
init = function(args)
  for line in io.lines("$OUT/ids.txt") do
    reqs[#reqs + 1] = wrk.format("GET", "$1?subject=" .. line .. "&action=air_travel")
  end
end
local i = 0
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
LUA
}
lua /v1/check > "$OUT/check.lua"
lua /healthz > "$OUT/healthz.lua"
lua /static.txt > "$OUT/static.lua"

SPID=
NPID=
# (ifs, not &&: a trap's last status becomes the script's, and a finished
# run has neither server left)
cleanup() {
	if [ -n "$SPID" ]; then kill -TERM "$SPID" 2> /dev/null; wait "$SPID" 2> /dev/null || true; fi
	if [ -n "$NPID" ]; then kill "$NPID" 2> /dev/null || true; fi
}
trap cleanup EXIT

# serve ARGS...: starts socred serve, sets PORT
serve() {
	"$S" --db "$DB" serve --listen 127.0.0.1:0 --today "$AT" --threads "$WORKERS" "$@" > "$OUT/serve.out" 2>&1 &
	SPID=$!
	for i in $(seq 100); do grep -q serving "$OUT/serve.out" 2> /dev/null && break; sleep 0.1; done
	PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$OUT/serve.out")
}
stop() { kill -TERM "$SPID"; wait "$SPID" 2> /dev/null || true; SPID=; }
# cpu: the server's CPU time so far, in clock ticks
cpu() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
# bench NAME URL SCRIPT [cpu]: one wrk run, its figures appended to $RES
bench() {
	local name=$1 url=$2 script=$3 c0= c1 n us=-
	echo "== $name: wrk -t$THREADS -c$CONNS -d${DUR}s $url"
	[ "${4:-}" = cpu ] && c0=$(cpu)
	wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$script" "$url" > "$OUT/wrk.$name.txt"
	if [ -n "$c0" ]; then
		c1=$(cpu)
		n=$(awk '/requests in/ {print $1}' "$OUT/wrk.$name.txt")
		us=$(python3 -c "print(f'{($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / $n:.1f}')")
	fi
	local rps p50 p99 errs
	rps=$(sed -n 's/^Requests\/sec: *//p' "$OUT/wrk.$name.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk.$name.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.$name.txt")
	errs=$(grep -E 'Non-2xx|Socket errors' "$OUT/wrk.$name.txt" | tr '\n' ' ' || true)
	echo "$name $rps $p50 $p99 cpu_us=$us ${errs:-no errors}" | tee -a "$RES"
}
warm() { wrk -t"$THREADS" -c"$CONNS" -d3s -s "$2" "$1" > /dev/null; }

# nginx with as many workers as socred, a static file the size of a check answer,
# tuned as for static serving: the file's descriptor cached (no open, fstat
# and close per request: 44 k -> 50-59 k requests/s here), sendfile, and
# connections kept for the whole run
mkdir -p "$OUT/nginx"
printf '%0120d' 0 > "$OUT/nginx/static.txt"
NPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$OUT/nginx/nginx.conf" <<CONF
worker_processes $WORKERS;
pid $PWD/$OUT/nginx/nginx.pid;
error_log $PWD/$OUT/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  open_file_cache max=64 inactive=60s;
  open_file_cache_valid 60s;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NPORT; root $PWD/$OUT/nginx; }
}
CONF
"$(command -v nginx || echo /usr/sbin/nginx)" -c "$PWD/$OUT/nginx/nginx.conf" -g 'daemon off;' &
NPID=$!

serve
# wait for the snapshot of the bench's day (the server builds it if run's is for another day)
for i in $(seq 600); do
	curl -s "http://127.0.0.1:$PORT/metrics" | grep -q "socred_snapshot_subjects{day=\"$AT\"}" && break
	sleep 0.5
done
curl -sf "http://127.0.0.1:$NPORT/static.txt" > /dev/null || { echo "bench/http.sh: nginx did not start" >&2; exit 1; }
warm "http://127.0.0.1:$PORT" "$OUT/check.lua"
warm "http://127.0.0.1:$NPORT" "$OUT/static.lua"
for r in $(seq "$ROUNDS"); do
	bench check_snapshot "http://127.0.0.1:$PORT" "$OUT/check.lua" cpu
	bench nginx_static "http://127.0.0.1:$NPORT" "$OUT/static.lua"
done
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^socred_(checks_answered_total|audit_entries_total)' | tee "$OUT/metrics.snapshot.txt"
warm "http://127.0.0.1:$PORT" "$OUT/healthz.lua"
bench healthz "http://127.0.0.1:$PORT" "$OUT/healthz.lua" cpu
stop
kill "$NPID" 2> /dev/null || true
NPID=

serve --no-snapshot
warm "http://127.0.0.1:$PORT" "$OUT/check.lua"
bench check_ledger "http://127.0.0.1:$PORT" "$OUT/check.lua" cpu
stop

echo "== in-process checks (bench_checks, 20,000,000 checks, air_travel): one core, then every core"
for b in 0 1; do
	BATCHED=$b build/bench_checks "$DB.snap" rulebooks/default.yaml "$OUT/all_ids.txt" air_travel 20000000 | tee -a "$RES"
done
BATCHED=1 THREADS=$(nproc) build/bench_checks "$DB.snap" rulebooks/default.yaml "$OUT/all_ids.txt" air_travel 20000000 | tee -a "$RES"

echo
echo "== summary (requests/s, p50, p99)"
grep -v '^[a-z]*: checks\|^one by one' "$RES" | column -t
python3 - "$RES" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) > 1 and not f[0].startswith("bench_checks"):
        try:
            v = float(f[1])
        except ValueError:
            continue
        rows.setdefault(f[0], []).append(v)
med = {k: statistics.median(v) for k, v in rows.items()}
pairs = [c / n for c, n in zip(rows["check_snapshot"], rows["nginx_static"])]
print(f"checks from the snapshot / nginx static file, round by round: "
      + " ".join(f"{p:.2f}x" for p in pairs) + f" (median {statistics.median(pairs):.2f}x)")
print(f"checks from the snapshot / from the ledger: {med['check_snapshot'] / med['check_ledger']:.2f}x")
print(f"checks from the snapshot / socred /healthz: {med['check_snapshot'] / med['healthz']:.2f}x")
PY
